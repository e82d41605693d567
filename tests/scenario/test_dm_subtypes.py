"""Issue 12, finding 10: a DM with a file attached (`file_share`) or a thread reply also sent to the
conversation (`thread_broadcast`) is a person asking; it is answered like any other DM. Edits and
the bot's own messages still are not. Payload shapes follow Slack's message subtype reference."""

from __future__ import annotations

import pytest

from tests.fakes.slack_api import (
    dm_event,
    fake_slack,  # noqa: F401
)


@pytest.fixture
def bot_options():
    """The status message edited in place (slack.progress: edit), as in test_slack_app."""
    return {"progress": "edit"}


def _answers(fake) -> int:
    return len([c for c in fake.calls_to("chat.postMessage") if any(b.get("type") == "actions" for b in (c.args.get("blocks") or []))])


@pytest.mark.parametrize("subtype", ["file_share", "thread_broadcast"])
async def test_dm_subtypes_people_send_are_answered(bot, fake_slack, subtype):  # noqa: F811
    event = dm_event("is anything wrong with the network?", user="U123")
    event["event"]["subtype"] = subtype
    if subtype == "file_share":
        event["event"]["files"] = [{"id": "F0001", "name": "show-log.txt", "mimetype": "text/plain"}]
    else:
        event["event"]["thread_ts"] = event["event"]["ts"]
        event["event"]["root"] = {"text": "earlier question", "user": "U123", "ts": event["event"]["ts"]}
    await bot.post(event)
    await bot.settle()
    assert _answers(fake_slack) == 1


async def test_dm_edits_are_still_ignored(bot, fake_slack):  # noqa: F811
    event = dm_event("is anything wrong with the network?", user="U123")
    event["event"]["subtype"] = "message_changed"
    await bot.post(event)
    await bot.settle()
    assert _answers(fake_slack) == 0
