"""`/noc-audit all` shows how far the audit is, like `/noc-health` does: one line in the thread's
status message, "auditing n/total devices", rewritten through the coalesced status edits (not one
Slack call per device), ending at the total (issue 27's progress on long work, Slack side)."""

from __future__ import annotations

import json

import pytest

from tests.fakes.slack_api import BOT_ID, fake_slack, slash_command  # noqa: F401
from tests.harness.slack_bot import OPERATOR


@pytest.fixture
def bot_options():
    """The status message edited in place (slack.progress: edit)."""
    return {"progress": "edit"}


def status_texts(message: dict) -> list[str]:
    """The status message's text as posted and after each edit."""
    versions = [message] + list(message.get("edits") or [])
    return [(v.get("text") or "") + json.dumps(v.get("blocks") or []) for v in versions]


async def test_audit_of_every_device_shows_device_progress_in_its_status(bot, fake_slack):  # noqa: F811
    total = len(bot.runtime.toolbox.inventory)
    await bot.post(slash_command("/noc-audit", "all", user=OPERATOR))
    await bot.settle()
    [root] = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    thread = fake_slack.thread("C0NOC", root["ts"])
    status = next(m for m in thread if m.get("bot_id") == BOT_ID and "Audit" in (m.get("text") or "") + json.dumps(m.get("blocks")))
    versions = status_texts(status)
    assert any(f"auditing {total}/{total} devices" in v for v in versions), versions
    assert len(status.get("edits") or []) < total  # coalesced, not an edit per device
    assert "risk" in "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in thread).lower()


async def test_audit_of_one_device_has_no_device_count(bot, fake_slack):  # noqa: F811
    await bot.post(slash_command("/noc-audit", "branch-rtr-01", user=OPERATOR))
    await bot.settle()
    [root] = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    thread = fake_slack.thread("C0NOC", root["ts"])
    assert not any("devices" in v and "auditing" in v for m in thread for v in status_texts(m))
