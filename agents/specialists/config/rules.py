"""Offline configuration analysis: generate from templates, show, validate, diff, check QoS.

The intent comes from the task text. Validation is structural, done with hier_config on the
(redacted) running configuration: references to objects that are not defined, objects defined
but never used, and unsaved changes. That is what catches "the QoS policy exists but was
detached from the WAN interface".
"""

from __future__ import annotations

import asyncio
import re

from pydantic import BaseModel, Field

from agents.models import QosQuery
from agents.network.commands import commands
from agents.network.parse_cache import PARSES, content_key
from agents.network.parsers import canonical_interface
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding, recommendation
from agents.specialists.config_references import validate_references
from agents.specialists.config_templates import GeneratedConfig, detect_template, render_config, site_defaults
from agents.specialists.log_evidence import read_logs
from agents.specialists.log_story import logged_changes
from agents.tools.config_tree import read_config
from agents.tools.qos import InterfaceQos, interface_qos
from agents.tools.registry import GET_DEVICE_CONFIG, GET_INTERFACE_QOS, GET_INTERFACE_STATISTICS

_INTERFACE_RX = re.compile(
    r"\b((?:gi(?:gabitethernet)?|te(?:ngigabitethernet)?|fa(?:stethernet)?|et(?:hernet)?|po(?:rt-channel)?|vlan|lo(?:opback)?|ma(?:nagement)?|tu(?:nnel)?)\s?\d+(?:/\d+)*(?:\.\d+)?)\b",
    re.IGNORECASE,
)
_SECTIONS = [
    (r"\brouter bgp\b|\bbgp\b", "router bgp"), (r"\brouter ospf\b|\bospf\b", "router ospf"), (r"\bvty\b|\bline\b", "line"),
    (r"\bsnmp\b", "snmp-server"), (r"\baaa\b", "aaa"), (r"\bntp\b", "ntp"), (r"\blogging\b|\bsyslog\b", "logging"),
    (r"\bpolicy-map\b|\bqos polic", "policy-map"), (r"\bclass-map\b", "class-map"), (r"\bacl\b|\baccess-list\b", "ip access-list"),
    (r"\bstatic route|\bip route\b", "ip route"), (r"\busername\b|\blocal users?\b", "username"), (r"\bbanner\b", "banner"),
]
# How a specialist reports a change it read in a device log (agents/specialists/log_story.py), as a
# hand-off brings it here ("diagnosis found on X: X: configuration changed by jdoe at ...").
_CHANGE_FOUND = re.compile(r"\bconfiguration changed(?: by [\w.@-]+)?(?: from \S+)? at\b")


class ConfigResult(BaseModel):
    intent: str
    generated: list[GeneratedConfig] = Field(default_factory=list)
    shown: dict[str, str] = Field(default_factory=dict)  # device -> redacted text
    validation: dict[str, list[str]] = Field(default_factory=dict)  # device -> problems
    diff: dict[str, list[str]] = Field(default_factory=dict)  # device -> unified diff lines
    qos: list[InterfaceQos] = Field(default_factory=list)
    unused_policies: dict[str, list[str]] = Field(default_factory=dict)


def detect_intent(text: str) -> str:
    t = text.lower()
    if re.search(r"\bqos check\b|service-policy on|\bqos (?:policy )?(?:on|applied)|\bis (?:there )?(?:a )?qos\b|\bqos\b.*\b(?:still )?(?:applied|attached)\b", t):
        return "qos"
    if _CHANGE_FOUND.search(t):  # a change another specialist found in a log (a hand-off): judge it, do not write config
        return "diff"
    if detect_template(text) is not None:
        return "template"
    if re.search(r"\bdiff\b|\bdrift\b|\bcompare\b|\bunsaved\b|\bchanged\b|\bstartup\b|\bwrite mem", t):
        return "diff"
    if re.search(r"\bvalidat|\bcheck (?:the )?config|\bsanity|\bunused\b|\bundefined\b|\bdangling\b|\bbroken config", t):
        return "validate"
    return "show"


def interfaces_in(text: str) -> list[str]:
    return list(dict.fromkeys(canonical_interface(m.replace(" ", "")) for m in _INTERFACE_RX.findall(text)))


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    text = ctx.task.instruction
    intent = detect_intent(text)
    if intent == "template":
        return await _template(ctx, text)
    named = ctx.task.devices
    devices = named or ctx.inventory.names
    if isinstance(ctx.task.query, QosQuery):  # another specialist asked in typed form: its fields, not its words
        return await _qos(ctx, text, [ctx.task.query.device], ctx.task.query.interfaces)
    if intent == "qos":
        return await _qos(ctx, text, devices, interfaces_in(text))
    configs = await asyncio.gather(*(ctx.call(GET_DEVICE_CONFIG, device=d) for d in devices))
    ok = [(c.device, c) for c in configs if c.ok and c.device is not None]
    result = ConfigResult(intent=intent)
    findings, recs = [], []
    changes: list[tuple[str, str]] = []
    for name, c in ok:
        problems, unused = validate_config(c.os, c.running)
        result.validation[name] = problems
        result.unused_policies[name] = unused.get("policy-map", [])
        result.qos += interface_qos(name, c.os, c.running)
        if c.diff_vs_startup:
            result.diff[name] = c.diff_vs_startup

    if intent == "diff":
        for name, c in ok:
            if c.diff_vs_startup:
                findings.append(finding(ctx, f"{name}: running config differs from startup ({len(c.diff_vs_startup)} diff lines); changes are lost on reload", Severity.low, name, "unsaved_config"))
                recs.append(recommendation(ctx, f"Review and save the running config on {name}", commands(c.os, "config_diff"), name))
            elif c.startup_differs is False:
                findings.append(finding(ctx, f"{name}: running config matches startup", Severity.info, name))
        summary = f"{sum(1 for _, c in ok if c.diff_vs_startup)} of {len(ok)} device(s) have unsaved changes"
        if named:  # who changed what, and when, is in the device's log, not in its configuration
            changes = logged_changes(await read_logs(ctx, named))
            findings[:0] = [finding(ctx, f"{d}: {text} (from its log)", Severity.info, d, "config_change_logged") for d, text in changes]
            recs += [recommendation(ctx, f"See what the change on {d} was", commands(_device_os(ctx, d), "recent_change"), d) for d in dict.fromkeys(d for d, _ in changes)]
            if changes:
                summary = "; ".join(f"{d}: {text}" for d, text in changes[-3:]) + f". {summary}"
            sections = [sec for rx, sec in _SECTIONS if re.search(rx, text.lower())]  # what the failure is about, as configured now
            for name, c in ok if changes and sections else []:
                shown = _show(c.os, c.running, [], sections)
                if not shown.startswith("(no "):
                    findings.append(finding(ctx, f"{name} {' / '.join(sections)} as configured now, after the change:\n{shown}", Severity.info, name, "config_shown"))
    else:
        for name, _ in ok:
            for p in result.validation[name]:
                findings.append(finding(ctx, f"{name}: {p}", Severity.low if p.startswith("unused") else Severity.medium, name, "config_validation"))
        if intent == "show":
            sections = [s for rx, s in _SECTIONS if re.search(rx, text.lower())]
            wanted_if = interfaces_in(text)
            for name, c in (ok if named else []):
                result.shown[name] = _show(c.os, c.running, wanted_if, sections)
                findings.insert(0, finding(ctx, f"{name} configuration{(' (' + ', '.join(wanted_if or sections) + ')') if (wanted_if or sections) else ''}:\n{result.shown[name]}", Severity.info, name, "config_shown"))
            if not named:
                findings.insert(0, finding(ctx, f"Name a device to see its configuration; known devices: {', '.join(ctx.inventory.names)}", Severity.info))
        problem_count = sum(len(v) for v in result.validation.values())
        which = f" ({', '.join(name for name, _ in ok)})" if 0 < len(ok) <= 3 else ""
        summary = f"Validated {len(ok)} configuration(s){which}: {problem_count} problem(s) found" if intent == "validate" or problem_count else f"Configuration of {', '.join(name for name, _ in ok)} shown; no structural problems"
        if not ok:
            summary = "No configuration could be read"
    failed = failure_findings(ctx)
    findings += failed
    confidence = 0.9 if ok and not failed else (0.6 if ok else (0.6 if changes else 0.2))  # the log answered "who changed it"
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=confidence, result=result, partial=bool(failed))


# A question that asks for the change itself ("apply the QoS policy ... on Gi0/0/0").
_APPLY = re.compile(r"\b(?:apply|re-?apply|attach|re-?attach|put|add|configure|enable|restore)\b", re.IGNORECASE)


async def _qos(ctx: AnalysisContext, text: str, devices: list[str], interfaces: list[str]) -> AnalystOutput:
    """QoS policies per interface through the QoS tool: policy names, no configuration text,
    so a viewer's "why is the branch slow?" still learns that the WAN policy is detached."""
    statuses = await asyncio.gather(*(ctx.call(GET_INTERFACE_QOS, device=d) for d in devices))
    ok = [s for s in statuses if s.ok]
    result = ConfigResult(intent="qos")
    for s in ok:
        result.qos += s.interfaces
        result.unused_policies[s.device or ""] = s.unused_policies
    wanted = {canonical_interface(i) for i in interfaces}
    result.qos = [q for q in result.qos if not wanted or q.interface in wanted]
    findings, recs = [], []
    asked_to_apply = wanted and _APPLY.search(text) is not None
    for q in result.qos:
        if q.output_policy or q.input_policy:
            findings.append(finding(ctx, f"{q.device} {q.interface}: QoS policy output={q.output_policy or '-'} input={q.input_policy or '-'}", Severity.info, q.device, "qos"))
        else:
            spare = result.unused_policies.get(q.device) or []
            note = f" (policy-map {', '.join(spare)} is defined but not applied anywhere)" if spare else ""
            findings.append(finding(ctx, f"{q.device} {q.interface} has no QoS service-policy applied{note}", Severity.medium, q.device, "no_qos"))
            named = next((p for p in spare if p.lower() in text.lower()), spare[0] if len(spare) == 1 else None)
            if asked_to_apply and named:  # the person asked for the change: say exactly what it is
                recs.append(recommendation(ctx, f"Apply the QoS policy {named} on {q.interface}",
                                           commands(_device_os(ctx, q.device), "qos_apply", interface=q.interface, direction="output", policy=named), q.device, priority=1))
            elif spare and len(recs) < 3:  # a policy exists but is attached nowhere: show where it is missing, on the device
                recs.append(recommendation(ctx, f"Confirm on {q.device} that {q.interface} has no service-policy",
                                           commands(_device_os(ctx, q.device), "qos_verify", interface=q.interface), q.device, priority=2))
    summary = "; ".join(f.text for f in findings) or "No matching interfaces found"
    failed = failure_findings(ctx)
    confidence = 0.9 if ok and not failed else (0.6 if ok else 0.2)
    return AnalystOutput(summary=summary, findings=findings + failed, recommendations=recs, confidence=confidence, result=result, partial=bool(failed))


async def _template(ctx: AnalysisContext, text: str) -> AnalystOutput:
    request = detect_template(text)
    assert request is not None
    targets: list[str | None] = [*ctx.task.devices] or [None]
    generated: list[GeneratedConfig] = []
    for device in targets:
        os_name, interfaces = "ios", None
        if device is not None:
            os_name = ctx.inventory.get(device).os
            stats = await ctx.call(GET_INTERFACE_STATISTICS, device=device)
            if stats.ok:
                interfaces = [i.name for i in stats.interfaces]
        generated.append(render_config(request, os_name, device, interfaces, site=site_defaults(ctx.inventory, device)))
    findings, recs = [], []
    for g in generated:
        where = f" for {g.device} ({g.os})" if g.device else f" ({g.os}; name a device to tailor it)"
        body = "\n".join(g.lines)
        sev = Severity.medium if g.problems else Severity.info
        text_out = f"Generated {g.kind.replace('_', ' ')} configuration{where}:\n{body}"
        if g.problems:
            text_out += "\nProblems: " + "; ".join(g.problems)
        if g.assumptions:
            text_out += "\nAssumptions: " + "; ".join(g.assumptions)
        findings.append(finding(ctx, text_out, sev, g.device, "generated_config"))
        recs.append(recommendation(ctx, f"Review, then apply on {g.device or 'the device'} in a change window", g.lines, g.device, priority=2))
    valid = all(not g.problems for g in generated)
    summary = f"Generated {request.kind.replace('_', ' ')} configuration" + ("" if valid else " with problems to fix first")
    result = ConfigResult(intent="template", generated=generated)
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=0.9 if valid and not request.missing else 0.7, result=result)


def validate_config(os_name: str, running: str) -> tuple[list[str], dict[str, list[str]]]:
    """Structural problems in a config: dangling references and unused objects (config_references.py).
    Kept by content in the parse cache like the other readings of a configuration: every line is
    matched against every kind's patterns, about 20 ms for a campus switch, and a question asked
    again reads the same text. The caller gets its own lists."""
    problems, unused = PARSES.get_sync("references", content_key(running), validate_references, running)
    return list(problems), {kind: list(names) for kind, names in unused.items()}


def _show(os_name: str, running: str, interfaces: list[str], sections: list[str]) -> str:
    if not interfaces and not sections:
        return running
    root = read_config(os_name, running).tree
    wanted = [f"interface {i}" for i in interfaces] + sections
    blocks = [line for child in root.children if any(child.text.startswith(w) for w in wanted) for line in child.lines()]
    return "\n".join(blocks) or f"(no {' / '.join(wanted)} configuration)"


def _device_os(ctx: AnalysisContext, device: str) -> str:
    return ctx.inventory.get(device).os if device in ctx.inventory else "ios"
