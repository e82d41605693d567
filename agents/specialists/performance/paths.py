"""Expected vs actual for the performance specialist: each baselined path's round trip against its
normal (agents/tools/latency.py), and an interface's utilisation against the normal its device's
data gives.

Why apart from rules.py: utilisation says whether a link is full; only a baseline says whether it
is slow. "161 ms, should be 20 ms, +706%" with the circuit at its usual load points at the path
(the carrier), the same delay with the circuit at 96% points at the queue. Only devices that
have baselines are measured, so a network without them answers as before.
"""

from __future__ import annotations

import asyncio

from agents.models import Finding, Recommendation
from agents.network.commands import commands
from agents.specialists.base import AnalysisContext, finding, recommendation
from agents.tools.latency import BaselineError, LatencyReport, PathLatency, baselines_of, has_path_baselines

SLOW = ("degraded", "unreachable")


async def measure_paths(ctx: AnalysisContext, devices: list[str]) -> list[LatencyReport]:
    """measure_latency on every device with path baselines (readable reports only)."""
    wanted = [d for d in devices if d in ctx.inventory and has_path_baselines(ctx.inventory.get(d))]
    if not wanted or not ctx.may_use("measure_latency"):
        return []
    results = await asyncio.gather(*(ctx.tool("measure_latency", device=d) for d in wanted))
    return [r for r in results if isinstance(r, LatencyReport) and r.ok]


def slow_paths(reports: list[LatencyReport]) -> list[tuple[str, PathLatency]]:
    """(device, path) for every path worse than its baseline, the worst degradation first."""
    slow = [(r.device or "", p) for r in reports for p in r.paths if p.status in SLOW]
    return sorted(slow, key=lambda dp: -(1e9 if dp[1].status == "unreachable" else dp[1].degradation_pct or 0.0))


def normal_util(ctx: AnalysisContext, device: str, interface: str) -> float | None:
    """The utilisation that is normal for `device` `interface` (its data.baselines.interfaces), if known."""
    if device not in ctx.inventory:
        return None
    try:
        known = baselines_of(ctx.inventory.get(device)).interfaces
    except BaselineError:
        return None
    found = known.get(interface)
    return found.util_pct if found is not None else None


def path_findings(ctx: AnalysisContext, reports: list[LatencyReport], congested: set[str]) -> tuple[list[Finding], list[Recommendation]]:
    """A `latency_degraded` finding per slow path (the tool's expected-vs-actual line) and where to
    look next: the queue when the device's own link is congested, the path when it is not."""
    findings, recs = [], []
    for r in reports:
        for o in r.observations:
            if o.kind == "latency_degraded":
                findings.append(finding(ctx, o.message, o.severity, o.device, "latency_degraded"))
    for device, p in slow_paths(reports):
        os_name = ctx.inventory.get(device).os if device in ctx.inventory else "ios"
        where = ("the queue on the congested link adds it: relieve the congestion first" if device in congested
                 else "the links here carry their usual load, so trace the path (a provider reroute or a longer path adds it)")
        recs.append(recommendation(ctx, f"Find where the delay from {device} to {p.label} is added: {where}",
                                   commands(os_name, "latency_check", host=p.target), device, priority=2 if device in congested else 1))
    return findings, recs


def latency_clause(device: str, p: PathLatency) -> str:
    """'branch-rtr-01 to HQ edge-rtr-01 over the WAN 161.2 ms, should be 20 ms (+706%)'."""
    if p.status == "unreachable":
        return f"{device} to {p.label}: no reply (100% loss), should be {p.expected_ms:g} ms"
    loss = f", {p.loss_pct:g}% loss" if p.loss_pct else ""
    return f"{device} to {p.label} {p.rtt_avg_ms:g} ms, should be {p.expected_ms:g} ms (+{p.degradation_pct:.0f}%{loss})"
