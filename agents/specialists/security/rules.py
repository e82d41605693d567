"""Offline security analysis: the rule-based audit across devices, rolled up for a NOC.

Per device a risk score; per compliance framework how many devices fail; and a remediation
order that puts the most severe problem shared by the most devices first, because that is the
change that removes the most risk per maintenance window.
"""

from __future__ import annotations

import asyncio
import re

from pydantic import BaseModel, Field

from agents.models import Finding, Recommendation
from agents.network.commands import commands
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding, recommendation
from agents.specialists.log_evidence import LOGIN_KINDS, log_observations, read_logs
from agents.tools.audit_schema import risk_text
from agents.tools.registry import SCAN_SECURITY_VULNERABILITIES
from agents.tools.results import Observation, SecurityScan

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
    scans = await asyncio.gather(*(ctx.call(SCAN_SECURITY_VULNERABILITIES, device=d, tags=tags or None) for d in ctx.devices))
    ok = [s for s in scans if s.ok]
    failed = failure_findings(ctx)  # before the logs: a device whose log cannot be read is no audit gap
    attacks = log_observations(await read_logs(ctx, ctx.devices, query="login"), LOGIN_KINDS)
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

    findings = [_attack_finding(ctx, o, ok) for o in sorted(attacks, key=lambda o: -o.severity.rank)]
    for scan in sorted(ok, key=lambda s: -s.risk_score):
        serious = [f for f in scan.findings if f.severity.rank >= Severity.high.rank]
        if serious:
            for f in serious:
                evidence = f" [{'; '.join(e.strip() for e in f.evidence[:2])}]" if f.evidence else ""
                findings.append(finding(ctx, f"{scan.device}: {f.title} ({f.reference}){evidence}", f.severity, scan.device, f.rule_id))
        lesser = [f for f in scan.findings if f.severity.rank < Severity.high.rank]
        if lesser:
            worst = Severity.worst([f.severity for f in lesser])
            findings.append(finding(ctx, f"{scan.device}: {risk_text(scan.risk_score)}; {len(lesser)} lower-severity finding(s): "
                                    + ", ".join(sorted({f.rule_id for f in lesser})), worst, scan.device, "audit_summary"))
    for c in result.compliance:
        if c.devices_failing:
            findings.append(finding(ctx, f"{c.tag.upper()}: {len(c.devices_failing)} of {len(ok)} device(s) have findings ({c.findings} in total)", Severity.info, None, "compliance"))
    recs = [_attack_recommendation(ctx, o) for o in attacks] + [
        recommendation(ctx, f"[{item.severity.value}] {item.title} on {', '.join(item.devices)} ({item.reference})", item.remediation,
                       item.devices[0] if len(item.devices) == 1 else None, priority=min(rank, 5))
        for rank, item in enumerate(result.remediation_priority[:10], start=1)
    ]
    findings += failed
    if attacks:
        top_attack = max(attacks, key=lambda o: o.severity.rank)
        summary = (f"Attack on the management plane: {top_attack.message}. "
                   + f"{sum(len(s.findings) for s in ok)} audit finding(s) on {len(ok)} device(s)")
    elif result.remediation_priority:
        top = result.remediation_priority[0]
        worst_dev = max(ok, key=lambda s: s.risk_score)
        summary = (f"{sum(len(s.findings) for s in ok)} finding(s) on {len(ok)} device(s); highest risk {worst_dev.device} "
                   f"{risk_text(worst_dev.risk_score)}; fix first: {top.title} on {', '.join(top.devices)}")
    else:
        summary = f"No findings on {len(ok)} device(s)" + (f" for {', '.join(t.upper() for t in tags)}" if tags else "")
    confidence = 0.93 if ok and not failed else (0.7 if ok else 0.2)
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=confidence, result=result, partial=bool(failed))


# Audit rules that explain how a login attack could reach or succeed on a device.
_ENABLERS = ("ios-vty-no-access-class", "eos-ssh-no-acl", "local-user-weak-password", "ios-vty-telnet")


def _attack_finding(ctx: AnalysisContext, o: Observation, scans: list[SecurityScan]) -> Finding:
    """The log's account of the attack, with the configuration gaps on that device that let it in."""
    scan = next((s for s in scans if s.device == o.device), None)
    gaps = [f.title for f in (scan.findings if scan else []) if f.rule_id in _ENABLERS]
    why = f" Configuration that allowed it: {'; '.join(gaps)}." if gaps else ""
    return finding(ctx, o.message + "." + why, o.severity, o.device, o.kind)


def _attack_recommendation(ctx: AnalysisContext, o: Observation) -> Recommendation:
    source, user = o.data.get("source", "<source>"), o.data.get("success_user") or o.data.get("user")
    os_name = ctx.inventory.get(o.device).os if o.device and o.device in ctx.inventory else "ios"
    cmds = [*commands(os_name, "login_sessions")[:1], *commands(os_name, "login_log"), *commands(os_name, "login_restrict")]
    if user and o.kind != "login_failures":
        cmds[2:2] = commands(os_name, "disable_user", user=user)[:1]
    return recommendation(ctx, f"[{o.severity.value}] Stop the login attack on {o.device} from {source}: clear its sessions, "
                          + (f"disable the '{user}' account and review what it changed, " if user and o.kind != "login_failures" else "")
                          + "restrict the VTY lines to the management networks", cmds, o.device, priority=1)
