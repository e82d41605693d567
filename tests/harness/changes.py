"""Human-approved changes driven through the Slack app: ask as an operator, find the proposal in
the thread, click its buttons as a user, read the thread and the stored change."""

from __future__ import annotations

import json

from tests.fakes.slack_api import app_mention_event, block_action
from tests.harness.slack_bot import OPERATOR
from tests.harness.waiting import until as _poll

SECOND = "UOPS2"
QUESTION = "why is the branch office slow?"
DEVICE = "branch-rtr-01"


def proposals(fake, thread_ts: str) -> list[dict]:
    return [m for m in fake.thread("C0NOC", thread_ts)
            if any(e.get("action_id") == "noc_change_approve" for b in m.get("blocks") or [] if b["type"] == "actions"
                   for e in b["elements"])]


async def until(bot, found, what: str = "the bot's reply"):
    """What `found()` returns once the bot has handled everything it was sent (bot.settle)."""
    await bot.settle()
    return await _poll(found, timeout=30, what=what)


async def proposal_message(bot, fake, thread_ts: str) -> dict:
    return (await until(bot, lambda: proposals(fake, thread_ts), "a change proposal in the thread"))[0]


async def ask_as_operator(bot, fake, question: str = QUESTION) -> tuple[str, dict]:
    event = app_mention_event(question, user=OPERATOR)
    status, _ = await bot.post(event)
    assert status == 200
    thread_ts = event["event"]["ts"]
    return thread_ts, await proposal_message(bot, fake, thread_ts)


async def ask(bot, fake, question: str) -> tuple[str, str]:
    """Ask as an operator; the thread's text once the bot has answered."""
    event = app_mention_event(question, user=OPERATOR)
    await bot.post(event)
    ts = event["event"]["ts"]
    await until(bot, lambda: [m for m in fake.thread("C0NOC", ts) if "noc_rerun" in json.dumps(m.get("blocks") or [])], "the answer")
    await bot.settle()
    return ts, thread_text(fake, ts)


async def click(bot, fake, message: dict, thread_ts: str, user: str, action: str = "noc_change_approve",
                channel: str = "C0NOC") -> str:
    change_id = next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = len(fake.ephemerals)
    await bot.post(block_action(action, change_id, user=user, channel=channel, message_ts=message["ts"], thread_ts=thread_ts))
    told = await until(bot, lambda: [e for e in fake.ephemerals[before:] if e.get("user") == user], f"a reply to {user}")
    await bot.settle()
    return told[-1]["text"]


def thread_text(fake, thread_ts: str) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in fake.thread("C0NOC", thread_ts))


async def the_change(bot):
    [proposal] = await bot.runtime.store.changes()
    return proposal
