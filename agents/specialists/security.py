"""Offline security analysis: the rule-based audit across devices, rolled up for a NOC.

Per device a risk score; per compliance framework how many devices fail; and a remediation
order that puts the most severe problem shared by the most devices first, because that is the
change that removes the most risk per maintenance window.
"""

from __future__ import annotations

import asyncio
import re

from pydantic import BaseModel, Field

from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding, recommendation
from agents.tools.results import SecurityScan

_TAGS = {"cis": r"\bcis\b", "pci": r"\bpci", "soc2": r"\bsoc ?2\b"}


class ComplianceSummary(BaseModel):
    tag: str
    devices_failing: list[str] = Field(default_factory=list)
    findings: int = 0


class RemediationItem(BaseModel):
    rule_id: str
    title: str
    severity: Severity
    reference: str
    devices: list[str]
    remediation: list[str]


class SecurityResult(BaseModel):
    risk_scores: dict[str, int] = Field(default_factory=dict)
    compliance: list[ComplianceSummary] = Field(default_factory=list)
    remediation_priority: list[RemediationItem] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


def requested_tags(text: str) -> list[str]:
    return [tag for tag, rx in _TAGS.items() if re.search(rx, text.lower())]


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    tags = requested_tags(ctx.task.instruction)
    scans = await asyncio.gather(*(ctx.tool("scan_security_vulnerabilities", device=d, tags=tags or None) for d in ctx.devices))
    ok = [s for s in scans if isinstance(s, SecurityScan) and s.ok]
    result = SecurityResult(risk_scores={s.device: s.risk_score for s in ok if s.device}, tags=tags)

    by_rule: dict[str, RemediationItem] = {}
    per_tag: dict[str, ComplianceSummary] = {t: ComplianceSummary(tag=t) for t in (tags or ["cis", "pci", "soc2"])}
    for scan in ok:
        for f in scan.findings:
            item = by_rule.setdefault(f.rule_id, RemediationItem(rule_id=f.rule_id, title=f.title, severity=f.severity,
                                                                reference=f.reference, devices=[], remediation=list(f.remediation)))
            item.devices.append(scan.device or "")
            for tag in f.tags:
                if tag in per_tag:
                    per_tag[tag].findings += 1
                    if scan.device not in per_tag[tag].devices_failing:
                        per_tag[tag].devices_failing.append(scan.device or "")
    result.remediation_priority = sorted(by_rule.values(), key=lambda i: (-i.severity.rank, -len(i.devices), i.rule_id))
    result.compliance = list(per_tag.values())

    findings = []
    for scan in sorted(ok, key=lambda s: -s.risk_score):
        serious = [f for f in scan.findings if f.severity.rank >= Severity.high.rank]
        if serious:
            for f in serious:
                evidence = f" [{'; '.join(e.strip() for e in f.evidence[:2])}]" if f.evidence else ""
                findings.append(finding(ctx, f"{scan.device}: {f.title} ({f.reference}){evidence}", f.severity, scan.device, f.rule_id))
        lesser = [f for f in scan.findings if f.severity.rank < Severity.high.rank]
        if lesser:
            worst = Severity.worst([f.severity for f in lesser])
            findings.append(finding(ctx, f"{scan.device}: risk {scan.risk_score}/100; {len(lesser)} lower-severity finding(s): "
                                    + ", ".join(sorted({f.rule_id for f in lesser})), worst, scan.device, "audit_summary"))
    for c in result.compliance:
        if c.devices_failing:
            findings.append(finding(ctx, f"{c.tag.upper()}: {len(c.devices_failing)} of {len(ok)} device(s) have findings ({c.findings} in total)", Severity.info, None, "compliance"))
    recs = [
        recommendation(ctx, f"[{item.severity.value}] {item.title} on {', '.join(item.devices)} ({item.reference})", item.remediation,
                       item.devices[0] if len(item.devices) == 1 else None, priority=min(rank, 5))
        for rank, item in enumerate(result.remediation_priority[:10], start=1)
    ]
    failed = failure_findings(ctx)
    findings += failed
    if result.remediation_priority:
        top = result.remediation_priority[0]
        worst_dev = max(ok, key=lambda s: s.risk_score)
        summary = (f"{sum(len(s.findings) for s in ok)} finding(s) on {len(ok)} device(s); highest risk {worst_dev.device} "
                   f"{worst_dev.risk_score}/100; fix first: {top.title} on {', '.join(top.devices)}")
    else:
        summary = f"No findings on {len(ok)} device(s)" + (f" for {', '.join(t.upper() for t in tags)}" if tags else "")
    confidence = 0.93 if ok and not failed else (0.7 if ok else 0.2)
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=confidence, result=result, partial=bool(failed))
