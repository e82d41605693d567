"""The live progress message, edited in place while a request runs."""

from __future__ import annotations

from typing import Any

from agents.progress import ProgressEvent
from bot.slack.views.layout import MAX_FALLBACK_TEXT, MAX_SECTION, STATUS_EMOJI, context, header, section
from bot.slack.views.progress_text import ProgressLine, describe
from bot.slack.views.text import cut, escape, plural

STATUS_LINES = 25  # progress lines shown in the live status message

_MARK = {
    "routed": ":compass:",
    "planned": ":clipboard:",
    "step_started": ":arrow_forward:",
    "tool_ok": ":heavy_check_mark:",
    "tool_failed": ":x:",
    "asked": ":speech_balloon:",
    "info": ":information_source:",
    "warning": ":warning:",
    "finished": ":checkered_flag:",
}


def _mark(line: ProgressLine) -> str:
    if line.kind == "step_finished":
        return STATUS_EMOJI.get(line.status, ":grey_question:")
    return _MARK[line.kind]


def progress_line(event: ProgressEvent, *, tools: bool = True) -> str | None:
    """One status line for a progress event (plain text; `render_status` escapes it).

    The Slack sink collects these and re-renders the status message with `render_status`;
    `tools=False` leaves out per-tool lines for a quieter channel. None = nothing to show.
    """
    line = describe(event, tools=tools)
    return f"{_mark(line)} {line.text}" if line else None


def render_status(lines: list[str], *, title: str, done: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The live progress message: `(fallback text, blocks)`.

    Shows only the last ~25 lines so the message stays readable while it is edited in place;
    the lines cut from the top are counted ("… 12 earlier steps") rather than hidden.
    """
    shown = [f"• {escape(cut(line.strip(), 200))}" for line in lines[-STATUS_LINES:]]
    hidden = len(lines) - len(shown)

    def text() -> str:
        more = [f"_… {plural(hidden, 'earlier step')}_"] if hidden else []
        return "\n".join(more + shown) or "_Starting…_"

    while len(text()) > MAX_SECTION and shown:
        shown.pop(0)
        hidden += 1
    mark = ":white_check_mark:" if done else ":hourglass_flowing_sand:"
    state = f"Done after {plural(len(lines), 'step')}" if done else f"Working… {plural(len(lines), 'step')} so far"
    blocks = [header(f"{mark} {escape(title)}"), section(text()), context([state])]
    last = lines[-1].strip() if lines else ("done" if done else "starting")
    return cut(f"{escape(title)}: {escape(last)}", MAX_FALLBACK_TEXT), blocks
