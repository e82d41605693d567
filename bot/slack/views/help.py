"""The command list (`/noc-help`)."""

from __future__ import annotations

from typing import Any

from bot.slack.views.layout import MAX_BLOCKS, MAX_MESSAGE_CHARS, POINTER_RESERVE, context, header, message_chars, pack, section
from bot.slack.views.text import code_span, escape, plural


def render_help(commands: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The command list, one line per command, packed into as few sections as fit.

    Help must be a single message, so if (absurdly) it cannot fit, the message says how many
    commands are not shown rather than failing to post.
    """
    blocks: list[dict[str, Any]] = [header(":robot_face: NOC bot commands")]
    chunks = [f"`{code_span(cmd)}` — {escape(desc)}" for cmd, desc in commands] or ["_No commands registered._"]
    sections = pack(chunks)
    used = message_chars(blocks)
    shown = 0
    for text in sections:
        if len(blocks) + 2 > MAX_BLOCKS or used + len(text) > MAX_MESSAGE_CHARS - POINTER_RESERVE:
            break
        blocks.append(section(text))
        used += len(text)
        shown += 1
    if shown < len(sections):
        hidden = sum(text.count("\n") + 1 for text in sections[shown:])
        blocks.append(context([f"_… {plural(hidden, 'more command')} not shown._"]))
    return blocks
