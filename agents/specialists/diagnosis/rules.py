"""Offline diagnosis: sweep the devices with the tools, then reason from observations to causes.

Causes are ranked by severity and by how specific the evidence is: a cross-checked remote-AS or
MTU mismatch explains a down session better than "the session is down", so it wins and the
symptom is folded into it. Each cause carries the exact commands to fix and verify it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.models import CongestionQuery, Specialist
from agents.network.commands import commands
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding, recommendation
from agents.specialists.diagnosis.checks import healthy_checks as _healthy_checks
from agents.specialists.log_evidence import LOGIN_KINDS, changes_before, log_observations, read_logs, timeline, unexplained_flaps
from agents.specialists.log_story import link_changes, log_story
from agents.specialists.replies import CongestionReply, reply
from agents.subject import LABELS, about, subjects_of
from agents.tools.latency import has_path_baselines
from agents.tools.registry import DEVICE_SWEEP
from agents.tools.results import LogSearch, Observation, ToolResult

Layer = Literal["physical", "data-link", "network", "control-plane", "management", "none"]


class ResolutionStep(BaseModel):
    description: str
    commands: list[str] = Field(default_factory=list)
    device: str | None = None


class RootCause(BaseModel):
    kind: str
    title: str
    detail: str
    layer: Layer
    severity: Severity
    devices: list[str]
    specificity: int  # 3 = cross-checked cause, 2 = measured symptom with cause, 1 = bare symptom
    steps: list[ResolutionStep] = Field(default_factory=list)


class DiagnosisResult(BaseModel):
    root_cause: str
    affected_layer: Layer
    severity: Severity
    causes: list[RootCause] = Field(default_factory=list)
    resolution_steps: list[ResolutionStep] = Field(default_factory=list)
    devices_checked: list[str] = Field(default_factory=list)
    healthy_checks: list[str] = Field(default_factory=list)


async def _sweep(ctx: AnalysisContext, device: str) -> list[ToolResult]:
    paths: tuple[tuple[str, dict[str, Any]], ...] = (("measure_latency", {}),) if device in ctx.inventory and has_path_baselines(ctx.inventory.get(device)) else ()
    return list(await asyncio.gather(*(ctx.tool(name, device=device, **args) for name, args in DEVICE_SWEEP + paths)))


def _unique(observations: list[Observation]) -> list[Observation]:
    seen, out = set(), []
    for o in observations:
        key = (o.kind, o.message)
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    devices = ctx.devices
    results = [r for chunk in await asyncio.gather(*(_sweep(ctx, d) for d in devices)) for r in chunk]
    observations = _unique([o for r in results for o in r.observations])
    failures = {r.device: r.error for r in results if not r.ok and r.error and r.error.kind in _ACCESS_FAILURES and r.device}
    unreachable = sorted(failures)

    causes: list[RootCause] = []
    causes += _bgp_causes(ctx, observations)
    causes += _ospf_causes(ctx, observations)
    causes += _error_causes(ctx, observations)
    causes += await _congestion_causes(ctx, observations)
    causes += _health_causes(ctx, observations)
    causes += _unreachable_causes(ctx, {d: (e.kind, e.message) for d, e in failures.items()})
    logs = await read_logs(ctx, [d for d in devices if d not in failures])
    causes += _log_causes(ctx, logs, causes)
    changed = [finding(ctx, f"{d}: configuration changed{f' by {e.user}' if e.user else ''} at {e.time}, just before the {c.title} (from its log)",
                       Severity.low, d, "config_change") for c in causes for d, e in changes_before(c.kind, c.devices, logs)[:1]]  # config judges it
    # The question's subject decides the root cause: a cause about something else is "also found".
    subjects = subjects_of(ctx.task.instruction)
    causes.sort(key=lambda c: (not about(subjects, c.kind, f"{c.title} {c.detail}"), -c.severity.rank, -c.specificity, c.title))
    story, seen = (log_story(logs) if "logs" in subjects else ""), link_changes(logs, subjects, ctx.task.instruction)  # seen: what the log says of the links asked about
    read_more = [recommendation(ctx, f"Read the whole log of {d}", commands(_os(ctx, d), "logs"), d, priority=2) for d in sorted(logs) if story]

    healthy_checks = _healthy_checks(results)
    if not causes:
        summary = story or (f"From the log: {seen}; no fault now. " if seen else "") + ((f"No fault found on {len(devices)} device(s) checked: " + "; ".join(healthy_checks)) if healthy_checks else "No fault found.")
        result = DiagnosisResult(root_cause="No fault found", affected_layer="none", severity=Severity.info,
                                 devices_checked=devices, healthy_checks=healthy_checks)
        failed = failure_findings(ctx)
        confidence = 0.85 if not failed else max(0.4, 0.85 - 0.15 * len(failed))
        return AnalystOutput(summary=summary, findings=[finding(ctx, summary)] + failed, recommendations=read_more, confidence=confidence,
                             result=result, partial=bool(failed))

    top = causes[0]
    findings = [finding(ctx, f"{c.title}: {c.detail}", c.severity, c.devices[0] if c.devices else None, c.kind) for c in causes]
    findings += changed + [f for f in failure_findings(ctx) if f.device not in unreachable]
    recs = []
    for i, c in enumerate(causes, start=1):
        for step in c.steps:
            recs.append(recommendation(ctx, step.description, step.commands, step.device, priority=min(i, 5)))
    same = [c for c in causes[1:] if _same_subject(subjects, top, c)]
    other = [c for c in causes[1:] if c not in same]
    others = (f" Also: {_also(same)}." if same else "") + (f" Also found: {_also(other)}." if other else "")
    summary = f"Root cause: {top.title} ({top.layer} layer, {top.severity.value}). {top.detail.rstrip('.')}.{others}"
    confidence = {3: 0.92, 2: 0.85, 1: 0.65}[top.specificity]
    if not about(subjects, top.kind, f"{top.title} {top.detail}") and not story:
        summary = (f"From the log: {seen}. " if seen else "") + _off_subject(subjects, devices, healthy_checks, causes)
        confidence = 0.8
    elif story:
        summary = f"{story} {summary}"
        recs += read_more
    if any(not r.ok for r in results) and top.kind != "unreachable":
        confidence -= 0.1
    result = DiagnosisResult(root_cause=f"{top.title}: {top.detail}", affected_layer=top.layer, severity=top.severity,
                             causes=causes, resolution_steps=top.steps, devices_checked=devices, healthy_checks=healthy_checks)
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=round(confidence, 2), result=result)


# -- cause rules ------------------------------------------------------------------------------


def _os(ctx: AnalysisContext, device: str) -> str:
    return ctx.inventory.get(device).os if device in ctx.inventory else "ios"


def _bgp_causes(ctx: AnalysisContext, obs: list[Observation]) -> list[RootCause]:
    causes = []
    explained: set[frozenset[str]] = set()
    seen = set()
    for o in obs:
        if o.kind != "bgp_as_mismatch":
            continue
        d = o.data
        key = (d["misconfigured_device"], d["peer"])
        if key in seen:
            continue
        seen.add(key)
        dev, peer, wrong, right, local = d["misconfigured_device"], d["peer"], d["configured_remote_as"], d["actual_as"], d.get("local_as")
        explained.add(frozenset({dev, d["peer_device"]}))
        causes.append(RootCause(
            kind="bgp_as_mismatch", title="BGP remote-AS mismatch", layer="network", severity=Severity.high, specificity=3,
            devices=[dev, d["peer_device"]],
            detail=(f"{dev} is configured with remote-as {wrong} for neighbour {peer} ({d['peer_device']}), but "
                    f"{d['peer_device']} runs AS {right}, so the session cannot establish (OPEN rejected: bad peer AS)."),
            steps=[
                ResolutionStep(description=f"Correct the remote AS for {peer} on {dev}", device=dev,
                               commands=commands(_os(ctx, dev), "bgp_fix_remote_as", local_as=local, peer=peer, wrong=wrong, right=right)),
                ResolutionStep(description="Verify the session comes up and prefixes are exchanged", device=dev,
                               commands=commands(_os(ctx, dev), "bgp_verify", peer=peer)),
            ]))
    for o in obs:
        if o.kind != "bgp_down":
            continue
        pair = frozenset({o.device or "", o.data.get("peer_device") or ""})
        if pair in explained:
            continue
        peer = o.data.get("peer")
        causes.append(RootCause(
            kind="bgp_down", title="BGP session down", layer="network", severity=Severity.high, specificity=1,
            devices=[o.device or ""], detail=o.message + "; the peer's configuration could not be cross-checked to explain why.",
            steps=[ResolutionStep(description=f"Check why the session to {peer} does not establish", device=o.device,
                                  commands=commands(_os(ctx, o.device or ""), "bgp_check", peer=peer))]))
    return causes


def _ospf_causes(ctx: AnalysisContext, obs: list[Observation]) -> list[RootCause]:
    causes = []
    explained: set[frozenset[str]] = set()
    for o in obs:
        if o.kind != "mtu_mismatch":
            continue
        d = o.data
        ends = frozenset({f"{o.device} {o.interface}", f"{d['peer_device']} {d['peer_interface']}"})
        if ends in explained:
            continue
        explained.add(ends)
        # The side with a non-default (IP) MTU is usually the one that changed; the value it needs is
        # the other side's IP MTU in its own platform's count (IOS-XR and Junos add the L2 header).
        local_l2, peer_l2 = d.get("local_l2_overhead", 0), d.get("peer_l2_overhead", 0)
        local_ip, peer_ip = d["local_mtu"] - local_l2, d["peer_mtu"] - peer_l2
        if local_ip != 1500 or peer_ip == 1500:
            fix_dev, fix_if, fix_to, other_mtu = o.device, o.interface, peer_ip + local_l2, d["local_mtu"]
        else:
            fix_dev, fix_if, fix_to, other_mtu = d["peer_device"], d["peer_interface"], local_ip + peer_l2, d["peer_mtu"]
        causes.append(RootCause(
            kind="mtu_mismatch", title="OSPF adjacency stuck in EXSTART: interface MTU mismatch", layer="network",
            severity=Severity.high, specificity=3, devices=[o.device or "", d["peer_device"]],
            detail=(f"{o.device} {o.interface} has MTU {d['local_mtu']} but {d['peer_device']} {d['peer_interface']} has MTU "
                    f"{d['peer_mtu']}; the neighbours reject each other's database description packets and never reach FULL."),
            steps=[
                ResolutionStep(description=f"Set the MTU on {fix_dev} {fix_if} back to {fix_to} to match its neighbour (it is {other_mtu})",
                               device=fix_dev, commands=commands(_os(ctx, fix_dev or ""), "mtu_fix", interface=fix_if, mtu=fix_to)),
                ResolutionStep(description="Verify the adjacency reaches FULL", device=fix_dev,
                               commands=commands(_os(ctx, fix_dev or ""), "ospf_verify", interface=fix_if)),
            ]))
    for o in obs:
        if o.kind != "ospf_stuck":
            continue
        if any(f"{o.device} {o.interface}" in e for e in explained):
            continue
        causes.append(RootCause(
            kind="ospf_stuck", title=f"OSPF adjacency stuck in {o.data.get('state')}", layer="network", severity=Severity.high,
            specificity=1, devices=[o.device or ""], detail=o.message,
            steps=[ResolutionStep(description="Compare OSPF parameters on both ends (area, timers, network type, MTU, authentication)",
                                  device=o.device, commands=commands(_os(ctx, o.device or ""), "ospf_check", interface=o.interface))]))
    return causes


def _error_causes(ctx: AnalysisContext, obs: list[Observation]) -> list[RootCause]:
    causes = []
    for o in obs:
        if o.kind != "interface_errors":
            continue
        causes.append(RootCause(
            kind="interface_errors", title=f"CRC/input errors on {o.device} {o.interface}", layer="physical",
            severity=Severity.high, specificity=2, devices=[o.device or ""],
            detail=(f"{o.message}. Input (CRC) errors climbing this fast point to a failing optic, a dirty or damaged "
                    "fibre/patch lead, or a duplex/speed problem on the link; packets are being corrupted and dropped."),
            steps=[
                ResolutionStep(description=f"Confirm CRC errors and check optic levels on {o.device} {o.interface}", device=o.device,
                               commands=commands(_os(ctx, o.device or ""), "errors_check", interface=o.interface)),
                ResolutionStep(description="Clean or replace the patch lead and optic on both ends, then clear counters and re-measure",
                               device=o.device, commands=commands(_os(ctx, o.device or ""), "errors_clear", interface=o.interface)),
            ]))
    return causes


async def _congestion_causes(ctx: AnalysisContext, obs: list[Observation]) -> list[RootCause]:
    hot = [o for o in obs if o.kind == "high_utilisation"]
    if not hot:
        return []
    devices = sorted({o.device for o in hot if o.device})
    perf = await ctx.ask(Specialist.performance, "Analyse congestion and check QoS on the busy interfaces", devices,
                         query=CongestionQuery(devices=devices))
    congestion = reply(perf, CongestionReply)
    bottlenecks = congestion.bottlenecks if congestion else []
    causes = []
    for o in hot:
        b = next((b for b in bottlenecks if b.device == o.device and b.interface == o.interface), None)
        os_name = _os(ctx, o.device or "")
        drops = next((x for x in obs if x.kind == "drops" and x.device == o.device and x.interface == o.interface), None)
        no_qos = b is not None and b.qos_checked and not b.qos_policy
        detail = o.message + (f" with {drops.data['per_min']:,.0f} {drops.data['direction']} drops/min" if drops else "")
        if no_qos and b is not None:
            detail += f"; no QoS service-policy is applied on {o.interface}, so voice and business traffic are dropped as freely as bulk traffic"
            spare = b.unused_policies
            title = "WAN congestion with no QoS policy applied" if ctx.inventory.get(o.device or "").role in {"branch-router", "wan-edge"} else "Link congestion with no QoS policy applied"
            steps = [ResolutionStep(description=f"Re-apply the QoS policy on {o.device} {o.interface}" + (f" ({spare[0]} is defined but unused)" if spare else ""),
                                    device=o.device, commands=commands(os_name, "qos_apply", interface=o.interface, direction="output", policy=spare[0] if spare else None)),
                     ResolutionStep(description="Verify the policy is attached and priority traffic is no longer dropped", device=o.device,
                                    commands=commands(os_name, "qos_verify", interface=o.interface)),
                     ResolutionStep(description="If utilisation stays above 80%, order more bandwidth for the circuit", device=o.device)]
            specificity = 3 if drops else 2
        else:
            title = f"Congestion on {o.device} {o.interface}"
            steps = [ResolutionStep(description="Identify the top talkers and check the queueing policy", device=o.device,
                                    commands=commands(os_name, "congestion_check", interface=o.interface))]
            specificity = 2 if drops else 1
        sev = Severity.high if (drops or o.severity.rank >= Severity.high.rank) else Severity.medium
        causes.append(RootCause(kind="congestion", title=title, layer="network", severity=sev, specificity=specificity,
                                devices=[o.device or ""], detail=detail, steps=steps))
    return causes


def _health_causes(ctx: AnalysisContext, obs: list[Observation]) -> list[RootCause]:
    causes = []
    for o in obs:
        if o.kind == "cpu_high":
            os_name, slot = _os(ctx, o.device or ""), o.data.get("cpu") if o.data.get("slot") else "all"
            causes.append(RootCause(
                kind="cpu_high", title=f"High CPU on {o.device}", layer="control-plane", severity=o.severity,
                specificity=2, devices=[o.device or ""],
                detail=f"{o.message}; a busy control plane delays routing updates and management access and can drop punted traffic.",
                steps=[ResolutionStep(description="Find the processes using the CPU", device=o.device, commands=commands(os_name, "cpu_check", slot=slot)),
                       ResolutionStep(description="Check control-plane policing and punted traffic", device=o.device,
                                      commands=commands(os_name, "copp_check", slot=slot))]))
        elif o.kind in {"psu_failed", "fan_failed", "temperature", "memory_high"}:
            fans = [f.data.get("fan") for f in obs if f.kind == "fan_failed" and f.device == o.device] if o.kind == "temperature" else []
            why = f"; fan {', '.join(map(str, fans))} failed on the same device, the likely cause." if fans else ""
            causes.append(RootCause(kind=o.kind, title=o.message, layer="physical" if o.kind != "memory_high" else "control-plane",
                                    severity=o.severity, specificity=2, devices=[o.device or ""], detail=o.message + why,
                                    steps=[ResolutionStep(description="Check the environment and hardware status", device=o.device,
                                                          commands=commands(_os(ctx, o.device or ""), "environment_check"))]))
        elif o.kind == "latency_degraded":  # slower than its baseline: performance judges where the time goes (plan.judges)
            causes.append(RootCause(kind=o.kind, title=f"Path latency degraded from {o.device}", layer="network", severity=o.severity, specificity=1,
                                    devices=[o.device or ""], detail=o.message, steps=[ResolutionStep(description="Find where the delay is added",
                                    device=o.device, commands=commands(_os(ctx, o.device or ""), "latency_check", host=o.data.get("target")))]))
        elif o.kind == "interface_down":
            causes.append(RootCause(kind="interface_down", title=f"{o.device} {o.interface} is down", layer="data-link",
                                    severity=o.severity, specificity=1, devices=[o.device or ""], detail=o.message,
                                    steps=[ResolutionStep(description="Check the link and its far end", device=o.device,
                                                          commands=commands(_os(ctx, o.device or ""), "interface_check", interface=o.interface))]))
    return causes


# Failures that leave a device's state unreadable, each with what it means and what to check.
_ACCESS_FAILURES = {
    "unreachable": ("is unreachable", "did not answer on its management address"),
    "timeout": ("is not answering", "did not answer in time; it may be down, overloaded, or a firewall drops the session"),
    "refused": ("refused the management connection", "is reachable but refused the connection: the SSH/API service is off, on another port, or filtered by an access-class"),
    "dns": ("cannot be resolved", "has a hostname that does not resolve, so it was never contacted"),
    "auth": ("rejected the bot's login", "answered but rejected the credentials"),
}


def _unreachable_causes(ctx: AnalysisContext, errors: dict[str, tuple[str, str]]) -> list[RootCause]:
    """One cause per device that could not be read; the steps follow the cause (no ping for a bad password)."""
    causes = []
    for dev, (kind, message) in sorted(errors.items()):
        host = ctx.inventory.get(dev).hostname
        title, detail = _ACCESS_FAILURES[kind]
        steps = {
            "unreachable": [ResolutionStep(description=f"Check reachability of {dev} from the management network", device=dev,
                                           commands=commands(_os(ctx, dev), "reachability", host=host)),
                            ResolutionStep(description="If it does not answer, use the console/out-of-band access and check power and uplinks", device=dev)],
            "timeout": [ResolutionStep(description=f"Check reachability of {dev} and whether a firewall drops the session", device=dev,
                                       commands=commands(_os(ctx, dev), "reachability", host=host)),
                        ResolutionStep(description="If it answers ping, check its CPU and the management-plane sessions from the console", device=dev)],
            "refused": [ResolutionStep(description=f"Check that SSH (or the API the driver uses) is enabled on {dev} and allowed from the bot's address", device=dev,
                                       commands=commands(_os(ctx, dev), "mgmt_service_check"))],
            "dns": [ResolutionStep(description=f"Fix the inventory hostname of {dev} ({host}) or its DNS record", device=dev, commands=[f"nslookup {host}"])],
            "auth": [ResolutionStep(description=f"Check the bot's account on {dev} (username, password variable, AAA server)", device=dev,
                                    commands=commands(_os(ctx, dev), "auth_check"))],
        }[kind]
        causes.append(RootCause(kind="unreachable", title=f"{dev} {title}", layer="management", severity=Severity.high, specificity=2, devices=[dev],
                                detail=f"{dev} ({host}) {detail} ({message}); its state cannot be read and users behind it may be affected.", steps=steps))
    return causes


def _off_subject(subjects: frozenset[str], devices: list[str], healthy: list[str], causes: list[RootCause]) -> str:
    """The lead when nothing found is about what was asked: say so, then what was found instead."""
    label = " or ".join(sorted(LABELS[s] for s in subjects if s in LABELS))
    checks = [c for c in healthy if about(subjects, None, c)]
    said = f": {'; '.join(checks)}" if checks else ""
    return f"No {label} fault found on {len(devices)} device(s) checked{said}. Also found: {causes[0].title} ({causes[0].severity.value}): {causes[0].detail}" + (
        f"; {_also(causes[1:])}" if len(causes) > 1 else "")


def _same_subject(subjects: frozenset[str], top: RootCause, c: RootCause) -> bool:
    return c.kind == top.kind or (bool(subjects) and about(subjects, c.kind, f"{c.title} {c.detail}"))


def _also(causes: list[RootCause], shown: int = 6) -> str:
    """The other causes by title; causes sharing a title (seven down sessions) by the first clause of their detail."""
    titles = Counter(c.title for c in causes)
    names = [c.title if titles[c.title] == 1 else c.detail.split(";")[0] for c in causes[:shown]]
    return "; ".join(names) + (f" (and {len(causes) - shown} more)" if len(causes) > shown else "")


def _log_causes(ctx: AnalysisContext, logs: dict[str, LogSearch], causes: list[RootCause]) -> list[RootCause]:
    """Timelines from the logs for the causes found, and the causes only the logs show (log_evidence.py)."""
    for c in causes:
        c.detail += timeline(c.kind, c.devices, logs)
        for device, change in changes_before(c.kind, c.devices, logs)[:1]:  # the change just before it: first suspect
            os_name = _os(ctx, device)
            c.steps.insert(0, ResolutionStep(
                description=f"Review the configuration change{f' by {change.user}' if change.user else ''} at {change.time} on {device}, "
                            "made just before the failure, and roll it back if it caused it",
                device=device, commands=commands(os_name, "recent_change") + commands(os_name, "rollback_change")))
    explained = {d for c in causes for d in c.devices}
    out = []
    for o in log_observations(logs, LOGIN_KINDS):
        out.append(RootCause(kind=o.kind, title=f"Login attack on {o.device}", layer="management", severity=o.severity, specificity=2,
                             devices=[o.device or ""], detail=o.message.removeprefix(f"{o.device}: "), steps=_login_steps(ctx, o)))
    for o in unexplained_flaps(logs, explained):
        title = "Flapping interface" if o.kind == "link_flaps" else "Unstable routing session"
        out.append(RootCause(kind=o.kind, title=f"{title} on {o.device} (from its log)", layer="data-link" if o.kind == "link_flaps" else "network",
                             severity=o.severity, specificity=1, devices=[o.device or ""], detail=o.message.removeprefix(f"{o.device}: "),
                             steps=[ResolutionStep(description=f"Read the log around the flaps on {o.device}", device=o.device,
                                                   commands=commands(_os(ctx, o.device or ""), "flaps_log"))]))
    return out


def _login_steps(ctx: AnalysisContext, o: Observation) -> list[ResolutionStep]:
    source, os_name = o.data.get("source", "<source>"), _os(ctx, o.device or "")
    steps = [ResolutionStep(description=f"See who is logged in on {o.device} now and clear any session from {source}", device=o.device,
                            commands=commands(os_name, "login_sessions")),
             ResolutionStep(description="Restrict the VTY lines to the management networks and slow down guessing", device=o.device,
                            commands=commands(os_name, "login_restrict"))]
    if o.kind == "login_after_failures":
        steps.insert(1, ResolutionStep(description=f"Treat the '{o.data.get('success_user')}' account as compromised: disable it, rotate credentials, review what was changed",
                                       device=o.device, commands=commands(os_name, "disable_user", user=o.data.get("success_user"))))
    return steps
