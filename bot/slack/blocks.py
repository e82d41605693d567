"""Block Kit rendering of answers, progress, errors, details, audits and help for Slack.

The public names other modules import; the views live in `bot.slack.views` (one module per message
kind, over `bot.slack.views.layout`, which knows Slack's limits and flows long answers into thread
messages and files). Every function returns plain JSON-ready dicts (not slack_sdk objects) so
callers can post, store or compare them without the SDK; tests round-trip each block through
`slack_sdk.models.blocks.Block.parse(...).validate_json()`.
"""

from __future__ import annotations

from bot.slack.views.answer import render_answer
from bot.slack.views.audit import render_audit
from bot.slack.views.details import render_details
from bot.slack.views.error import render_error
from bot.slack.views.help import render_help
from bot.slack.views.layout import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_HEADER,
    MAX_MESSAGE_CHARS,
    MAX_SECTION,
    SEVERITY_EMOJI,
    RenderedAnswer,
    message_chars,
)
from bot.slack.views.status import progress_line, render_status
from bot.slack.views.text import escape

__all__ = [
    "MAX_BLOCKS",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_CONTEXT_TEXT",
    "MAX_FALLBACK_TEXT",
    "MAX_HEADER",
    "MAX_MESSAGE_CHARS",
    "MAX_SECTION",
    "RenderedAnswer",
    "SEVERITY_EMOJI",
    "escape",
    "message_chars",
    "progress_line",
    "render_answer",
    "render_audit",
    "render_details",
    "render_error",
    "render_help",
    "render_status",
]
