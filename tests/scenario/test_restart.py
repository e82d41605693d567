"""Restart safety with real `noc run` processes: killed with SIGKILL mid-request, the next process
names the request interrupted in its thread (with a Re-run button) and processes Slack's retry of
the event; a port already in use is one line and exit 2, never a hang.

The waits are on conditions (a row in the database, a message in the loopback Slack), never on
fixed sleeps; the one wall-clock dependency is the lease itself, which a killed process cannot
renew, so the test waits until the database says it has run out.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.fakes.slack_api import (
    app_mention_event,
    block_action,
    fake_slack,  # noqa: F401
    post_signed,
)
from tests.harness.processes import SECRET, Stderr, free_port, wait_healthz
from tests.harness.waiting import wait_until


def launch(fake, tmp_path, port: int) -> subprocess.Popen:
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\n  lease_s: 5\n"
                      "network:\n  scenario: slow-device\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake.api_url, "NOC_CONFIG": str(config),
                "SLACK_SIGNING_SECRET": SECRET, "NO_PROXY": "*"})
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def rows(db, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db, timeout=5) as conn:
        return conn.execute(sql, args).fetchall()



@pytest.mark.slow  # kills a `noc run` and waits out its lease: the fault suites' step in CI
def test_killed_mid_request_is_named_interrupted_and_slacks_retry_is_processed(fake_slack, tmp_path):
    db = tmp_path / "noc.db"
    port = free_port()
    first = launch(fake_slack, tmp_path, port)
    event = app_mention_event("why is edge-rtr-01 slow?")
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        wait_healthz(port, first)
        assert post_signed(url, event, SECRET)[0] == 200
        wait_until(lambda: rows(db, "SELECT status FROM requests") == [("running",)], what="a running request")
    finally:
        first.kill()  # SIGKILL: no chance to say anything
        first.wait(timeout=20)
    [(request_id,)] = rows(db, "SELECT id FROM requests")
    wait_until(lambda: rows(db, "SELECT 1 FROM requests WHERE lease_until < ?", time.time()), what="the lease to run out")

    second = launch(fake_slack, tmp_path, port)
    log = Stderr(second)
    try:
        wait_healthz(port, second)
        root = event["event"]["ts"]

        def told(s) -> bool:
            return any("interrupted" in (m.get("text") or "") and request_id in str(m.get("blocks"))
                       for m in s.thread("C0NOC", root))
        fake_slack.wait_for(told, timeout=30)
        assert rows(db, "SELECT status FROM requests WHERE id = ?", request_id) == [("interrupted",)]

        # Slack retries the event whose first delivery died: it is processed, as a new request
        assert post_signed(url, event, SECRET, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
        wait_until(lambda: len(rows(db, "SELECT id FROM requests")) == 2, what="the retry to be processed")
        # Re-run on the interrupted message asks the same question again
        note = next(m for m in fake_slack.thread("C0NOC", root) if "interrupted" in (m.get("text") or ""))
        assert post_signed(url, block_action("noc_rerun", request_id, message_ts=note["ts"]), SECRET)[0] == 200
        wait_until(lambda: len(rows(db, "SELECT id FROM requests WHERE source = 'rerun'")) == 1, what="the re-run")
        # and a retry of the live one is not
        assert post_signed(url, event, SECRET, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
        log.wait_for(f"duplicate delivery of {event['event_id']} ignored")
        assert len(rows(db, "SELECT id FROM requests WHERE source != 'rerun'")) == 2
    finally:
        second.kill()
        second.wait(timeout=20)


def test_port_in_use_is_one_line_and_exit_2(fake_slack, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = launch(fake_slack, tmp_path, port)
        try:
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        err = proc.stderr.read()
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err

