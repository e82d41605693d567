"""Plain-text rendering of audit results for the terminal (Slack gets Block Kit elsewhere)."""

from __future__ import annotations

from agents.tools.audit_schema import MAX_SCORE, RISK_DIRECTION, risk_text
from agents.tools.results import SecurityScan

_ORDER = ("critical", "high", "medium", "low", "info")


def render_audit_text(scans: list[SecurityScan]) -> str:
    out: list[str] = []
    for scan in scans:
        if not scan.ok:
            out.append(f"{scan.device}: NOT AUDITED - {scan.error.message if scan.error else 'unknown error'}")
            out.append("")
            continue
        counts = ", ".join(f"{scan.counts[s]} {s}" for s in _ORDER if scan.counts.get(s))
        out.append(f"{scan.device} ({scan.os}) {risk_text(scan.risk_score)} - {len(scan.findings)} finding(s){': ' + counts if counts else ''}")
        for f in scan.findings:
            out.append(f"  [{f.severity.value.upper()}] {f.rule_id} {f.title}  ({f.reference}; {', '.join(f.tags)})")
            for line in f.evidence[:6]:
                out.append(f"      > {line.strip()}")
            if len(f.evidence) > 6:
                out.append(f"      > ... {len(f.evidence) - 6} more")
            if f.remediation:
                out.append("      fix: " + " / ".join(r.strip() for r in f.remediation))
        if scan.unplaced:
            out.append(f"  {len(scan.unplaced)} line(s) not audited (could not be placed):")
            out += [f"      ? {line.strip()}" for line in scan.unplaced[:6]]
        out.append("")
    ok = [s for s in scans if s.ok]
    if len(scans) > 1:
        total = sum(len(s.findings) for s in ok)
        worst = max(ok, key=lambda s: s.risk_score, default=None)
        summary = f"{len(ok)}/{len(scans)} device(s) audited, {total} finding(s)"
        if worst is not None:
            summary += f"; highest risk {worst.device} {worst.risk_score}/{MAX_SCORE} ({RISK_DIRECTION})"
        out.append(summary)
    return "\n".join(out).rstrip()
