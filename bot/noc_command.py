"""What the text of `/noc` asks for: help, the inventory (`inventory [refresh]`), or a question.

Two places read it: the listener, which answers help and the inventory at once and turns the
rest into a request (handlers/commands.py), and the journal, which keeps only the texts that
become requests (bot/durability/recovery.py). One grammar, so the two cannot disagree about
which `/noc` a crash may lose.
"""

from __future__ import annotations


def is_help(text: str) -> bool:
    return text.lower().split() in ([], ["help"])


def inventory_words(text: str) -> list[str] | None:
    """`inventory` or `inventory refresh` (the subcommand's words), else None."""
    words = text.lower().split()
    return words if words[:1] == ["inventory"] and words[1:] in ([], ["refresh"]) else None


def is_question(text: str) -> bool:
    """A `/noc` text that becomes a request: neither help nor the inventory."""
    return not is_help(text) and inventory_words(text) is None
