"""Slack or the store failing around a request never costs the user the answer, nor silence.

Failures are injected at the wire (the loopback Slack answering ok:false or 500) and in the real
database file (another connection holding SQLite's write lock), not by patching our functions.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.fakes.slack_api import (
    BOT_ID,
    app_mention_event,
    fake_slack,  # noqa: F401
    slash_command,
)
from tests.test_slack_app import start, texts


@pytest.fixture
async def bot(fake_slack, tmp_path):
    b = await start(fake_slack, tmp_path)
    yield b
    await b.running.stop(b.runtime)


def answers(fake, channel: str, ts: str) -> list[dict]:
    return [m for m in fake.thread(channel, ts) if m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


async def test_refused_status_post_does_not_stop_the_analysis(bot, fake_slack):
    fake_slack.fail("chat.postMessage", "internal_error", times=1)  # the status message
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    [answer] = answers(fake_slack, "C0NOC", event["event"]["ts"])
    assert "WAN congestion" in texts([answer])


async def test_answer_post_is_retried_until_slack_accepts_it(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    fake_slack.fail("chat.postMessage", "internal_error", times=1)  # status
    await bot.post(event)
    await bot.settle(idle_s=0.05)
    fake_slack.fail("chat.postMessage", "fatal_error", times=3, status=500)
    await bot.post(app_mention_event("and how is its cpu doing?", thread_ts=event["event"]["ts"], ts=None))
    await bot.settle()
    assert len(answers(fake_slack, "C0NOC", event["event"]["ts"])) == 2


async def test_slash_command_failure_after_the_ack_is_told_through_the_response_url(bot, fake_slack):
    fake_slack.fail("chat.postMessage", "internal_error", times=1)  # the root message of /noc
    status, _ = await bot.post(slash_command("/noc", "why is the branch office slow?"))
    assert status == 200
    await bot.settle()
    [told] = fake_slack.responses()
    assert "could not start" in json.dumps(told)


async def test_a_locked_database_does_not_cost_the_answer(bot, fake_slack, tmp_path):
    lock = sqlite3.connect(tmp_path / "noc.db", timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        event = app_mention_event("why is the branch office slow?")
        await bot.post(event)
        # the dedupe claim and the audit record fail while locked (after bounded retries); the answer still arrives
        await fake_slack.wait_for_async(lambda s: answers(s, "C0NOC", event["event"]["ts"]), timeout=60)
    finally:
        lock.rollback()
        lock.close()
    await bot.settle()  # and once the lock is gone the answer is stored too
    assert (await bot.runtime.store.answer(answers(fake_slack, "C0NOC", event["event"]["ts"])[0]["blocks"][-1]["elements"][0]["value"])) is not None

