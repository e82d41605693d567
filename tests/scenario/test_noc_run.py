"""`noc run` as an operator starts it: a real process, against the loopback Slack fake, in both modes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
    post_signed,
)
from tests.harness.processes import SECRET, answered, free_port, stop, wait_healthz


def start(fake, tmp_path, **env_extra) -> tuple[subprocess.Popen, int]:
    port = free_port()
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: wan-congestion\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake.api_url, "NOC_CONFIG": str(config),
                "NO_PROXY": "*", **env_extra})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def test_http_mode(fake_slack, tmp_path):
    proc, port = start(fake_slack, tmp_path, SLACK_SIGNING_SECRET=SECRET)
    try:
        assert wait_healthz(port, proc)["mode"] == "http"
        event = app_mention_event("why is the branch office slow?")
        status, _ = post_signed(f"http://127.0.0.1:{port}/slack/events", event, SECRET)
        assert status == 200
        fake_slack.wait_for(lambda s: answered(s, event["event"]["ts"]), timeout=30)
    finally:
        code = stop(proc)
    assert code == 0, proc.stderr.read()


def test_socket_mode(fake_slack, tmp_path):
    proc, port = start(fake_slack, tmp_path, SLACK_APP_TOKEN="xapp-1-A0NOC-test-token")
    try:
        assert wait_healthz(port, proc)["mode"] == "socket"
        fake_slack.wait_for_socket(timeout=20)
        event = app_mention_event("why is the branch office slow?")
        fake_slack.wait_for_ack(fake_slack.socket_send_event(event), timeout=20)
        fake_slack.wait_for(lambda s: answered(s, event["event"]["ts"]), timeout=30)
    finally:
        code = stop(proc)
    assert code == 0, proc.stderr.read()


@pytest.mark.parametrize(("env", "message"), [
    ({}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxp-user-token-123"}, "SLACK_BOT_TOKEN is malformed"),
    ({"SLACK_BOT_TOKEN": "xoxb-test-token-123"}, "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_SIGNING_SECRET": "nothex"}, "SLACK_SIGNING_SECRET is malformed"),
    ({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_APP_TOKEN": "xoxb-wrong-kind-1"}, "SLACK_APP_TOKEN is malformed"),
])
def test_missing_or_malformed_credentials_stop_at_once(env, message):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env={**base, **env}, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
