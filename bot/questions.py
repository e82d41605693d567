"""Which Slack requests are questions: a mention, a person's DM, and a `/noc` text that is
neither help nor the inventory (`inventory [refresh]`).

Two places ask: the listeners, which answer the rest at once and turn questions into requests
(handlers/mentions.py, handlers/commands.py), and the journal, which keeps only what becomes a
request (bot/durability/recovery.py). One answer, so the two cannot disagree about what a crash
may lose.
"""

from __future__ import annotations

from typing import Any

# Message subtypes that are still a person writing to the bot: a DM with an attached file, and a
# thread reply also sent to the conversation. Other subtypes (edits, deletions, joins, bot posts)
# are not questions.
QUESTION_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})


def person_dm(event: dict[str, Any]) -> bool:
    """A message event that is a person's DM to the bot (not its own, not an edit)."""
    return event.get("channel_type") == "im" and not event.get("bot_id") and event.get("subtype") in QUESTION_SUBTYPES


def is_help(text: str) -> bool:
    return text.lower().split() in ([], ["help"])


def inventory_words(text: str) -> list[str] | None:
    """`inventory` or `inventory refresh` (the subcommand's words), else None."""
    words = text.lower().split()
    return words if words[:1] == ["inventory"] and words[1:] in ([], ["refresh"]) else None


def is_question(text: str) -> bool:
    """A `/noc` text that becomes a request: neither help nor the inventory."""
    return not is_help(text) and inventory_words(text) is None
