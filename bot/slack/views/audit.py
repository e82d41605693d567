"""`/noc-audit` results: devices by risk score, each device's findings worst first."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from agents.tools.audit import AuditFinding
from agents.tools.audit_schema import MAX_SCORE, RISK_DIRECTION, risk_text
from agents.tools.results import SecurityScan
from bot.slack.views.layout import (
    ITEM_MAX,
    MAX_FALLBACK_TEXT,
    SEVERITY_EMOJI,
    SEVERITY_ORDER,
    Files,
    RenderedAnswer,
    context,
    divider,
    flow,
    header,
    pack,
    section,
)
from bot.slack.views.text import code_block, code_span, cut, escape, plural

AUDIT_EVIDENCE_LINES = 6


def _counts_text(scan: SecurityScan) -> str:
    return ", ".join(f"{scan.counts[s.value]} {s.value}" for s in SEVERITY_ORDER if scan.counts.get(s.value))


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
        lines.append(f"      `{code_span(cut(ev, 200))}`" if ev else "")
    if len(f.evidence) > AUDIT_EVIDENCE_LINES:
        mark_cut()
        more = len(f.evidence) - AUDIT_EVIDENCE_LINES
        lines.append(f"      _… {plural(more, 'more evidence line')} in the attached report_")
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
        lines.append("Fix:\n" + code_block(remediation))
    chunk = "\n".join(line for line in lines if line)
    if len(chunk) > ITEM_MAX:
        mark_cut()
        chunk = cut(chunk, ITEM_MAX)
    return chunk


def _audit_full_text(scans: list[SecurityScan], tags: list[str]) -> str:
    """The whole audit as plain text, every evidence and remediation line, for the file."""
    out = [f"Config audit ({', '.join(tags) if tags else 'all rules'})", ""]
    for scan in scans:
        if not scan.ok:
            out += [f"{scan.device}: NOT AUDITED - {scan.error.message if scan.error else 'unknown error'}", ""]
            continue
        out.append(f"{scan.device} ({scan.os}) {risk_text(scan.risk_score)} - {len(scan.findings)} finding(s)")
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
    files = Files()
    was_cut = False

    def mark_cut() -> None:
        nonlocal was_cut
        was_cut = True

    scope = ", ".join(tags) if tags else "all rules"
    head = [header(f":shield: Config audit · {scope}")]
    ok = [s for s in scans if s.ok]
    failed = [s for s in scans if not s.ok]
    total = sum(len(s.findings) for s in ok)
    worst = max(ok, key=lambda s: s.risk_score, default=None)
    overall: dict[str, int] = {}
    for s in ok:
        for f in s.findings:
            overall[f.severity.value] = overall.get(f.severity.value, 0) + 1
    counts = ", ".join(f"{overall[s.value]} {s.value}" for s in SEVERITY_ORDER if overall.get(s.value))
    summary = f"*{len(ok)}/{len(scans)}* device(s) audited · *{plural(total, 'finding')}*" + (f" ({counts})" if counts else "")
    if worst is not None:
        summary += f" · highest risk *{escape(worst.device or '?')}* {worst.risk_score}/{MAX_SCORE} ({RISK_DIRECTION})"
    body: list[dict[str, Any]] = [section(summary)]

    for scan in sorted(ok, key=lambda s: -s.risk_score):
        device = escape(scan.device or "?")
        findings = sorted(scan.findings, key=lambda f: -f.severity.rank)
        body.append(divider())
        if not findings:
            body.append(section(f":white_check_mark: *{device}* ({escape(scan.os)}) — risk *{scan.risk_score}/{MAX_SCORE}*, {RISK_DIRECTION} · no findings"))
        else:
            emoji = SEVERITY_EMOJI[findings[0].severity]
            first = f"{emoji} *{device}* ({escape(scan.os)}) — risk *{scan.risk_score}/{MAX_SCORE}*, {RISK_DIRECTION} · {_counts_text(scan)}"
            chunks = [_audit_chunk(f, mark_cut) for f in findings]
            body += [section(t) for t in pack(chunks, first, f"*{device}* (continued)")]
        if scan.unplaced:  # the engineer must know which lines the audit did not read
            shown = ", ".join(f"`{code_span(cut(line.strip(), 80))}`" for line in scan.unplaced[:3])
            body.append(context([f":grey_question: {plural(len(scan.unplaced), 'line')} not audited (could not be placed): {shown}"]))
    for scan in failed:
        error = scan.error.message if scan.error else "unknown error"
        body.append(section(f":x: *{escape(scan.device or '?')}*: NOT AUDITED — {escape(cut(error, 1000))}"))

    label = re.sub(r"[^a-z0-9]+", "-", "-".join(tags).lower()).strip("-") or "all"
    if was_cut:
        name = files.add(f"noc-audit-{label}.txt", "Full config audit", _audit_full_text(scans, tags))
        body.append(context([f":paperclip: Some evidence was shortened; the full audit is attached as `{code_span(name)}`."]))
    blocks, overflow = flow(head, body, [], label=f"config audit ({escape(scope)})", files=files, filename=f"noc-audit-{label}-rest.txt")
    text = f":shield: Config audit: {len(ok)}/{len(scans)} device(s), {plural(total, 'finding')}"
    if counts:
        text += f" ({counts})"
    if worst is not None:
        text += f"; highest risk {worst.device} {worst.risk_score}/{MAX_SCORE} ({RISK_DIRECTION})"
    return RenderedAnswer(blocks=blocks, text=cut(escape(text), MAX_FALLBACK_TEXT), overflow=overflow, attachments=files.items)
