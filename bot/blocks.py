"""Block Kit rendering of answers, progress, errors, details, audits and help for Slack.

Why a module of its own: Slack rejects a whole message when one limit is broken (50 blocks,
3000 characters per section, 150 per header, 10 context elements of at most 2000 characters,
about 40,000 characters in total), and a rejected message at 3 a.m. means the engineer sees
nothing. So every renderer here builds small blocks that are within limits by construction and
then *flows* them into as many messages as needed: the main message keeps the header, the
footer and the buttons, and whatever does not fit continues in `overflow` messages (each marked
"(continued)") posted in the same thread. Nothing is dropped silently: a text too long for any
block (a generated config, an incident report, a long evidence list) becomes a file in
`attachments` (for `files_upload_v2`) and the message says where it went.

Every public function returns plain JSON-ready dicts (not slack_sdk objects) so callers can
post, store or compare them without the SDK; tests round-trip each block through
`slack_sdk.models.blocks.Block.parse(...).validate_json()`.

All text that came from people, devices or models is mrkdwn-escaped (`&`, `<`, `>`), so a
redacted secret shows as the literal `<redacted>` instead of vanishing as a bogus link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.models import AgentResponse, Answer, Finding, Recommendation
from agents.progress import (
    AgentAsked,
    Finished,
    Notice,
    Planned,
    ProgressEvent,
    Routed,
    StepFinished,
    StepStarted,
    ToolCalled,
)
from agents.severity import Severity
from agents.tools.audit import AuditFinding
from agents.tools.results import SecurityScan

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

# -- Slack limits (the SDK validates most of them; the total budget is ours) ------------------

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BUTTON_TEXT = 75
# Slack allows 40,000 characters; we keep a margin for JSON overhead and the fallback text.
MAX_MESSAGE_CHARS = 38000
MAX_FALLBACK_TEXT = 300

STATUS_LINES = 25  # progress lines shown in the live status message
REPORT_PREVIEW_LINES = 10  # incident report lines shown inline (the full report is a file)
MAX_SUMMARY_SECTIONS = 3  # beyond this a summary is a file, not a wall of text
AUDIT_EVIDENCE_LINES = 6

# One rendered item (finding, recommendation, audit finding) may use at most this much of a
# section, leaving room for the group prefix ("*diagnosis* (continued)") packed in front of it.
_ITEM_MAX = MAX_SECTION - 200
# Reserved in the main message for the "continued in the thread" pointer, and in each overflow
# message for its "(continued)" context, so packing never has to undo a decision.
_POINTER_RESERVE = 300
_CONTINUED_RESERVE = 300

SEVERITY_EMOJI: dict[Severity, str] = {
    Severity.critical: ":red_circle:",
    Severity.high: ":large_orange_circle:",
    Severity.medium: ":large_yellow_circle:",
    Severity.low: ":large_blue_circle:",
    Severity.info: ":white_circle:",
}

_AUTOMATION_LABEL = {"auto": "safe to automate", "review": "human review", "human": "human decision"}
_STATUS_EMOJI = {
    "ok": ":white_check_mark:",
    "success": ":white_check_mark:",
    "partial": ":warning:",
    "degraded": ":warning:",
    "failed": ":x:",
    "failure": ":x:",
}
# What the answer is about, by primary specialist: the header is read before anything else.
_TOPIC = {
    "diagnosis": "Root cause analysis",
    "config": "Configuration",
    "security": "Security review",
    "performance": "Performance",
    "documentation": "Documentation",
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


# -- text helpers -----------------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` for Slack mrkdwn.

    Slack reads `<...>` as links/mentions and `&...;` as entities; without escaping, a redacted
    `<redacted>` disappears and `a & b` can be mangled.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def _safe_cut_point(text: str, limit: int) -> int:
    """An index <= limit that does not split an escape entity like `&amp;` in two."""
    m = _PARTIAL_ENTITY.search(text[:limit])
    return m.start() if m and m.start() > 0 else limit


def _cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters with a trailing ellipsis, preferring a word break."""
    if len(text) <= limit:
        return text
    end = _safe_cut_point(text, limit - 1)
    space = text.rfind(" ", int(end * 0.8), end)
    if space > 0:
        end = space
    return text[:end].rstrip() + "…"


def _split_line(line: str, limit: int) -> list[str]:
    """One over-long line in pieces of at most `limit`, at spaces where possible."""
    pieces: list[str] = []
    while len(line) > limit:
        cut = line.rfind(" ", limit // 2, limit + 1)
        if cut <= 0:
            cut = _safe_cut_point(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        else:
            pieces.append(line[:cut])
            line = line[cut + 1 :]
    pieces.append(line)
    return pieces


def _split(text: str, limit: int) -> list[str]:
    """`text` in chunks of at most `limit` characters, broken at line ends, then at spaces.

    Readers skim by line, so a line is only broken when it alone is longer than `limit`.
    Chunks that would be blank are left out (Slack rejects empty section text).
    """
    chunks: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for part in _split_line(line, limit):
            if current is None:
                current = part
            elif len(current) + 1 + len(part) <= limit:
                current += "\n" + part
            else:
                chunks.append(current)
                current = part
    if current is not None:
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def _code_span(text: str) -> str:
    """Inline code: escaped, and without backticks (Slack has no way to escape them inside)."""
    return escape(text).replace("`", "'")


def _code_block(lines: Iterable[str]) -> str:
    """A ``` block with escaped content; a stray ``` inside is broken so it cannot close it."""
    body = "\n".join(escape(line.rstrip()) for line in lines).replace("```", "`\u200b``")
    return f"```\n{body or ' '}\n```"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _pct(value: float) -> str:
    return f"{round(value * 100)}%"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- blocks -----------------------------------------------------------------------------------


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION)}}


def _fields(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": _cut(t, MAX_FIELD_TEXT)} for t in texts[:MAX_FIELDS]],
    }


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _cut(text, MAX_HEADER), "emoji": True}}


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _context(texts: Sequence[str]) -> dict[str, Any]:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": _cut(t, MAX_CONTEXT_TEXT)} for t in texts[:MAX_CONTEXT_ELEMENTS]],
    }


def _contexts(texts: Iterable[str]) -> list[dict[str, Any]]:
    """As many context blocks as needed: long texts split, at most 10 elements per block."""
    elements = [piece for t in texts for piece in _split(t, MAX_CONTEXT_TEXT)]
    return [_context(elements[i : i + MAX_CONTEXT_ELEMENTS]) for i in range(0, len(elements), MAX_CONTEXT_ELEMENTS)]


def _button(text: str, action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(text, MAX_BUTTON_TEXT), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }


def _actions(request_id: str) -> dict[str, Any]:
    """Feedback, re-run and details buttons; every value is the request id the handlers need."""
    return {
        "type": "actions",
        "block_id": "noc_actions",
        "elements": [
            _button(":thumbsup: Helpful", "noc_feedback_up", request_id),
            _button(":thumbsdown: Not helpful", "noc_feedback_down", request_id),
            _button(":repeat: Re-run", "noc_rerun", request_id),
            _button(":mag: Show details", "noc_details", request_id),
        ],
    }


def _text_chars(node: Any) -> int:
    if isinstance(node, dict):
        return sum(len(v) if k == "text" and isinstance(v, str) else _text_chars(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(_text_chars(v) for v in node)
    return 0


def message_chars(blocks: Sequence[dict[str, Any]]) -> int:
    """Characters of text across `blocks`: what counts against the per-message budget."""
    return _text_chars(list(blocks))


def _pack(chunks: Iterable[str], first: str = "", cont: str = "", limit: int = MAX_SECTION) -> list[str]:
    """Join chunks (one finding, one recommendation...) into as few section texts as fit.

    Fewer, fuller sections keep long answers under the 50-block cap. Each section after the
    first starts with `cont` so a section read alone (e.g. in an overflow message) still says
    which group it belongs to. A chunk is never split unless it alone exceeds a section.
    """
    room = limit - max(len(first), len(cont)) - 1
    out: list[str] = []
    current, fresh = first, True
    for chunk in chunks:
        for piece in _split(chunk, room) if len(chunk) > room else [chunk]:
            if not fresh and len(current) + 1 + len(piece) > limit:
                out.append(current)
                current, fresh = cont, True
            current = f"{current}\n{piece}" if current else piece
            fresh = False
    if not fresh:
        out.append(current)
    return out


class _Files:
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


def _flow(
    head: list[dict[str, Any]],
    body: list[dict[str, Any]],
    tail: list[dict[str, Any]],
    *,
    label: str,
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """Lay `body` out after `head` and before `tail`, spilling into thread messages.

    `head` and `tail` (header, footer, buttons) stay in the main message. Body blocks are
    placed in order; when the next one would break the block count or the character budget a
    new message starts. Every block is already within its own limit, so each fits an empty one.
    """
    main_blocks = MAX_BLOCKS - len(head) - len(tail) - 1
    main_chars = MAX_MESSAGE_CHARS - message_chars(head) - message_chars(tail) - _POINTER_RESERVE
    pages: list[list[dict[str, Any]]] = [[]]
    used = 0
    for block in body:
        size = _text_chars(block)
        max_blocks, max_chars = (
            (main_blocks, main_chars) if len(pages) == 1 else (MAX_BLOCKS - 1, MAX_MESSAGE_CHARS - _CONTINUED_RESERVE)
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
    extra = len(pages) - 1
    main = list(head) + pages[0]
    if extra:
        main.append(_context([f":thread: Continued in {_plural(extra, 'more message')} in this thread."]))
    main += tail
    total = extra + 1
    overflow = [
        [_context([f":arrow_heading_down: _(continued)_ {label} · part {i} of {total}"]), *page]
        for i, page in enumerate(pages[1:], start=2)
    ]
    return main, overflow


# -- answers ----------------------------------------------------------------------------------


def _severity_label(sev: Severity) -> str:
    return f"{SEVERITY_EMOJI[sev]} {sev.value.capitalize()}"


def _finding_chunk(f: Finding, request_id: str, files: _Files) -> str:
    """`• [HIGH] text`, extra lines as a code block; too long for a section -> a file."""
    label = f"[{f.severity.value.upper()}]"
    first, *rest = f.text.split("\n") if f.text else [""]
    where = f" _({escape(f.device)})_" if f.device and f.device not in first else ""
    chunk = f"• {label} {escape(first)}{where}"
    if any(line.strip() for line in rest):
        chunk += "\n" + _code_block(rest)
    if len(chunk) <= _ITEM_MAX:
        return chunk
    name = files.add(f"{f.agent}-details-{request_id}.txt", f"{f.agent}: {_cut(first, 80)}", f.text)
    return (
        f"• {label} {escape(_cut(first, 500))}{where}\n"
        f"      :paperclip: Full text ({len(f.text):,} characters) attached as a file: `{_code_span(name)}`"
    )


def _recommendation_chunk(n: int, r: Recommendation, request_id: str, files: _Files) -> str:
    """`*n.* text` with device and agent, commands in a code block; too long -> a file."""
    meta = []
    if r.device:
        meta.append(f"on `{_code_span(r.device)}`")
    meta.append(f"_{escape(r.agent)}_")
    head = f"*{n}.* {escape(r.text)} — {' · '.join(meta)}"
    chunk = head + ("\n" + _code_block(r.commands) if r.commands else "")
    if len(chunk) <= _ITEM_MAX:
        return chunk
    commands = "\n".join(r.commands)
    long_text = len(escape(r.text)) > 1000
    content = f"{r.text}\n\n{commands}".strip() if long_text or not commands else commands
    name = files.add(f"{r.agent}-commands-{request_id}.txt", f"{r.agent}: {_cut(r.text, 80)}", content)
    lines = _plural(len(r.commands), "command line")
    if long_text or not r.commands:
        what = "Full recommendation" + (f" and {lines}" if r.commands else "")
    else:
        what = lines
    return (
        f"*{n}.* {escape(_cut(r.text, 500))} — {' · '.join(meta)}\n"
        f"      :paperclip: {what} attached as a file: `{_code_span(name)}`"
    )


def _grouped_findings(answer: Answer) -> list[tuple[str, list[Finding]]]:
    """Findings per agent, groups and findings worst first; the primary agent wins ties."""
    groups: dict[str, list[Finding]] = {}
    for f in answer.findings:
        groups.setdefault(f.agent, []).append(f)
    order = list(groups)
    primary = answer.primary.value

    def key(agent: str) -> tuple[int, int, int]:
        worst = Severity.worst([f.severity for f in groups[agent]])
        return (-worst.rank, 0 if agent == primary else 1, order.index(agent))

    return [(a, sorted(groups[a], key=lambda f: -f.severity.rank)) for a in sorted(groups, key=key)]


def _incident_blocks(answer: Answer, request_id: str, files: _Files) -> list[dict[str, Any]]:
    """The documentation agent's incident report: always a file, plus its first lines inline."""
    blocks = []
    for resp in answer.responses:
        report = resp.result.get("incident_report") if isinstance(resp.result, dict) else None
        if not isinstance(report, str) or not report.strip():
            continue
        name = files.add(f"incident-report-{request_id}.md", "Incident report", report)
        lines = report.splitlines()
        preview = [_cut(line, 240) for line in lines[:REPORT_PREVIEW_LINES]]
        text = (
            f":memo: *Incident report* — Full incident report attached as a file: `{_code_span(name)}`\n"
            + _code_block(preview)
        )
        if len(lines) > REPORT_PREVIEW_LINES:
            text += f"\n_… {_plural(len(lines) - REPORT_PREVIEW_LINES, 'more line')} in the file_"
        blocks.append(_section(text))
    return blocks


def _summary_blocks(answer: Answer, request_id: str, files: _Files) -> list[dict[str, Any]]:
    """The summary, split at line ends across sections; a very long one also becomes a file."""
    pieces = _split(escape(answer.summary.strip()), MAX_SECTION) or ["_No summary._"]
    if len(pieces) <= MAX_SUMMARY_SECTIONS:
        return [_section(p) for p in pieces]
    name = files.add(f"summary-{request_id}.md", "Full summary", answer.summary)
    shown = pieces[: MAX_SUMMARY_SECTIONS - 1]
    return [_section(p) for p in shown] + [
        _context([f":paperclip: The summary continues in the attached file `{_code_span(name)}`."])
    ]


def _failed_blocks(answer: Answer) -> list[dict[str, Any]]:
    if not answer.failed_agents:
        return []
    lines = []
    for agent in answer.failed_agents:
        error = next((r.error for r in answer.responses if r.agent.value == agent and r.error), None)
        lines.append(f"• *{escape(agent)}*" + (f": {escape(_cut(error, 400))}" if error else ""))
    return [_section(t) for t in _pack(lines, ":x: *Failed agents*", ":x: *Failed agents* (continued)")]


def _footer(answer: Answer, request_id: str) -> dict[str, Any]:
    u = answer.usage
    engines = sorted({r.engine for r in answer.responses})
    parts = [
        f"Agents: {escape(', '.join(s.value for s in answer.specialists) or '-')}",
        f"{answer.duration_s:.1f}s",
        _plural(u.llm_calls, "LLM call"),
        f"{u.input_tokens + u.output_tokens:,} tokens ({u.input_tokens:,} in + {u.output_tokens:,} out)",
        f"${u.cost_usd:.4f}",
    ]
    if engines:
        parts.append(f"engine: {escape(', '.join(engines))}")
    parts.append(f"request `{_code_span(request_id)}`")
    return _context([" · ".join(parts)])


def _fallback(emoji: str, label: str, line: str) -> str:
    return _cut(f"{emoji} {label}: {escape(line)}", MAX_FALLBACK_TEXT)


def render_answer(answer: Answer, *, request_id: str | None = None, with_buttons: bool = True) -> RenderedAnswer:
    """The supervisor's answer as a Slack message (plus thread continuations and files).

    Order is what a NOC engineer needs first: severity and topic in the header, the summary,
    severity/confidence/status at a glance, warnings, then findings (worst first, per agent)
    and numbered recommendations with copy-pasteable commands, then cost and buttons.
    """
    rid = request_id or answer.request_id
    files = _Files()
    sev = answer.severity
    topic = _TOPIC.get(answer.primary.value, "NOC answer")
    head = [_header(f"{SEVERITY_EMOJI[sev]} {sev.value.upper()} · {topic}")]

    body: list[dict[str, Any]] = _summary_blocks(answer, rid, files)
    status = f"{_STATUS_EMOJI.get(answer.status, '')} {answer.status}".strip()
    if answer.status in ("partial", "degraded") and answer.notices:
        status += " — see notices"
    fields = [
        f"*Severity*\n{_severity_label(sev)}",
        f"*Confidence*\n{_pct(answer.confidence)} · {_AUTOMATION_LABEL.get(answer.automation, answer.automation)}",
        f"*Status*\n{status}",
        f"*Devices*\n{escape(', '.join(answer.devices)) if answer.devices else '_none named_'}",
    ]
    body.append(_fields(fields))
    notices = [f":warning: {escape(n)}" for n in answer.notices]
    if not notices and answer.status in ("partial", "degraded"):
        notices = [f":warning: The answer is {answer.status}: not every agent completed its work."]
    body += _contexts(notices)
    body += _failed_blocks(answer)
    body += _incident_blocks(answer, rid, files)

    if answer.findings:
        body.append(_divider())
        title = f":mag: *Findings* ({len(answer.findings)})"
        for i, (agent, findings) in enumerate(_grouped_findings(answer)):
            group = f"*{escape(agent)}*"
            chunks = [_finding_chunk(f, rid, files) for f in findings]
            first = f"{title}\n{group}" if i == 0 else group
            body += [_section(t) for t in _pack(chunks, first, f"{group} (continued)")]

    if answer.recommendations:
        body.append(_divider())
        recs = sorted(answer.recommendations, key=lambda r: r.priority)
        chunks = [_recommendation_chunk(n, r, rid, files) for n, r in enumerate(recs, start=1)]
        title = f":wrench: *Recommendations* ({len(recs)})"
        body += [_section(t) for t in _pack(chunks, title, ":wrench: *Recommendations* (continued)")]

    tail = [_footer(answer, rid)]
    if with_buttons:
        tail.append(_actions(rid))
    blocks, overflow = _flow(head, body, tail, label=f"NOC answer `{_code_span(rid)}`")
    text = _fallback(SEVERITY_EMOJI[sev], sev.value.upper(), _first_line(answer.summary) or topic)
    return RenderedAnswer(blocks=blocks, text=text, overflow=overflow, attachments=files.items)


# -- progress ---------------------------------------------------------------------------------


def progress_line(event: ProgressEvent, *, tools: bool = True) -> str | None:
    """One status line for a progress event (plain text; `render_status` escapes it).

    The Slack sink collects these and re-renders the status message with `render_status`;
    `tools=False` leaves out per-tool lines for a quieter channel. None = nothing to show.
    """
    if isinstance(event, Routed):
        devices = f" · devices: {', '.join(event.devices)}" if event.devices else ""
        return f":compass: Routed to {event.primary} (specialists: {', '.join(event.specialists)}){devices}"
    if isinstance(event, Planned):
        phases = " → ".join(", ".join(p) for p in event.phases) or ", ".join(event.steps)
        return f":clipboard: Plan ({event.mode}): {phases}"
    if isinstance(event, StepStarted):
        return f":arrow_forward: {event.agent} started ({event.step})"
    if isinstance(event, ToolCalled):
        if not tools:
            return None
        mark = ":heavy_check_mark:" if event.ok else ":x:"
        where = f" on {event.device}" if event.device else ""
        return f"{mark} {event.agent}: {event.tool}{where} ({event.duration_s * 1000:.0f} ms)"
    if isinstance(event, StepFinished):
        mark = _STATUS_EMOJI.get(event.status, ":grey_question:")
        summary = f": {_cut(event.summary, 140)}" if event.summary else ""
        return f"{mark} {event.agent} {event.status} in {event.duration_s:.1f}s{summary}"
    if isinstance(event, AgentAsked):
        return f":speech_balloon: {event.from_agent} asked {event.to_agent}: {event.outcome}"
    if isinstance(event, Notice):
        mark = ":information_source:" if event.level == "info" else ":warning:"
        return f"{mark} {event.text}"
    if isinstance(event, Finished):
        return f":checkered_flag: Finished: {event.status} in {event.duration_s:.1f}s"
    return None


def render_status(lines: list[str], *, title: str, done: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The live progress message: `(fallback text, blocks)`.

    Shows only the last ~25 lines so the message stays readable while it is edited in place;
    the lines cut from the top are counted ("… 12 earlier steps") rather than hidden.
    """
    shown = [f"• {escape(_cut(line.strip(), 200))}" for line in lines[-STATUS_LINES:]]
    cut = len(lines) - len(shown)

    def text() -> str:
        more = [f"_… {_plural(cut, 'earlier step')}_"] if cut else []
        return "\n".join(more + shown) or "_Starting…_"

    while len(text()) > MAX_SECTION and shown:
        shown.pop(0)
        cut += 1
    mark = ":white_check_mark:" if done else ":hourglass_flowing_sand:"
    state = f"Done after {_plural(len(lines), 'step')}" if done else f"Working… {_plural(len(lines), 'step')} so far"
    blocks = [_header(f"{mark} {title}"), _section(text()), _context([state])]
    last = lines[-1].strip() if lines else ("done" if done else "starting")
    return _cut(f"{title}: {last}", MAX_FALLBACK_TEXT), blocks


def render_error(request_id: str, what_failed: str) -> tuple[str, list[dict[str, Any]]]:
    """An apology that names what failed and the request id to grep the logs for."""
    what = what_failed.strip().rstrip(".") or "something went wrong"
    text = f":warning: Sorry, {escape(what)}. Request id: `{_code_span(request_id)}`"
    fallback = _cut(f"Sorry, {what}. Request id: {request_id}", MAX_FALLBACK_TEXT)
    return fallback, [_section(text)]


# -- details ----------------------------------------------------------------------------------


def _detail_lines(resp: AgentResponse) -> list[tuple[str, str]]:
    """(mrkdwn, plain) line pairs for one agent: the plain form goes into the file when long."""
    u = resp.usage
    mark = _STATUS_EMOJI.get(resp.status, "")
    stats = f"engine {resp.engine} · confidence {_pct(resp.confidence)} · {resp.duration_s:.2f}s"
    if u.llm_calls:
        stats += f" · {_plural(u.llm_calls, 'LLM call')}, {u.input_tokens + u.output_tokens:,} tokens, ${u.cost_usd:.4f}"
    out = [
        (f"*{escape(resp.agent.value)}* — {mark} {resp.status} · {escape(stats)}", f"{resp.agent.value}: {resp.status} · {stats}"),
        (f"_Task:_ {escape(_cut(resp.task, 300))}", f"Task: {resp.task}"),
    ]
    if resp.summary:
        out.append((f"_Summary:_ {escape(_cut(resp.summary, 500))}", f"Summary: {resp.summary}"))
    if resp.error:
        out.append((f":x: {escape(_cut(resp.error, 500))}", f"Error: {resp.error}"))
    if resp.degraded:
        out.append((f":warning: {escape(_cut(resp.degraded, 500))}", f"Degraded: {resp.degraded}"))
    if resp.evidence:
        out.append((f"_Evidence ({len(resp.evidence)}):_", f"Evidence ({len(resp.evidence)}):"))
    for e in resp.evidence:
        ok = ":heavy_check_mark:" if e.ok else ":x:"
        device = f" {escape(e.device)}" if e.device else ""
        out.append(
            (
                f"• {ok} `{_code_span(e.tool)}`{device} — {escape(_cut(e.summary, 300))} _({e.duration_s:.2f}s)_",
                f"  [{'ok' if e.ok else 'FAILED'}] {e.tool} {e.device or ''} ({e.duration_s:.2f}s): {e.summary}",
            )
        )
    if resp.requests:
        out.append((f"_Data requests ({len(resp.requests)}):_", f"Data requests ({len(resp.requests)}):"))
    for d in resp.requests:
        chain = " → ".join(d.chain) or f"{d.from_agent} → {d.to_agent}"
        reason = f" ({d.reason})" if d.reason else ""
        out.append(
            (
                f"• {escape(chain)}: *{d.outcome}*{escape(_cut(reason, 200))} — {escape(_cut(d.instruction, 200))}",
                f"  {chain}: {d.outcome}{reason} - {d.instruction}",
            )
        )
    return out


def render_details(answer: Answer) -> RenderedAnswer:
    """The "Show details" view: per agent its status, engine, confidence, time, evidence and
    data requests, so an engineer can check what the answer rests on.

    An agent whose details do not fit one section gets them as a file
    (`<agent>-details-<request_id>.txt`), with as many lines as fit shown inline.
    """
    rid = answer.request_id
    files = _Files()
    head = [_header(f":mag: Details · request {rid}")]
    body: list[dict[str, Any]] = [_context([f"_Question:_ {escape(_cut(answer.question, 1500))}"])]
    overview = []
    if answer.plan is not None:
        phases = " → ".join(", ".join(p) for p in answer.plan.phases) or ", ".join(s.id for s in answer.plan.steps)
        reason = f" — {escape(_cut(answer.plan.reason, 300))}" if answer.plan.reason else ""
        overview.append(f"*Plan* ({escape(answer.plan.mode.value)}): {escape(phases)}{reason}")
    if answer.severity_votes:
        votes = ", ".join(f"{a}={s}" for a, s in answer.severity_votes.items())
        overview.append(f"*Severity votes:* {escape(votes)} → {_severity_label(answer.severity)}")
    if overview:
        body += [_section(t) for t in _pack(overview)]

    evidence_total = 0
    for resp in answer.responses:
        evidence_total += len(resp.evidence)
        lines = _detail_lines(resp)
        rendered = "\n".join(m for m, _ in lines)
        if len(rendered) <= MAX_SECTION:
            body.append(_section(rendered))
            continue
        name = files.add(
            f"{resp.agent.value}-details-{rid}.txt", f"{resp.agent.value} details", "\n".join(p for _, p in lines)
        )
        shown: list[str] = []
        for m, _ in lines:
            if len("\n".join([*shown, m])) > MAX_SECTION - 200:
                break
            shown.append(m)
        rest = len(lines) - len(shown)
        shown.append(f":paperclip: {_plural(rest, 'more line')} in the attached file `{_code_span(name)}`")
        body.append(_section("\n".join(shown)))
    if not answer.responses:
        body.append(_section("_No agent responses recorded._"))

    u = answer.usage
    tail = [
        _context(
            [
                f"{answer.duration_s:.1f}s · {_plural(u.llm_calls, 'LLM call')} · "
                f"{u.input_tokens + u.output_tokens:,} tokens · ${u.cost_usd:.4f} · request `{_code_span(rid)}`"
            ]
        )
    ]
    blocks, overflow = _flow(head, body, tail, label=f"details `{_code_span(rid)}`")
    text = _cut(
        f"Details for request {rid}: {_plural(len(answer.responses), 'agent')}, {_plural(evidence_total, 'tool call')}",
        MAX_FALLBACK_TEXT,
    )
    return RenderedAnswer(blocks=blocks, text=text, overflow=overflow, attachments=files.items)


# -- audit ------------------------------------------------------------------------------------

_SEVERITY_ORDER = (Severity.critical, Severity.high, Severity.medium, Severity.low, Severity.info)


def _counts_text(scan: SecurityScan) -> str:
    return ", ".join(f"{scan.counts[s.value]} {s.value}" for s in _SEVERITY_ORDER if scan.counts.get(s.value))


def _audit_chunk(f: AuditFinding, mark_cut: Callable[[], None]) -> str:
    """One audit finding: evidence as code spans, remediation as a code block.

    Long evidence/remediation is shortened here and `mark_cut` is called, so the caller
    attaches the full report instead of silently dropping lines.
    """
    tags = f"; {', '.join(f.tags)}" if f.tags else ""
    lines = [
        f"{SEVERITY_EMOJI[f.severity]} *[{f.severity.value.upper()}]* *{escape(f.rule_id)}* {escape(f.title)} "
        f"_({escape(f.reference)}{escape(tags)})_"
    ]
    for ev in f.evidence[:AUDIT_EVIDENCE_LINES]:
        ev = ev.strip()
        if len(ev) > 200:
            mark_cut()
        lines.append(f"      `{_code_span(_cut(ev, 200))}`" if ev else "")
    if len(f.evidence) > AUDIT_EVIDENCE_LINES:
        mark_cut()
        more = len(f.evidence) - AUDIT_EVIDENCE_LINES
        lines.append(f"      _… {_plural(more, 'more evidence line')} in the attached report_")
    if f.remediation:
        remediation = list(f.remediation)
        if sum(len(r) + 1 for r in remediation) > 1200:
            mark_cut()
            kept: list[str] = []
            for r in remediation:
                if sum(len(k) + 1 for k in kept) + len(r) > 1100:
                    break
                kept.append(r)
            remediation = [*kept, "... (see the attached report)"]
        lines.append("Fix:\n" + _code_block(remediation))
    chunk = "\n".join(line for line in lines if line)
    if len(chunk) > _ITEM_MAX:
        mark_cut()
        chunk = _cut(chunk, _ITEM_MAX)
    return chunk


def _audit_full_text(scans: list[SecurityScan], tags: list[str]) -> str:
    """The whole audit as plain text, every evidence and remediation line, for the file."""
    out = [f"Config audit ({', '.join(tags) if tags else 'all rules'})", ""]
    for scan in scans:
        if not scan.ok:
            out += [f"{scan.device}: NOT AUDITED - {scan.error.message if scan.error else 'unknown error'}", ""]
            continue
        out.append(f"{scan.device} ({scan.os}) risk {scan.risk_score}/100 - {len(scan.findings)} finding(s)")
        for f in sorted(scan.findings, key=lambda f: -f.severity.rank):
            out.append(f"  [{f.severity.value.upper()}] {f.rule_id} {f.title} ({f.reference}; {', '.join(f.tags)})")
            out += [f"      > {line}" for line in f.evidence]
            if f.remediation:
                out.append("      fix:")
                out += [f"        {line}" for line in f.remediation]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_audit(scans: list[SecurityScan], tags: list[str]) -> RenderedAnswer:
    """`/noc-audit` results: devices by risk score, each device's findings worst first.

    Evidence lines are code spans (they are config lines, already redacted) and remediation
    is a code block ready to paste. Anything shortened to fit makes the full report a file.
    """
    files = _Files()
    cut = False

    def mark_cut() -> None:
        nonlocal cut
        cut = True

    scope = ", ".join(tags) if tags else "all rules"
    head = [_header(f":shield: Config audit · {scope}")]
    ok = [s for s in scans if s.ok]
    failed = [s for s in scans if not s.ok]
    total = sum(len(s.findings) for s in ok)
    worst = max(ok, key=lambda s: s.risk_score, default=None)
    overall: dict[str, int] = {}
    for s in ok:
        for f in s.findings:
            overall[f.severity.value] = overall.get(f.severity.value, 0) + 1
    counts = ", ".join(f"{overall[s.value]} {s.value}" for s in _SEVERITY_ORDER if overall.get(s.value))
    summary = f"*{len(ok)}/{len(scans)}* device(s) audited · *{_plural(total, 'finding')}*" + (f" ({counts})" if counts else "")
    if worst is not None:
        summary += f" · highest risk *{escape(worst.device or '?')}* {worst.risk_score}/100"
    body: list[dict[str, Any]] = [_section(summary)]

    for scan in sorted(ok, key=lambda s: -s.risk_score):
        device = escape(scan.device or "?")
        findings = sorted(scan.findings, key=lambda f: -f.severity.rank)
        body.append(_divider())
        if not findings:
            body.append(_section(f":white_check_mark: *{device}* ({escape(scan.os)}) — risk *{scan.risk_score}/100* · no findings"))
            continue
        emoji = SEVERITY_EMOJI[findings[0].severity]
        first = f"{emoji} *{device}* ({escape(scan.os)}) — risk *{scan.risk_score}/100* · {_counts_text(scan)}"
        chunks = [_audit_chunk(f, mark_cut) for f in findings]
        body += [_section(t) for t in _pack(chunks, first, f"*{device}* (continued)")]
    for scan in failed:
        error = scan.error.message if scan.error else "unknown error"
        body.append(_section(f":x: *{escape(scan.device or '?')}*: NOT AUDITED — {escape(_cut(error, 1000))}"))

    label = re.sub(r"[^a-z0-9]+", "-", "-".join(tags).lower()).strip("-") or "all"
    if cut:
        name = files.add(f"noc-audit-{label}.txt", "Full config audit", _audit_full_text(scans, tags))
        body.append(_context([f":paperclip: Some evidence was shortened; the full audit is attached as `{_code_span(name)}`."]))
    blocks, overflow = _flow(head, body, [], label=f"config audit ({escape(scope)})")
    text = f":shield: Config audit: {len(ok)}/{len(scans)} device(s), {_plural(total, 'finding')}"
    if counts:
        text += f" ({counts})"
    if worst is not None:
        text += f"; highest risk {worst.device} {worst.risk_score}/100"
    return RenderedAnswer(blocks=blocks, text=_cut(escape(text), MAX_FALLBACK_TEXT), overflow=overflow, attachments=files.items)


# -- help -------------------------------------------------------------------------------------


def render_help(commands: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The command list, one line per command, packed into as few sections as fit.

    Help must be a single message, so if (absurdly) it cannot fit, the message says how many
    commands are not shown rather than failing to post.
    """
    blocks: list[dict[str, Any]] = [_header(":robot_face: NOC bot commands")]
    chunks = [f"`{_code_span(cmd)}` — {escape(desc)}" for cmd, desc in commands] or ["_No commands registered._"]
    sections = _pack(chunks)
    used = message_chars(blocks)
    shown = 0
    for text in sections:
        if len(blocks) + 2 > MAX_BLOCKS or used + len(text) > MAX_MESSAGE_CHARS - _POINTER_RESERVE:
            break
        blocks.append(_section(text))
        used += len(text)
        shown += 1
    if shown < len(sections):
        hidden = sum(text.count("\n") + 1 for text in sections[shown:])
        blocks.append(_context([f"_… {_plural(hidden, 'more command')} not shown._"]))
    return blocks
