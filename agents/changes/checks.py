"""Pre-checks before anyone is asked, and the post-check after a commit.

Pre-check: the candidate is rendered against the running config with hier_config (`future`) and
the audit rules run on the result; a change that adds a high or critical finding is refused, with
the rule named. Post-check: the tools that found the problem run again on fresh data; the
change stands only if the original symptoms are gone and nothing new is high or critical.
"""

from __future__ import annotations

from collections.abc import Iterable

from hier_config import HConfig, get_hconfig

from agents.changes.models import Check, Symptom
from agents.severity import Severity
from agents.tools.audit import AuditError, AuditRule, audit_config
from agents.tools.config_tree import HCONFIG_PLATFORMS, read_config
from agents.tools.network import Toolbox
from agents.tools.results import ToolResult

_SERIOUS = (Severity.high, Severity.critical)
# Tools whose observations describe a symptom that a change can clear, re-run by the post-check.
CHECK_TOOLS = ("analyze_traffic_patterns", "get_interface_statistics", "check_routing_protocol", "get_device_health")
DEFAULT_CHECKS = ("analyze_traffic_patterns",)


def future_config(os: str, running: str, lines: list[str]) -> str:
    """The running config as it will be after the merge, as hier_config predicts it."""
    future = _tree(os, running).future(get_hconfig(HCONFIG_PLATFORMS[os], "\n".join(lines)))
    return "\n".join(" " * (c.depth() - 1) + c.text for c in future.all_children_sorted())


def missing_lines(os: str, running: str, lines: list[str]) -> list[str]:
    """The change's lines the running config lacks (hier_config's difference): empty when the
    device has the whole change."""
    missing = get_hconfig(HCONFIG_PLATFORMS[os], "\n".join(lines)).difference(_tree(os, running))
    return [c.text for c in missing.all_children_sorted()]


def _tree(os: str, running: str) -> HConfig:
    """The running config as hier_config reads it, tolerantly (`config_tree`: a line it cannot place
    is left out; Junos braces as `set` lines, like candidates). Shared: read, never changed."""
    return read_config(os, running).tree


def serious_findings(device: str, os: str, text: str, rules: list[AuditRule]) -> dict[str, str]:
    """rule id -> title of the high and critical audit findings in `text`."""
    report = audit_config(device, os, text, rules)
    return {f.rule_id: f.title for f in report.findings if f.severity in _SERIOUS}


def audit_precheck(device: str, os: str, running: str, lines: list[str], rules: list[AuditRule]) -> tuple[Check, list[str]]:
    """Refuse a change that adds a high or critical finding; returns the baseline finding ids too."""
    try:
        before = serious_findings(device, os, future_config(os, running, []), rules)
        after = serious_findings(device, os, future_config(os, running, lines), rules)
    except (AuditError, KeyError, ValueError) as exc:  # ValueError: config_tree's UnreadableConfigError
        return Check(name="audit", ok=False, detail=f"the audit could not run on the result: {exc}"), []
    added = {rid: title for rid, title in after.items() if rid not in before}
    if added:
        names = "; ".join(f"{rid} ({title})" for rid, title in sorted(added.items()))
        return Check(name="audit", ok=False, detail=f"the change would add high/critical audit findings: {names}"), sorted(before)
    return Check(name="audit", ok=True, detail=f"no new high or critical audit finding ({len(rules)} rules on the result)"), sorted(before)


async def run_checks(toolbox: Toolbox, device: str, tools: Iterable[str]) -> list[ToolResult]:
    results: list[ToolResult] = []
    for tool in tools:
        results.append(await getattr(toolbox, tool)(device))
    return results


def symptoms_of(results: list[ToolResult]) -> list[Symptom]:
    """What the checks see now that a change is meant to clear (medium and worse)."""
    return [Symptom(tool=r.tool, kind=o.kind, interface=o.interface, severity=o.severity.value, message=o.message)
            for r in results for o in r.observations if o.severity.rank >= Severity.medium.rank]


def _key(s: Symptom) -> tuple[str, str, str | None]:
    return s.tool, s.kind, s.interface


async def postcheck(toolbox: Toolbox, device: str, tools: list[str], before: list[Symptom],
                    baseline_findings: list[str]) -> Check:
    """Passed when no original symptom remains and nothing new is high or critical."""
    results = await run_checks(toolbox, device, tools)
    failed = [r for r in results if not r.ok]
    if failed:
        return Check(name="post-check", ok=False, detail="could not verify: " + "; ".join(
            f"{r.tool}: {r.error.message if r.error else 'failed'}" for r in failed))
    now = symptoms_of(results)
    originals = {_key(s) for s in before}
    remaining = [s for s in now if _key(s) in originals]
    new = [s for s in now if _key(s) not in originals and s.severity in ("high", "critical")]
    scan = await toolbox.scan_security_vulnerabilities(device)
    added = [f"{f.rule_id} ({f.title})" for f in getattr(scan, "findings", [])
             if f.severity in _SERIOUS and f.rule_id not in baseline_findings]
    problems = [f"still seen: {s.message}" for s in remaining] + [f"new {s.severity}: {s.message}" for s in new]
    problems += [f"new audit finding: {a}" for a in added]
    if problems:
        return Check(name="post-check", ok=False, detail="; ".join(problems))
    cleared = ", ".join(sorted({s.kind for s in before})) or "no symptom was recorded"
    return Check(name="post-check", ok=True, detail=f"{' and '.join(tools)} on fresh data: cleared ({cleared}); nothing new is high or critical")
