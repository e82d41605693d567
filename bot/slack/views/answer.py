"""The supervisor's answer as a Slack message, plus its thread continuations and files."""

from __future__ import annotations

from typing import Any

from agents.catalogue import catalogue, documents_of
from agents.models import Answer, Finding, Recommendation
from agents.severity import Severity
from bot.slack.views.layout import (
    ITEM_MAX,
    MAX_SECTION,
    SEVERITY_EMOJI,
    STATUS_EMOJI,
    Files,
    RenderedAnswer,
    button,
    context,
    contexts,
    divider,
    fallback,
    fields,
    flow,
    header,
    pack,
    section,
    severity_label,
)
from bot.slack.views.text import code_block, code_span, cut, escape, first_line, pct, plural, split

REPORT_PREVIEW_LINES = 10  # incident report lines shown inline (the full report is a file)
MAX_SUMMARY_SECTIONS = 3  # beyond this a summary is a file, not a wall of text

_AUTOMATION_LABEL = {"auto": "safe to automate", "review": "human review", "human": "human decision"}
def _actions(request_id: str) -> dict[str, Any]:
    """Feedback, re-run and details buttons; every value is the request id the handlers need."""
    return {
        "type": "actions",
        "block_id": "noc_actions",
        "elements": [
            button(":thumbsup: Helpful", "noc_feedback_up", request_id),
            button(":thumbsdown: Not helpful", "noc_feedback_down", request_id),
            button(":repeat: Re-run", "noc_rerun", request_id),
            button(":mag: Show details", "noc_details", request_id),
            button(":rotating_light: Page on-call", "noc_page", request_id),
        ],
    }


def _platform_actions(request_id: str) -> list[dict[str, Any]]:
    """Slack's AI-app surface: re-run and details as buttons, feedback through the platform's own
    feedback buttons (a `context_actions` block); values carry the verdict and the request id."""
    return [
        {"type": "actions", "block_id": "noc_actions",
         "elements": [button(":repeat: Re-run", "noc_rerun", request_id), button(":mag: Show details", "noc_details", request_id),
                      button(":rotating_light: Page on-call", "noc_page", request_id)]},
        {"type": "context_actions", "block_id": "noc_feedback",
         "elements": [{"type": "feedback_buttons", "action_id": "noc_feedback",
                       "positive_button": {"text": {"type": "plain_text", "text": "Helpful"}, "value": f"helpful:{request_id}",
                                           "accessibility_label": "This answer was helpful"},
                       "negative_button": {"text": {"type": "plain_text", "text": "Not helpful"}, "value": f"not_helpful:{request_id}",
                                           "accessibility_label": "This answer was not helpful"}}]},
    ]


def _finding_chunk(f: Finding, request_id: str, files: Files) -> str:
    """`• [HIGH] text`, extra lines as a code block; too long for a section -> a file."""
    label = f"[{f.severity.value.upper()}]"
    first, *rest = f.text.split("\n") if f.text else [""]
    where = f" _({escape(f.device)})_" if f.device and f.device not in first else ""
    chunk = f"• {label} {escape(first)}{where}"
    if any(line.strip() for line in rest):
        chunk += "\n" + code_block(rest)
    if len(chunk) <= ITEM_MAX:
        return chunk
    name = files.add(f"{f.agent}-details-{request_id}.txt", f"{f.agent}: {cut(first, 80)}", f.text)
    return (
        f"• {label} {escape(cut(first, 500))}{where}\n"
        f"      :paperclip: Full text ({len(f.text):,} characters) attached as a file: `{code_span(name)}`"
    )


def _recommendation_chunk(n: int, r: Recommendation, request_id: str, files: Files) -> str:
    """`*n.* text` with device and agent, commands in a code block; too long -> a file."""
    meta = []
    if r.device:
        meta.append(f"on `{code_span(r.device)}`")
    meta.append(f"_{escape(r.agent)}_")
    head = f"*{n}.* {escape(r.text)} — {' · '.join(meta)}"
    chunk = head + ("\n" + code_block(r.commands) if r.commands else "")
    if len(chunk) <= ITEM_MAX:
        return chunk
    commands = "\n".join(r.commands)
    long_text = len(escape(r.text)) > 1000
    content = f"{r.text}\n\n{commands}".strip() if long_text or not commands else commands
    name = files.add(f"{r.agent}-commands-{request_id}.txt", f"{r.agent}: {cut(r.text, 80)}", content)
    lines = plural(len(r.commands), "command line")
    if long_text or not r.commands:
        what = "Full recommendation" + (f" and {lines}" if r.commands else "")
    else:
        what = lines
    return (
        f"*{n}.* {escape(cut(r.text, 500))} — {' · '.join(meta)}\n"
        f"      :paperclip: {what} attached as a file: `{code_span(name)}`"
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


def _incident_blocks(answer: Answer, request_id: str, files: Files) -> list[dict[str, Any]]:
    """The documents a specialist's report declares (spec.yaml `document:`, documentation's
    incident report): always a file, plus its first lines inline."""
    blocks = []
    for resp in answer.responses:
        for field, title in documents_of(resp.agent).items():
            report = resp.result.get(field) if isinstance(resp.result, dict) else None
            if not isinstance(report, str) or not report.strip():
                continue
            name = files.add(f"{field.replace('_', '-')}-{request_id}.md", title, report)
            lines = report.splitlines()
            preview = [cut(line, 240) for line in lines[:REPORT_PREVIEW_LINES]]
            text = (
                f":memo: *{title}* — Full {title[:1].lower() + title[1:]} attached as a file: `{code_span(name)}`\n"
                + code_block(preview)
            )
            if len(lines) > REPORT_PREVIEW_LINES:
                text += f"\n_… {plural(len(lines) - REPORT_PREVIEW_LINES, 'more line')} in the file_"
            blocks.append(section(text))
    return blocks


def _summary_blocks(answer: Answer, request_id: str, files: Files) -> list[dict[str, Any]]:
    """The summary, split at line ends across sections; a very long one also becomes a file."""
    pieces = split(escape(answer.summary.strip()), MAX_SECTION) or ["_No summary._"]
    if len(pieces) <= MAX_SUMMARY_SECTIONS:
        return [section(p) for p in pieces]
    name = files.add(f"summary-{request_id}.md", "Full summary", answer.summary)
    shown = pieces[: MAX_SUMMARY_SECTIONS - 1]
    return [section(p) for p in shown] + [
        context([f":paperclip: The summary continues in the attached file `{code_span(name)}`."])
    ]


def _failed_blocks(answer: Answer) -> list[dict[str, Any]]:
    if not answer.failed_agents:
        return []
    lines = []
    for agent in answer.failed_agents:
        error = next((r.error for r in answer.responses if r.agent.value == agent and r.error), None)
        lines.append(f"• *{escape(agent)}*" + (f": {escape(cut(error, 400))}" if error else ""))
    return [section(t) for t in pack(lines, ":x: *Failed agents*", ":x: *Failed agents* (continued)")]


def _footer(answer: Answer, request_id: str) -> dict[str, Any]:
    u = answer.usage
    engines = sorted({r.engine for r in answer.responses})
    parts = [
        f"Agents: {escape(', '.join(s.value for s in answer.specialists) or '-')}",
        f"{answer.duration_s:.1f}s",
        plural(u.llm_calls, "LLM call"),
        f"{u.input_tokens + u.output_tokens:,} tokens ({u.input_tokens:,} in + {u.output_tokens:,} out)",
        f"${u.cost_usd:.4f}",
    ]
    if engines:
        parts.append(f"engine: {escape(', '.join(engines))}")
    parts.append(f"request `{code_span(request_id)}`")
    return context([" · ".join(parts)])


def render_answer(answer: Answer, *, request_id: str | None = None, with_buttons: bool = True,
                  platform_feedback: bool = False) -> RenderedAnswer:
    """The supervisor's answer as a Slack message (plus thread continuations and files).

    Order is what a NOC engineer needs first: severity and topic in the header, the summary,
    severity/confidence/status at a glance, warnings, then findings (worst first, per agent)
    and numbered recommendations with copy-pasteable commands, then cost and buttons.
    """
    rid = request_id or answer.request_id
    files = Files()
    sev = answer.severity
    # What the answer is about, by primary specialist (its spec's title): read before anything else.
    topic = catalogue()[answer.primary.value].title if answer.primary in catalogue() else "NOC answer"
    head = [header(f"{SEVERITY_EMOJI[sev]} {sev.value.upper()} · {topic}")]

    body: list[dict[str, Any]] = _summary_blocks(answer, rid, files)
    status = f"{STATUS_EMOJI.get(answer.status, '')} {answer.status}".strip()
    if answer.status in ("partial", "degraded") and answer.notices:
        status += " — see notices"
    at_a_glance = [
        f"*Severity*\n{severity_label(sev)} · {answer.incident_priority}",
        f"*Confidence*\n{pct(answer.confidence)} · {_AUTOMATION_LABEL.get(answer.automation, answer.automation)}",
        f"*Status*\n{status}",
        f"*Devices*\n{escape(', '.join(answer.devices)) if answer.devices else '_none named_'}",
    ]
    body.append(fields(at_a_glance))
    notices = [f":warning: {escape(n)}" for n in answer.notices]
    if not notices and answer.status in ("partial", "degraded"):
        notices = [f":warning: The answer is {answer.status}: not every agent completed its work."]
    body += contexts(notices)
    body += _failed_blocks(answer)
    body += _incident_blocks(answer, rid, files)

    if answer.findings:
        body.append(divider())
        title = f":mag: *Findings* ({len(answer.findings)})"
        for i, (agent, findings) in enumerate(_grouped_findings(answer)):
            group = f"*{escape(agent)}*"
            chunks = [_finding_chunk(f, rid, files) for f in findings]
            first = f"{title}\n{group}" if i == 0 else group
            body += [section(t) for t in pack(chunks, first, f"{group} (continued)")]

    if answer.recommendations:
        body.append(divider())
        recs = sorted(answer.recommendations, key=lambda r: r.priority)
        chunks = [_recommendation_chunk(n, r, rid, files) for n, r in enumerate(recs, start=1)]
        title = f":wrench: *Recommendations* ({len(recs)})"
        body += [section(t) for t in pack(chunks, title, ":wrench: *Recommendations* (continued)")]

    tail = [_footer(answer, rid)]
    if with_buttons:
        tail += _platform_actions(rid) if platform_feedback else [_actions(rid)]
    blocks, overflow = flow(head, body, tail, label=f"NOC answer `{code_span(rid)}`", files=files, filename=f"answer-{rid}.txt")
    text = fallback(SEVERITY_EMOJI[sev], sev.value.upper(), first_line(answer.summary) or topic)
    return RenderedAnswer(blocks=blocks, text=text, overflow=overflow, attachments=files.items)
