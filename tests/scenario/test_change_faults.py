"""An interrupted change is always reported: real `noc run` processes, killed at chosen steps of
a change apply, and the next process resolves the change and tells its thread which and why.

The lab device outlives the bot (`NOC_LAB_DIR`), like a real one: a commit taken before the kill
is still on it after the restart, with its revert timer pending. The kill point is chosen by
state, never by time: the lab device is told to hang at a step of its commit (`hold`) and says
when it is held there (a marker file); the test waits for that marker, then sends SIGKILL. The
one wall-clock dependency is the change's lease, which a killed process cannot renew: the test
waits until the database says it has run out (or, after SIGTERM, that it was handed over).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from agents.lab.stateful import expire_pending, hold
from bot.store.engine import async_url
from tests.fakes.slack_api import app_mention_event, block_action, fake_slack, post_signed  # noqa: F401
from tests.harness.postgres import POSTGRES_ENV, reset_postgres
from tests.harness.processes import SECRET, free_port, wait_healthz
from tests.harness.waiting import wait_until

pytestmark = pytest.mark.slow  # real noc run processes killed mid-apply: their own CI step (.ci/run)

REQUESTER, APPROVER = "UOPS1", "UOPS2"
SCENARIO, DEVICE = "wan-congestion", "branch-rtr-01"
FIX = "service-policy output WAN-EDGE-QOS"


class Bot:
    """One `noc run` process on a shared store, lab and loopback Slack."""

    def __init__(self, fake, tmp_path: Path, *, grace_s: float = 20.0) -> None:
        self.fake, self.tmp = fake, tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        config = tmp_path / "noc.yml"
        config.write_text(f"store:\n  url: {store_url(tmp_path)}\n  lease_s: 5\n"
                          f"network:\n  scenario: {SCENARIO}\n"
                          f"server:\n  shutdown_grace_s: {grace_s}\n"
                          f"access:\n  operator:\n    users: [{REQUESTER}, {APPROVER}]\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "NOC_"))}
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake.api_url, "NOC_CONFIG": str(config),
                    "SLACK_SIGNING_SECRET": SECRET, "NO_PROXY": "*", "NOC_LAB_DIR": str(tmp_path / "lab")})
        self.log = tmp_path / f"noc-{self.port}.log"
        with self.log.open("w") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(self.port)],
                                         env=env, stdout=subprocess.DEVNULL, stderr=err, text=True)
        wait_healthz(self.port, self.proc, timeout=60)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=20)

    def stderr(self) -> str:
        return self.log.read_text()


def serving(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def device_dir(tmp_path: Path) -> Path:
    return tmp_path / "lab" / SCENARIO / DEVICE


def running(tmp_path: Path) -> str:
    return json.loads((device_dir(tmp_path) / "get_config.1").read_text())["running"]


def pending(tmp_path: Path) -> bool:
    return (device_dir(tmp_path) / ".pending-commit.json").exists()


def store_url(tmp_path: Path) -> str:
    """The store the processes share: SQLite in tmp_path, or the PostgreSQL test database when
    the `lab` fixture was asked for it (its URL is kept next to the lab)."""
    marker = tmp_path / "store-url"
    return marker.read_text() if marker.exists() else f"sqlite:///{tmp_path / 'noc.db'}"


def rows(tmp_path: Path, sql: str, *args) -> list[tuple]:
    """`?` placeholders, on whichever backend the processes use."""
    names = iter(range(len(args)))
    statement = text(re.sub(r"\?", lambda _: f":p{next(names)}", sql))

    async def run() -> list[tuple]:
        engine = create_async_engine(async_url(store_url(tmp_path)))
        try:
            async with engine.connect() as conn:
                result = await conn.execute(statement, {f"p{i}": a for i, a in enumerate(args)})
                return [tuple(r) for r in result.fetchall()]
        finally:
            await engine.dispose()
    return asyncio.run(run())



def thread_text(fake, thread_ts: str) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in fake.thread("C0NOC", thread_ts))


def propose_and_approve(bot: Bot, point: str | None) -> tuple[str, str]:
    """The requester asks, the proposal appears, the device is told to hang at `point`, the
    second operator approves. Returns (thread_ts, change id)."""
    event = app_mention_event("why is the branch office slow?", user=REQUESTER)
    assert post_signed(bot.url, event, SECRET)[0] == 200
    thread_ts = event["event"]["ts"]

    def proposal():
        return next((m for m in bot.fake.thread("C0NOC", thread_ts)
                     for b in m.get("blocks") or [] if b.get("type") == "actions"
                     for e in b["elements"] if e.get("action_id") == "noc_change_approve"), None)
    message = bot.fake.wait_for(lambda s: proposal(), timeout=60)
    change_id = next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    if point is not None:
        hold(device_dir(bot.tmp), point)
    click = block_action("noc_change_approve", change_id, user=APPROVER, message_ts=message["ts"], thread_ts=thread_ts)
    assert post_signed(bot.url, click, SECRET)[0] == 200
    return thread_ts, change_id


def killed_at(fake, tmp_path: Path, point: str) -> tuple[str, str]:
    """Approve, wait until the device hangs at `point`, SIGKILL, release the device, and wait
    until the store says the dead process's lease on the change ran out."""
    bot = Bot(fake, tmp_path)
    try:
        thread_ts, change_id = propose_and_approve(bot, point)
        wait_until(lambda: hold(device_dir(tmp_path), point).exists(), what=f"the device to be held at {point}")
    finally:
        bot.kill()
    hold(device_dir(tmp_path), point, on=False)
    [(state,)] = rows(tmp_path, "SELECT state FROM change_proposals WHERE id = ?", change_id)
    assert state in ("applying", "committed")
    wait_until(lambda: rows(tmp_path, "SELECT 1 FROM change_proposals WHERE id = ? AND lease_until < ?", change_id, time.time()),
               what="the killed process's lease to run out")
    return thread_ts, change_id


def outcome(fake, tmp_path: Path, change_id: str, thread_ts: str) -> tuple[str, str]:
    """Restart, and wait for the change to reach a final state and its thread to say so."""
    bot = Bot(fake, tmp_path)
    try:
        final = ("confirmed", "rolled_back", "aborted", "needs_attention")
        [(state,)] = wait_until(lambda: rows(tmp_path, "SELECT state FROM change_proposals WHERE id = ? AND state IN (?, ?, ?, ?)",
                                              change_id, *final), what="the change to be resolved")
        fake.wait_for(lambda s: f"*{state}*" in thread_text(s, thread_ts), timeout=30)
        return state, thread_text(fake, thread_ts)
    finally:
        bot.kill()


@pytest.fixture(params=["sqlite"])
def lab(tmp_path, request):
    """tmp_path holding the shared lab (and store); parametrised indirectly with "postgresql",
    the processes share the PostgreSQL test database instead (skipped when it is not set)."""
    if request.param == "postgresql":
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.skip(f"PostgreSQL fault tests need {POSTGRES_ENV}")
        asyncio.run(reset_postgres(url))
        (tmp_path / "store-url").write_text(url)
    yield tmp_path
    for point in ("commit", "committed", "confirm"):
        hold(device_dir(tmp_path), point, on=False)


def test_killed_before_the_commit_took_effect_is_aborted_and_said_so(fake_slack, lab):
    thread_ts, change_id = killed_at(fake_slack, lab, "commit")
    assert FIX not in running(lab) and not pending(lab)  # the device never got it
    state, text = outcome(fake_slack, lab, change_id, thread_ts)
    assert state == "aborted"
    assert "interrupted (applying)" in text and "matches the pre-change snapshot" in text and "nothing of the change is in effect" in text
    assert FIX not in running(lab) and not pending(lab)


@pytest.mark.parametrize(("point", "lab"), [("committed", "sqlite"), ("confirm", "sqlite"), ("confirm", "postgresql")],
                         indirect=["lab"])
def test_killed_after_the_commit_is_post_checked_and_confirmed_after_the_restart(fake_slack, lab, point):
    thread_ts, change_id = killed_at(fake_slack, lab, point)
    assert FIX in running(lab) and pending(lab)  # committed, the revert timer running on the device
    state, text = outcome(fake_slack, lab, change_id, thread_ts)
    assert state == "confirmed"
    assert "has the approved result and its commit waits for a confirm" in text and "post-check" in text
    assert FIX in running(lab) and not pending(lab)  # confirmed on the device: it stays
    steps = [s for (s,) in rows(lab, "SELECT step FROM change_events WHERE proposal_id = ? ORDER BY id", change_id)]
    assert steps[-3:] == ["resumed", "post-check", "confirmed"]


def test_a_revert_timer_that_ran_out_while_the_bot_was_down_is_reported_as_rolled_back(fake_slack, lab):
    thread_ts, change_id = killed_at(fake_slack, lab, "confirm")
    expire_pending(device_dir(lab))  # the device's own timer ran out before the bot came back
    state, text = outcome(fake_slack, lab, change_id, thread_ts)
    assert state == "rolled_back"
    assert "revert timer undid the unconfirmed commit" in text
    assert FIX not in running(lab) and not pending(lab)


def test_a_device_changed_by_hand_meanwhile_needs_attention_and_the_timer_is_named_truthfully(fake_slack, lab):
    thread_ts, change_id = killed_at(fake_slack, lab, "confirm")
    config_file = device_dir(lab) / "get_config.1"
    config = json.loads(config_file.read_text())
    config["running"] = config["running"].replace("hostname branch-rtr-01", "hostname branch-rtr-01\nlogging host 192.0.2.50", 1)
    assert "logging host 192.0.2.50" in config["running"]
    config_file.write_text(json.dumps(config))
    state, text = outcome(fake_slack, lab, change_id, thread_ts)
    assert state == "needs_attention"
    assert "matches neither the pre-change snapshot nor the approved result" in text
    assert "a commit is pending on the device: its revert timer undoes it unless someone confirms it" in text


@pytest.mark.parametrize("lab", ["sqlite", "postgresql"], indirect=True)
def test_sigterm_beyond_the_grace_hands_the_change_over_and_the_next_start_resolves_it_at_once(fake_slack, lab):
    bot = Bot(fake_slack, lab, grace_s=1)
    try:
        thread_ts, change_id = propose_and_approve(bot, "committed")
        wait_until(lambda: hold(device_dir(lab), "committed").exists(), what="the device to be held after its commit")
        bot.proc.send_signal(signal.SIGTERM)
        fake_slack.wait_for(lambda s: "*handed_over*" in thread_text(s, thread_ts), timeout=30)
        hold(device_dir(lab), "committed", on=False)  # the hung session ends; the process can exit
        assert bot.proc.wait(timeout=30) == 0
    finally:
        if bot.proc.poll() is None:
            bot.kill()
    assert "during the applying step" in thread_text(fake_slack, thread_ts)
    assert rows(lab, "SELECT lease_until FROM change_proposals WHERE id = ?", change_id) == [(0.0,)]  # handed over
    state, text = outcome(fake_slack, lab, change_id, thread_ts)  # no lease to wait for
    assert state == "confirmed" and FIX in running(lab) and not pending(lab)


def test_sigterm_within_the_grace_lets_the_apply_finish(fake_slack, lab):
    bot = Bot(fake_slack, lab, grace_s=60)
    try:
        thread_ts, change_id = propose_and_approve(bot, "committed")
        wait_until(lambda: hold(device_dir(lab), "committed").exists(), what="the device to be held after its commit")
        bot.proc.send_signal(signal.SIGTERM)
        wait_until(lambda: not serving(bot.port), what="the shutdown to begin (the listener closed)")
        hold(device_dir(lab), "committed", on=False)
        assert bot.proc.wait(timeout=60) == 0
    finally:
        if bot.proc.poll() is None:
            bot.kill()
    assert rows(lab, "SELECT state FROM change_proposals WHERE id = ?", change_id) == [("confirmed",)]
    assert "*confirmed*" in thread_text(fake_slack, thread_ts) and "handed_over" not in thread_text(fake_slack, thread_ts)
    assert FIX in running(lab) and not pending(lab)
