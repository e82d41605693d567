"""Slack or the store failing around a request never costs the user the answer, nor silence.

Failures are injected at the wire (the loopback Slack answering ok:false or 500) and in the real
database file (another connection holding SQLite's write lock), not by patching our functions.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from tests.fakes.slack_api import (
    BOT_ID,
    app_mention_event,
    fake_slack,  # noqa: F401
    slash_command,
)
from tests.harness.slack_bot import start, texts


def request_id_of(answer: dict) -> str:
    return next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]


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
    await bot.settle()
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
    assert (await bot.runtime.store.answer(request_id_of(answers(fake_slack, "C0NOC", event["event"]["ts"])[0]))) is not None



@pytest.mark.slow  # a 200-mention burst on a locked store: a load test, run with the fault suites (-m slow)
async def test_200_concurrent_mentions_with_the_database_locked_lose_no_answer(fake_slack, tmp_path):
    """The durable-state finding: under load, with SQLite's write lock held by another connection
    while the burst arrives, every request is answered in its thread and every answer is stored."""
    b = await start(fake_slack, tmp_path)
    try:
        lock = sqlite3.connect(tmp_path / "noc.db", timeout=0)
        lock.execute("BEGIN EXCLUSIVE")
        events = [app_mention_event(f"why is the branch office slow? ({i})") for i in range(200)]
        try:
            statuses = await asyncio.gather(*(b.post(e) for e in events))
            assert {s for s, _ in statuses} == {200}
            # answers are posted while the store is still locked: post first, store after
            await fake_slack.wait_for_async(lambda s: sum(bool(answers(s, "C0NOC", e["event"]["ts"])) for e in events) >= 50,
                                            timeout=120)
        finally:
            lock.rollback()
            lock.close()
        await fake_slack.wait_for_async(lambda s: all(answers(s, "C0NOC", e["event"]["ts"]) for e in events), timeout=240)
        await b.settle(timeout_s=120)
        assert all(len(answers(fake_slack, "C0NOC", e["event"]["ts"])) == 1 for e in events)
        assert await b.runtime.store.count("requests") == 200
        assert b.runtime.store_failures == 0
    finally:
        await b.running.stop(b.runtime)
