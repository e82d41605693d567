"""Render an incident report in markdown from what the agents found.

Why this exists: after the bot has diagnosed a problem, the NOC lead still has to open a ticket
and write it up. This module turns the findings, recommendations and matching runbooks into the
report structure that `agents/runbooks/incident-report-and-severity.md` asks for (title and SEV,
summary, impact, timeline, root cause, actions, follow-up), ready to paste into a ticket.

Design notes:
- Pure function of its inputs: no clock, no randomness, stable sorts, so the same incident
  renders byte-for-byte the same (reports get diffed and tested).
- Secrets never reach the report. Every piece of free text goes through
  `agents.tools.redact.redact`, also from each word onwards (the redaction forms are anchored to
  the start of a config line, but a finding may quote `snmp-server community ...` mid-sentence),
  and the finished document gets one more pass as a safety net.
- Free text is escaped only where markdown would swallow it: `|` inside table cells and `<`
  (otherwise `<redacted>` or `<peer-ip>` renders as an HTML tag and vanishes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone

from agents.config import EngineConfig
from agents.models import Finding, Recommendation
from agents.severity import Severity
from agents.tools.redact import redact, redact_prose
from agents.tools.runbooks import RunbookHit

__all__ = ["SEV_LEVELS", "build_incident_report", "complete_report", "sev_level"]

# The mapping defined in agents/runbooks/incident-report-and-severity.md (info has no user impact: SEV4).
SEV_LEVELS: dict[Severity, str] = {
    Severity.critical: "SEV1",
    Severity.high: "SEV2",
    Severity.medium: "SEV3",
    Severity.low: "SEV4",
    Severity.info: "SEV4",
}

# Impact wording from the same runbook's severity table, so the report and the runbook agree.
_SEV_DEFINITION: dict[str, str] = {
    "SEV1": "HQ or DC down, internet down for all sites, or a security breach in progress.",
    "SEV2": "One site or service down, or redundancy gone on a core path.",
    "SEV3": "Degraded service; a workaround exists.",
    "SEV4": "No user impact expected: hygiene or audit finding.",
}
_SEV_UPDATES: dict[str, str] = {
    "SEV1": "Page the on-call lead; post updates every 30 minutes.",
    "SEV2": "Page the on-call lead; post updates every 30 minutes.",
    "SEV3": "Post updates at least every 2 hours.",
    "SEV4": "Track in the normal queue.",
}

RUNBOOK_EXCERPT_CHARS = 160  # one or two lines: the link is the point, the excerpt says why it matched

_FOLLOW_UP = (
    "Confirm the fix: run the Verification steps of the linked runbooks on every affected device.",
    "Monitor the affected devices and links for 24 hours for a recurrence.",
    "Review: post-incident review with a second engineer; open tickets with owners for each follow-up action.",
)

_TICKS = re.compile(r"`+")


def sev_level(severity: Severity) -> str:
    """SEV1-SEV4 for a tool severity, per the incident-report runbook."""
    return SEV_LEVELS[severity]


def _clean(text: str | None) -> str:
    """Redacted free text, line structure kept (redaction forms work per line)."""
    if not text:
        return ""
    return redact_prose(text)


def _code_spans(text: str) -> list[tuple[int, int]]:
    """Code spans as (start, end), backticks included: a run of n backticks up to the next run of
    exactly n on the same line (CommonMark's rule). One pass over the backtick runs, so linear
    even on hostile input (a backreference regex was cubic on runs of backticks)."""
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    newlines_before = [0] * (len(text) + 1)
    for i, ch in enumerate(text):
        newlines_before[i + 1] = newlines_before[i] + (ch == "\n")
    next_same: list[int | None] = [None] * len(runs)
    last: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        next_same[i], last[length] = last.get(length), i
    spans, i = [], 0
    while i < len(runs):
        j = next_same[i]
        if j is not None and newlines_before[runs[j][0]] == newlines_before[runs[i][1]]:
            spans.append((runs[i][0], runs[j][1]))
            i = j + 1
        else:
            i += 1
    return spans


def _escape_lt(text: str) -> str:
    """Escape `<` outside code spans: a bare `<redacted>` or `<peer-ip>` would parse as an HTML tag
    and vanish when rendered, while inside backticks it is already literal (and `\\<` would show)."""
    out: list[str] = []
    pos = 0
    for start, end in _code_spans(text):
        out.append(text[pos:start].replace("<", "\\<"))
        out.append(text[start:end])
        pos = end
    out.append(text[pos:].replace("<", "\\<"))
    return "".join(out)


def _inline(text: str | None) -> str:
    """Redacted free text on one line, markdown-safe (see `_escape_lt`)."""
    return _escape_lt(" ".join(_clean(text).split()))


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary without leaving a code span open."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    if cut.count("`") % 2:
        cut = cut[: cut.rfind("`")].rstrip()
    return cut + "…"


def _cell(text: str | None) -> str:
    """A table cell: inline text with `|` escaped; an em dash when empty."""
    value = _inline(text).replace("|", "\\|")
    return value or "—"


def _utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; input order kept among equals (stable sort)."""
    return sorted(findings, key=lambda f: -f.severity.rank)


def _finding_line(f: Finding) -> str:
    device = f" ({_inline(f.device)})" if f.device else ""
    return f"- [{f.severity.value.upper()}] {_inline(f.text)}{device}"


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return seen


def _fence(lines: list[str]) -> str:
    """A backtick fence longer than any backtick run in the commands, so none can close it early."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _metadata(request_id: str, opened_at: datetime, severity: Severity, status: str, devices: list[str], priority: str) -> list[str]:
    sev = sev_level(severity)
    return [
        "| Field | Value |",
        "|-------|-------|",
        f"| Request ID | `{_inline(request_id).replace('`', '')}` |",
        f"| Opened at (UTC) | {_utc_iso(opened_at)} |",
        f"| Severity | {sev} ({severity.value}) |",
        f"| Status | {_cell(status)} |",
        f"| Affected devices | {_cell(', '.join(devices)) if devices else 'none identified'} |",
        f"| Priority | {_cell(priority)} |",
    ]


def _summary(root_cause: str | None, ordered: list[Finding], question: str, status: str) -> list[str]:
    if root_cause:
        lead = _inline(root_cause)
    elif ordered:
        worst = ordered[0]
        where = f" on {_inline(worst.device)}" if worst.device else ""
        lead = f"Most severe finding{where} ({worst.severity.value}): {_inline(worst.text)}"
    else:
        lead = "No findings have been reported yet."
    lines = [lead, ""]
    if question.strip():
        lines.append(f"Reported as: \"{_inline(question)}\"")
        lines.append("")
    lines.append(f"Current status: {_inline(status) or 'Investigating'}.")
    return lines


def _impact(severity: Severity, devices: list[str], ordered: list[Finding]) -> list[str]:
    sev = sev_level(severity)
    counts = [
        f"{sum(1 for f in ordered if f.severity is s)} {s.value}"
        for s in sorted(Severity, key=lambda s: -s.rank)
        if any(f.severity is s for f in ordered)
    ]
    device_text = ", ".join(_inline(d) for d in devices) if devices else "none identified yet"
    return [
        f"- Severity {sev}: {_SEV_DEFINITION[sev]} {_SEV_UPDATES[sev]}",
        f"- Affected devices ({len(devices)}): {device_text}",
        f"- Findings: {', '.join(counts) if counts else 'none'}",
        "- Users, sites and services affected, and start/end times: to be confirmed by the service owner.",
    ]


def _actions(recommendations: list[Recommendation]) -> list[str]:
    if not recommendations:
        return ["No actions recommended yet."]
    lines: list[str] = []
    for n, rec in enumerate(sorted(recommendations, key=lambda r: r.priority), start=1):
        marker = f"{n}. "
        device = f" on {_inline(rec.device)}" if rec.device else ""
        lines.append(f"{marker}**P{rec.priority}**{device}: {_inline(rec.text)} _({_inline(rec.agent)})_")
        # Cleaned as one text, not line by line: block forms (`line vty` + ` password x`,
        # `tacacs server` + ` key x`) are only recognisable with their header line.
        body = [ln for ln in _clean("\n".join(rec.commands)).splitlines() if ln.strip()]
        if body:
            # Indent the fence to the list item's content column so it stays inside the item.
            indent = " " * len(marker)
            fence = _fence(body)
            lines.append("")
            lines.append(f"{indent}{fence}")
            lines.extend(f"{indent}{ln}" for ln in body)
            lines.append(f"{indent}{fence}")
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _runbook_links(runbooks: list[RunbookHit]) -> list[str]:
    if not runbooks:
        return ["No matching runbook."]
    lines = []
    for hit in runbooks:
        title = _inline(hit.title).replace("[", "\\[").replace("]", "\\]")
        excerpt = _inline(_shorten(" ".join(hit.excerpt.split()), RUNBOOK_EXCERPT_CHARS))
        lines.append(f"- [{title}]({hit.path})" + (f": {excerpt}" if excerpt else ""))
    return lines


def build_incident_report(
    *,
    title: str,
    question: str,
    request_id: str,
    opened_at: datetime,
    severity: Severity,
    findings: list[Finding],
    recommendations: list[Recommendation],
    devices: list[str],
    runbooks: list[RunbookHit],
    root_cause: str | None = None,
    status: str = "Investigating",
    priority: str | None = None,
) -> str:
    """The incident report as markdown, deterministic for the same input and free of secrets.

    Sections follow the incident-report runbook: metadata table, Summary, Impact, Timeline,
    Root cause, Findings (by agent, worst first), Actions (by priority, commands fenced),
    Runbooks, a fixed Follow-up checklist and Lessons learned; a one-line Stakeholder update under
    the table is what the incident lead pastes to the status channel. `priority` is the ticket
    priority (engine.incident_priorities); the default mapping when not given.
    """
    ordered = _worst_first(findings)
    agents = _unique([f.agent for f in ordered] + [r.agent for r in recommendations])
    devices = _unique(devices)
    priority = priority or _default_priority(severity)

    out: list[str] = [f"# Incident report: {_inline(title) or 'untitled'}", ""]
    out += _metadata(request_id, opened_at, severity, status, devices, priority)
    out += ["", "## Stakeholder update", "", stakeholder_update(title, severity, priority, devices, recommendations, root_cause, ordered, status)]
    out += ["", "## Summary", ""] + _summary(root_cause, ordered, question, status)
    out += ["", "## Impact", ""] + _impact(severity, devices, ordered)

    out += ["", "## Timeline", ""]
    out.append(f"- {_utc_iso(opened_at)} - incident opened from request `{_inline(request_id).replace('`', '')}` - source: NOC bot")
    out.append(f"- Analysis by: {', '.join(_inline(a) for a in agents) if agents else 'no agent yet'}")

    out += ["", "## Root cause", ""]
    if root_cause:
        out.append(_inline(root_cause))
    elif ordered:
        out.append(f"Not yet confirmed. Leading candidate: {_inline(ordered[0].text)}")
    else:
        out.append("Not yet determined.")

    out += ["", "## Findings", ""]
    if not ordered:
        out.append("No findings.")
    else:
        # Agents in order of their worst finding, then name; findings worst first inside each.
        by_agent: dict[str, list[Finding]] = {}
        for f in ordered:
            by_agent.setdefault(f.agent, []).append(f)
        group_order = sorted(by_agent, key=lambda a: (-by_agent[a][0].severity.rank, a))
        for i, agent in enumerate(group_order):
            if i:
                out.append("")
            out += [f"### {_inline(agent)}", ""]
            out += [_finding_line(f) for f in by_agent[agent]]

    out += ["", "## Actions", ""] + _actions(recommendations)
    out += ["", "## Runbooks", ""] + _runbook_links(runbooks)
    out += ["", "## Follow-up", ""] + [f"- [ ] {item}" for item in _FOLLOW_UP]
    out += ["", "## Lessons learned", ""] + lessons_learned(question, agents, ordered, recommendations, devices)

    # Safety net: one more pass over the whole document (idempotent on already clean text).
    return redact("\n".join(out) + "\n")


def _default_priority(severity: Severity) -> str:
    return EngineConfig().incident_priority(severity)


def stakeholder_update(title: str, severity: Severity, priority: str, devices: list[str], recommendations: list[Recommendation],
                       root_cause: str | None, ordered: list[Finding], status: str = "Investigating") -> str:
    """One line for people who will not read the report: priority, what, how wide, where it stands, next step."""
    cause = root_cause or (ordered[0].text if ordered else None)
    first = min(recommendations, key=lambda r: r.priority, default=None)
    parts = [f"{priority} / {sev_level(severity)}: {_inline(title) or 'incident'}",
             f"cause: {_inline(_shorten(cause, 160))}" if cause else "cause under investigation",
             f"{len(devices)} device{'s' if len(devices) != 1 else ''} affected" if devices else "no device identified yet",
             f"status: {_inline(status) or 'Investigating'}",
             f"next: {_inline(_shorten(first.text, 120))}" if first else "next: investigation continues"]
    return "; ".join(parts) + "."


def lessons_learned(question: str, agents: list[str], ordered: list[Finding], recommendations: list[Recommendation],
                    devices: list[str]) -> list[str]:
    """A draft for the post-incident review, from what this incident showed; the review confirms or rewrites it."""
    found_by = ", ".join(_inline(a) for a in agents) or "no specialist yet"
    lines = [f"- Detection: reported by a person (\"{_inline(_shorten(question, 100))}\") and analysed by {found_by}; "
             "if monitoring did not alert first, add an alert for this symptom."]
    if recommendations:
        first = min(recommendations, key=lambda r: r.priority)
        scope = f" beyond {', '.join(_inline(d) for d in devices)}" if devices else ""
        lines.append(f"- Prevention: check whether \"{_inline(_shorten(first.text, 120))}\" applies to devices of the same role{scope}.")
    else:
        lines.append("- Prevention: no fix was recommended yet; name one in the review so the same cause is caught earlier.")
    hygiene = [f for f in ordered if f.agent in {"security", "config"} and f.severity.rank >= Severity.medium.rank]
    if hygiene:
        lines.append(f"- Process: {len(hygiene)} configuration or security finding(s) of medium or above were present; "
                     "schedule them in the normal queue so the next incident starts from a clean baseline.")
    else:
        lines.append("- Process: record what slowed the response (access, missing runbook, unclear ownership) and who owns each fix.")
    return lines


def complete_report(markdown: str, *, title: str, severity: Severity, priority: str, findings: list[Finding],
                    recommendations: list[Recommendation], devices: list[str], question: str) -> str:
    """A report written elsewhere (Claude's documentation specialist) with the sections every
    incident report must carry added when missing: the stakeholder update and lessons learned."""
    ordered = _worst_first(findings)
    out = markdown.rstrip("\n")
    if "## Stakeholder update" not in out:
        out += "\n\n## Stakeholder update\n\n" + stakeholder_update(title, severity, priority, _unique(devices), recommendations, None, ordered)
    if "## Lessons learned" not in out:
        agents = _unique([f.agent for f in ordered] + [r.agent for r in recommendations])
        out += "\n\n## Lessons learned\n\n" + "\n".join(lessons_learned(question, agents, ordered, recommendations, _unique(devices)))
    return redact(out + "\n")
