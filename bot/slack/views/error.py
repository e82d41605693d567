"""The apology posted when a request fails."""

from __future__ import annotations

from typing import Any

from bot.slack.views.layout import MAX_FALLBACK_TEXT, section
from bot.slack.views.text import code_span, cut, escape


def render_error(request_id: str, what_failed: str) -> tuple[str, list[dict[str, Any]]]:
    """An apology that names what failed and the request id to grep the logs for."""
    what = what_failed.strip().rstrip(".") or "something went wrong"
    text = f":warning: Sorry, {escape(what)}. Request id: `{code_span(request_id)}`"
    fallback = cut(f"Sorry, {what}. Request id: {request_id}", MAX_FALLBACK_TEXT)
    return fallback, [section(text)]
