"""What every listener needs: the runtime from the Bolt context, and argument parsing helpers."""

from __future__ import annotations

import re

from bot.runtime import Runtime

_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]+)?>")


def runtime_of(context) -> Runtime:
    return context["runtime"]


def strip_mentions(text: str) -> str:
    """`<@U0BOT> why is ...` -> `why is ...`."""
    return _MENTION.sub("", text or "").strip()
