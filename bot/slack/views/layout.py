"""Slack's limits, the block builders that respect them, and the flow of blocks into messages.

Why a module of its own: Slack rejects a whole message when one limit is broken (50 blocks,
3000 characters per section, 150 per header, 10 context elements of at most 2000 characters,
and about 12,000 characters of text across all blocks: `msg_blocks_too_long`), and a rejected message at 3 a.m. means the engineer sees
nothing. So every view builds small blocks that are within limits by construction and then
*flows* them into as many messages as needed: the main message keeps the header, the footer and
the buttons, and whatever does not fit continues in `overflow` messages (each marked
"(continued)") posted in the same thread. Nothing is dropped silently: a text too long for any
block (a generated config, an incident report, a long evidence list) becomes a file in
`attachments` (for `files_upload_v2`) and the message says where it went.

Every builder returns plain JSON-ready dicts (not slack_sdk objects) so callers can post, store
or compare them without the SDK.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.severity import Severity
from bot.slack.views.text import cut, escape, plural, split

# -- Slack limits (the SDK validates most of them; the total budget is ours) ------------------

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
# Text across one message's blocks. Slack documents 40,000 characters for `text`, but refuses
# blocks carrying far less in total with `msg_blocks_too_long`: rejected at 13,297 characters of
# markdown blocks and at 11,341 counted characters of section/header blocks (slackapi/bolt-js
# #2509, #2867; Slack's answer there: "12,000 text characters with a buffer for block
# containers"). 10,000 counted characters stays under every measurement with a margin.
MAX_MESSAGE_CHARS = 10_000
# Continuation messages in the thread before the rest of an answer goes into one file: a reader
# scrolls four messages, not forty, and each post is a paced Slack call.
MAX_CONTINUATIONS = 3
MAX_FALLBACK_TEXT = 300

# One rendered item (finding, recommendation, audit finding) may use at most this much of a
# section, leaving room for the group prefix ("*diagnosis* (continued)") packed in front of it.
ITEM_MAX = MAX_SECTION - 200
# Reserved in the main message for the "continued in the thread" pointer, and in each overflow
# message for its "(continued)" context, so packing never has to undo a decision.
POINTER_RESERVE = 300
CONTINUED_RESERVE = 300

SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.critical: ":red_circle:",
    Severity.high: ":large_orange_circle:",
    Severity.medium: ":large_yellow_circle:",
    Severity.low: ":large_blue_circle:",
    Severity.info: ":white_circle:",
}
SEVERITY_ORDER = (Severity.critical, Severity.high, Severity.medium, Severity.low, Severity.info)

STATUS_EMOJI = {
    "ok": ":white_check_mark:",
    "success": ":white_check_mark:",
    "partial": ":warning:",
    "degraded": ":warning:",
    "failed": ":x:",
    "failure": ":x:",
}


@dataclass
class RenderedAnswer:
    """One answer ready to post: the main message, its thread continuations and files.

    The poster sends `blocks` (with `text` as the notification/fallback), then each `overflow`
    message in the same thread, then uploads each `attachments` entry
    `(filename, title, content)` with `files_upload_v2` into that thread.
    """

    blocks: list[dict[str, Any]]
    text: str
    overflow: list[list[dict[str, Any]]] = field(default_factory=list)
    attachments: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def messages(self) -> list[list[dict[str, Any]]]:
        """Main message first, then the overflow messages, in posting order."""
        return [self.blocks, *self.overflow]


def severity_label(sev: Severity) -> str:
    return f"{SEVERITY_EMOJI[sev]} {sev.value.capitalize()}"


# -- blocks -----------------------------------------------------------------------------------


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION)}}


def fields(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": cut(t, MAX_FIELD_TEXT)} for t in texts[:MAX_FIELDS]],
    }


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, MAX_HEADER), "emoji": True}}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def context(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": cut(t, MAX_CONTEXT_TEXT)} for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def contexts(texts: Iterable[str]) -> list[dict[str, Any]]:
    """As many context blocks as needed: long texts split, at most 10 elements per block."""
    elements = [piece for t in texts for piece in split(t, MAX_CONTEXT_TEXT)]
    return [context(elements[i : i + MAX_CONTEXT_ELEMENTS]) for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


def button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": cut(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }


def text_chars(node: Any) -> int:
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else text_chars(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(text_chars(v) for v in node)
    return 0


def message_chars(blocks: Sequence[dict[str, Any]]) -> int:
    """Characters of text across `blocks`: what counts against the per-message budget."""
    return text_chars(list(blocks))


def fallback(emoji: str, label: str, line: str) -> str:
    return cut(f"{emoji} {label}: {escape(line)}", MAX_FALLBACK_TEXT)


# -- packing and flowing ----------------------------------------------------------------------


def pack(chunks: Iterable[str], first: str = "", cont: str = "", limit: int = MAX_SECTION) -> list[str]:
    """Join chunks (one finding, one recommendation...) into as few section texts as fit.

    Fewer, fuller sections keep long answers under the 50-block cap. Each section after the
    first starts with `cont` so a section read alone (e.g. in an overflow message) still says
    which group it belongs to. A chunk is never split unless it alone exceeds a section.
    """
    room = limit - max(len(first), len(cont)) - 1
    out: list[str] = []
    current, fresh = first, True
    for chunk in chunks:
        for piece in split(chunk, room) if len(chunk) > room else [chunk]:
            if not fresh and len(current) + 1 + len(piece) > limit:
                out.append(current)
                current, fresh = cont, True
            current = f"{current}\n{piece}" if current else piece
            fresh = False
    if not fresh:
        out.append(current)
    return out


class Files:
    """Attachments collected while rendering, with unique names and no duplicate contents.

    A generated config shows up both as a finding and as a recommendation's commands; the
    engineer should get one file, so content already attached (or contained in an attached
    file) returns the existing name.
    """

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []

    def add(self, filename: str, title: str, content: str) -> str:
        for name, _, existing in self.items:
            if content == existing or (len(content) > 200 and content in existing):
                return name
        name, n = filename, 2
        taken = {item[0] for item in self.items}
        stem, dot, ext = filename.rpartition(".")
        while name in taken:
            name = f"{stem}-{n}.{ext}" if dot else f"{filename}-{n}"
            n += 1
        self.items.append((name, title, content))
        return name


def unescape(text: str) -> str:
    """mrkdwn-escaped text back to what it says (for a file, which Slack does not parse)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text_of(blocks: Sequence[dict[str, Any]]) -> str:
    """The readable text of blocks, one block a paragraph: what a file holds instead of them."""
    parts: list[str] = []
    for block in blocks:
        texts = [block["text"]] if isinstance(block.get("text"), dict) else []
        texts += list(block.get("fields") or []) + [e for e in block.get("elements") or [] if isinstance(e.get("text"), str)]
        if block.get("type") == "divider":
            parts.append("---")
        elif texts:
            parts.append("\n".join(unescape(t["text"]) for t in texts if isinstance(t.get("text"), str)))
    return "\n\n".join(parts) + "\n"


def _smaller(block: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """`block` as blocks of at most `limit` characters each: a context's elements or a section's
    fields (up to 10 x 2000 characters, more than a message may carry) are dealt out over as many
    blocks of the same kind as needed. A block that is one text (<= 3000) is returned as is."""
    key = "elements" if block.get("type") == "context" else "fields" if block.get("fields") else None
    if key is None or text_chars(block) <= limit:
        return [block]
    out: list[dict[str, Any]] = []
    group: list[Any] = []
    for item in block[key]:
        if group and text_chars(group) + text_chars(item) > limit:
            out.append({**block, key: group})
            group = []
        group.append(item)
    out.append({**block, key: group})
    return [{k: v for k, v in b.items() if k != "block_id" or i == 0} for i, b in enumerate(out)]


def flow(
    head: list[dict[str, Any]],
    body: list[dict[str, Any]],
    tail: list[dict[str, Any]],
    *,
    label: str,
    files: Files | None = None,
    filename: str = "answer.txt",
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Lay `body` out after `head` and before `tail`, spilling into thread messages.

    `head` and `tail` (header, footer, buttons) stay in the main message. Body blocks are
    placed in order; when the next one would break the block count or the character budget a
    new message starts. Every block is already within its own limit, so each fits an empty one.
    With `files`, what would need more than `MAX_CONTINUATIONS` continuation messages goes into
    one file (`filename`) instead, and the last message says so.
    """
    main_blocks = MAX_BLOCKS - len(head) - len(tail) - 1
    main_chars = MAX_MESSAGE_CHARS - message_chars(head) - message_chars(tail) - POINTER_RESERVE
    pages: list[list[dict[str, Any]]] = [[]]
    used = 0
    body = [piece for block in body for piece in _smaller(block, MAX_MESSAGE_CHARS - CONTINUED_RESERVE)]
    for block in body:
        size = text_chars(block)
        max_blocks, max_chars = (
            (main_blocks, main_chars) if len(pages) == 1 else (MAX_BLOCKS - 1, MAX_MESSAGE_CHARS - CONTINUED_RESERVE)
        )
        if pages[-1] and (len(pages[-1]) + 1 > max_blocks or used + size > max_chars):
            pages.append([])
            used = 0
        if block["type"] == "divider" and not pages[-1] and len(pages) > 1:
            continue  # a continuation does not open with a rule
        pages[-1].append(block)
        used += size
    for page in pages:
        while page and page[-1]["type"] == "divider":
            page.pop()
    pages = [pages[0]] + [p for p in pages[1:] if p]
    attached = ""
    if files is not None and len(pages) - 1 > MAX_CONTINUATIONS:
        rest = [block for page in pages[MAX_CONTINUATIONS + 1:] for block in page]
        name = files.add(filename, f"{unescape(label)}: the rest", plain_text_of(rest))
        attached = f" :paperclip: The rest ({plural(len(rest), 'block')}) is attached as `{escape(name)}`."
        pages = pages[:MAX_CONTINUATIONS + 1]
    extra = len(pages) - 1
    main = list(head) + pages[0]
    if extra:
        main.append(context([f":thread: Continued in {plural(extra, 'more message')} in this thread.{attached}"]))
    main += tail
    total = extra + 1
    overflow = [
        [context([f":arrow_heading_down: _(continued)_ {label} · part {i} of {total}"]), *page]
        for i, page in enumerate(pages[1:], start=2)
    ]
    return main, overflow
