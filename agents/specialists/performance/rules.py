"""Offline performance analysis: utilisation, drops, errors, headroom and a capacity forecast.

The forecast is deliberately simple and says so: the current rate from the two counter samples
grown at a configured monthly rate (compound), giving months until 80% and 100% of the link.
Congested interfaces are checked for a QoS policy by asking the config specialist, because
performance has no access to configuration itself.
"""

from __future__ import annotations

import asyncio
import math

from pydantic import BaseModel, Field

from agents.models import QosQuery, Specialist
from agents.network.commands import commands
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding, recommendation
from agents.specialists.log_evidence import read_logs
from agents.specialists.log_story import logged_changes
from agents.specialists.performance.paths import latency_clause, measure_paths, normal_util, path_findings, slow_paths
from agents.specialists.replies import Bottleneck, QosReply, reply
from agents.tools.results import DeviceHealth, TrafficAnalysis

FORECAST_TOP_N = 5


class CapacityForecast(BaseModel):
    device: str
    interface: str
    direction: str
    current_util_pct: float
    months_to_80: float | None
    months_to_100: float | None
    assumption: str


class PerformanceResult(BaseModel):
    bottlenecks: list[Bottleneck] = Field(default_factory=list)
    forecasts: list[CapacityForecast] = Field(default_factory=list)
    cpu_pct: dict[str, float] = Field(default_factory=dict)
    memory_used_pct: dict[str, float] = Field(default_factory=dict)
    interval_s: float = 0.0


def months_until(current_pct: float, target_pct: float, growth_pct: float) -> float | None:
    """Months of compound growth until `current_pct` reaches `target_pct` (0 if already there)."""
    if current_pct <= 0:
        return None
    if current_pct >= target_pct:
        return 0.0
    return round(math.log(target_pct / current_pct) / math.log(1 + growth_pct / 100), 1)


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    devices = ctx.devices
    pairs, latency = await asyncio.gather(
        asyncio.gather(*(asyncio.gather(ctx.tool("analyze_traffic_patterns", device=d), ctx.tool("get_device_health", device=d)) for d in devices)),
        measure_paths(ctx, devices))
    traffic = [t for t, _ in pairs if isinstance(t, TrafficAnalysis) and t.ok]
    health = [h for _, h in pairs if isinstance(h, DeviceHealth) and h.ok]
    t = ctx.thresholds
    growth = ctx.engine.capacity_growth_pct_per_month

    bottlenecks: list[Bottleneck] = []
    rows = []
    for analysis in traffic:
        per_min = 60.0 / (analysis.interval_s or 60.0)
        for i in analysis.interfaces:
            direction, util = ("output", i.out_util_pct) if i.out_util_pct >= i.in_util_pct else ("input", i.in_util_pct)
            drops = (i.tx_discards_delta if direction == "output" else i.rx_discards_delta) * per_min
            errors = (i.rx_errors_delta + i.tx_errors_delta) * per_min
            rows.append((analysis.device, i, direction, util))
            if util >= t.utilisation_high_pct or drops >= t.discards_per_min_high:
                bottlenecks.append(Bottleneck(
                    device=analysis.device or "", interface=i.name, description=i.description, direction=direction, util_pct=util,
                    speed_mbps=i.speed_mbps, rate_mbps=i.out_mbps if direction == "output" else i.in_mbps,
                    drops_per_min=round(drops, 1), errors_per_min=round(errors, 1)))
    bottlenecks.sort(key=lambda b: (-b.util_pct, -b.drops_per_min))
    await _check_qos(ctx, bottlenecks)

    rows.sort(key=lambda r: -r[3])
    forecasts = [
        CapacityForecast(device=dev or "", interface=i.name, direction=direction, current_util_pct=util,
                         months_to_80=months_until(util, 80, growth), months_to_100=months_until(util, 100, growth),
                         assumption=f"current rate grows {growth:g}% per month (compound)")
        for dev, i, direction, util in rows[:FORECAST_TOP_N] if util > 0
    ]
    result = PerformanceResult(
        bottlenecks=bottlenecks, forecasts=forecasts,
        cpu_pct={h.device: h.cpu_pct for h in health if h.device and h.cpu_pct is not None},
        memory_used_pct={h.device: h.memory_used_pct for h in health if h.device and h.memory_used_pct is not None},
        interval_s=traffic[0].interval_s if traffic else 0.0,
    )

    findings, recs = [], []
    for b in bottlenecks:
        sev = Severity.high if (b.util_pct >= t.utilisation_critical_pct or b.drops_per_min >= t.discards_per_min_high) else Severity.medium
        speed = f"{b.speed_mbps:g} Mbps" if b.speed_mbps else "an unknown speed"
        normal = normal_util(ctx, b.device, b.interface)
        text = (f"{b.device} {b.interface}{' (' + b.description + ')' if b.description else ''}: {b.direction} at {b.util_pct:.0f}% of "
                f"{speed} ({b.rate_mbps:.1f} Mbps)" + (f", normally {normal:g}%" if normal is not None else ""))
        if b.drops_per_min:
            text += f", {b.drops_per_min:,.0f} {b.direction} drops/min"
        if b.qos_checked:
            text += f"; QoS policy: {b.qos_policy}" if b.qos_policy else "; no QoS service-policy applied"
        findings.append(finding(ctx, text, sev, b.device, "bottleneck"))
        if b.qos_checked and not b.qos_policy:
            policy = b.unused_policies[0] if b.unused_policies else None
            recs.append(recommendation(ctx, f"Apply a QoS policy on {b.device} {b.interface} so voice and business traffic are protected",
                                       commands(ctx.inventory.get(b.device).os if b.device in ctx.inventory else "ios", "qos_apply",
                                                interface=b.interface, direction=b.direction, policy=policy), b.device, priority=1))
        if b.qos_checked and not b.qos_policy:  # a policy that used to be there went with a change: the log says whose
            for device, change in logged_changes(await read_logs(ctx, [b.device]))[-1:]:
                findings.append(finding(ctx, f"{device}: last {change} (from its log); check whether it removed the service-policy", Severity.info, device, "config_change_logged"))
                recs.append(recommendation(ctx, f"See what the last change on {device} was", commands(ctx.inventory.get(device).os if device in ctx.inventory else "ios", "recent_change"), device, priority=2))
        recs.append(recommendation(ctx, f"Plan more capacity for {b.device} {b.interface} (sustained {b.util_pct:.0f}%): confirm the load and the drops first",
                                   commands(ctx.inventory.get(b.device).os if b.device in ctx.inventory else "ios", "congestion_check", interface=b.interface),
                                   b.device, priority=2))
    for dev, cpu in result.cpu_pct.items():
        if cpu >= t.cpu_high_pct:
            findings.append(finding(ctx, f"{dev} CPU at {cpu:.0f}%: little control-plane headroom", Severity.high if cpu >= t.cpu_critical_pct else Severity.medium, dev, "cpu_high"))
            recs.append(recommendation(ctx, f"Find the processes using the CPU on {dev}",
                                       commands(ctx.inventory.get(dev).os if dev in ctx.inventory else "ios", "cpu_check", slot="all"), dev, priority=1))
    for f in forecasts[:3]:
        when = "already past 80%" if f.months_to_80 == 0 else (f"80% in ~{f.months_to_80:g} months" if f.months_to_80 is not None else "no growth measured")
        findings.append(finding(ctx, f"Forecast {f.device} {f.interface} {f.direction}: {f.current_util_pct:.0f}% now, {when} ({f.assumption})", Severity.info, f.device, "forecast"))
    slow = slow_paths(latency)
    path_found, path_recs = path_findings(ctx, latency, {b.device for b in bottlenecks})
    findings[:0], recs[:0] = path_found, path_recs  # expected vs actual first: the answer to "is it slow?"
    failed = failure_findings(ctx)
    findings += failed

    if bottlenecks:
        b = bottlenecks[0]
        summary = f"Bottleneck: {b.device} {b.interface} {b.direction} at {b.util_pct:.0f}%" + (f" with {b.drops_per_min:,.0f} drops/min" if b.drops_per_min else "")
        if b.qos_checked and not b.qos_policy:
            summary += " and no QoS policy applied"
        queued = next(((d, p) for d, p in slow if d == b.device), None)  # the queue's delay, in numbers
        if queued is not None:
            summary += f"; round trip {latency_clause(*queued)}"
    elif slow:
        device, p = slow[0]
        summary = f"Latency degraded: {latency_clause(device, p)}"
        own = next((r for r in rows if r[0] == device), None)  # rows are busiest first
        if own is not None:
            normal = normal_util(ctx, device, own[1].name)
            summary += (f", with no congestion: {device}'s busiest interface {own[1].name} runs at {own[3]:.0f}%"
                        + (f" (normally {normal:g}%)" if normal is not None else "") + ", so the delay is on the path, not the load")
    elif rows:
        busiest, i, direction, util = rows[0]
        summary = f"No congestion: the busiest interface is {busiest} {i.name} {direction} at {util:.0f}%"
        measured = [(r.device, p) for r in latency for p in r.paths if p.rtt_avg_ms is not None]
        if measured:
            summary += "; latency normal: " + ", ".join(f"{d} to {p.label} {p.rtt_avg_ms:g} ms (baseline {p.expected_ms:g} ms)" for d, p in measured[:2])
    else:
        summary = "No traffic data could be read"
    confidence = 0.88 if traffic else 0.3
    confidence -= 0.1 * min(len(failed), 3)
    return AnalystOutput(summary=summary, findings=findings, recommendations=recs, confidence=round(max(confidence, 0.2), 2),
                         result=result, partial=bool(failed))


async def _check_qos(ctx: AnalysisContext, bottlenecks: list[Bottleneck]) -> None:
    """Ask the config specialist whether each congested interface has a QoS policy."""
    for device in dict.fromkeys(b.device for b in bottlenecks):
        interfaces = [b.interface for b in bottlenecks if b.device == device]
        response = await ctx.ask(Specialist.config, f"QoS check: service-policy on {device} interfaces {', '.join(interfaces)}", [device],
                                 query=QosQuery(device=device, interfaces=interfaces))
        answer = reply(response, QosReply)
        if answer is None:
            continue
        qos = {(q.device, q.interface): q for q in answer.qos}
        unused = answer.unused_policies.get(device, [])
        for b in bottlenecks:
            q = qos.get((b.device, b.interface))
            if q is not None:
                b.qos_checked = True
                b.qos_policy = q.input_policy if b.direction == "input" else q.output_policy
                b.unused_policies = unused
