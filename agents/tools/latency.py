"""Latency against a baseline: what a path should take, what it takes now, and how much worse it is.

Why baselines are data: "latency 200 ms" means nothing on its own (a satellite branch lives
there; a campus link at 200 ms is broken). Each device's inventory data says what it should see,
so the answer can say "should be 20 ms": `data.baselines.paths` lists the targets the device pings
(NAPALM's `ping` getter, run on the device itself) with the round trip that is normal for them,
and `data.baselines.interfaces` the utilisation that is normal for an interface. A site edits its
inventory (or NetBox/Nautobot config context, which lands in the same data); nothing here knows a
network. A path is degraded when its average round trip is more than `tolerance_pct` above normal,
or when probes are lost.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.network.gateway import ping_read as gateway_ping_read
from agents.network.inventory import Device
from agents.severity import Severity
from agents.tools.results import Observation, ToolResult


class PathBaseline(BaseModel):
    """One path a device measures: the target it pings and the round trip that is normal for it."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1, description="address (or name) the device pings")
    name: str = Field("", description="what the path is, e.g. 'HQ over the WAN (edge-rtr-01)'")
    expected_ms: float = Field(gt=0, description="the normal average round trip")
    tolerance_pct: float = Field(50.0, ge=0, le=1000, description="how far above normal is still normal")
    vrf: str = ""


class InterfaceBaseline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    util_pct: float = Field(ge=0, le=100, description="the utilisation that is normal for the interface")


class Baselines(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[PathBaseline] = Field(default_factory=list)
    interfaces: dict[str, InterfaceBaseline] = Field(default_factory=dict)


class BaselineError(ValueError):
    """A device's `data.baselines` that cannot be read; the message names the device and the field."""


def baselines_of(device: Device) -> Baselines:
    raw = device.data.get("baselines")
    if raw is None:
        return Baselines()
    try:
        return Baselines.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'baselines'}: {e['msg']}" for e in exc.errors())
        raise BaselineError(f"{device.name}: data.baselines: {problems}") from None


def has_path_baselines(device: Device) -> bool:
    """Whether `device` has paths to measure (a bad baselines entry counts: measuring names the bad field)."""
    try:
        return bool(baselines_of(device).paths)
    except BaselineError:
        return True


def ping_read(path: PathBaseline) -> str:
    """The gateway read that pings this path's target (agents.network.gateway.ping_read)."""
    return gateway_ping_read(path.target, path.vrf)


class PathLatency(BaseModel):
    target: str
    name: str = ""
    expected_ms: float
    tolerance_pct: float
    status: Literal["normal", "degraded", "unreachable", "error"]
    rtt_avg_ms: float | None = None  # None: no probe came back
    rtt_max_ms: float | None = None
    loss_pct: float = 0.0
    probes_sent: int = 0
    degradation_pct: float | None = None  # (actual - expected) / expected, in percent
    error: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} ({self.target})" if self.name else self.target


class LatencyReport(ToolResult):
    """Each baselined path's round trip against its normal (empty when the device has no baselines)."""

    paths: list[PathLatency] = Field(default_factory=list)
    note: str = ""


def path_latency(path: PathBaseline, raw: Any) -> PathLatency:
    """One NAPALM ping result against its baseline. NAPALM's `packet_loss` is a count of lost
    probes, and `rtt_avg` is 0.0 when none came back, which is no answer, not a fast one."""
    base = {"target": path.target, "name": path.name, "expected_ms": path.expected_ms, "tolerance_pct": path.tolerance_pct}
    if not isinstance(raw, dict) or "success" not in raw:
        error = str(raw.get("error", "")) if isinstance(raw, dict) else ""
        return PathLatency(**base, status="error", error=error or "the device returned no ping result")
    ok = raw["success"]
    sent = int(ok.get("probes_sent") or 0)
    lost = int(ok.get("packet_loss") or 0)
    loss = round(100.0 * lost / sent, 1) if sent else 100.0
    if sent == 0 or lost >= sent:
        return PathLatency(**base, status="unreachable", loss_pct=100.0, probes_sent=sent)
    avg, peak = float(ok.get("rtt_avg") or 0.0), float(ok.get("rtt_max") or 0.0)
    degradation = round(100.0 * (avg - path.expected_ms) / path.expected_ms, 0)
    degraded = avg > path.expected_ms * (1 + path.tolerance_pct / 100) or lost > 0
    return PathLatency(**base, status="degraded" if degraded else "normal", rtt_avg_ms=round(avg, 1), rtt_max_ms=round(peak, 1),
                       loss_pct=loss, probes_sent=sent, degradation_pct=degradation)


def expected_vs_actual(p: PathLatency) -> str:
    """'148.6 ms average (max 212 ms), should be 20 ms: +643%, no loss' (the sentence an engineer signs)."""
    if p.status == "unreachable":
        return f"no reply to {p.probes_sent or 'any'} probes (100% loss), should answer in {p.expected_ms:g} ms"
    if p.rtt_avg_ms is None:
        return f"not measured ({p.error})"
    sign = "+" if (p.degradation_pct or 0) >= 0 else ""
    loss = f"{p.loss_pct:g}% loss" if p.loss_pct else "no loss"
    return (f"{p.rtt_avg_ms:g} ms average (max {p.rtt_max_ms:g} ms), should be {p.expected_ms:g} ms: "
            f"{sign}{p.degradation_pct:.0f}% against its baseline, {loss}")


def latency_observations(device: str, paths: list[PathLatency]) -> list[Observation]:
    """A `latency_degraded` observation per path that is worse than normal; at three times normal,
    or with probes lost, or with no reply at all, it is high."""
    out = []
    for p in paths:
        if p.status not in ("degraded", "unreachable"):
            continue
        bad = p.status == "unreachable" or p.loss_pct > 0 or (p.degradation_pct or 0) >= 200
        out.append(Observation(kind="latency_degraded", severity=Severity.high if bad else Severity.medium, device=device,
                               message=f"{device} -> {p.label}: {expected_vs_actual(p)}",
                               data={"target": p.target, "expected_ms": p.expected_ms, "rtt_avg_ms": p.rtt_avg_ms,
                                     "loss_pct": p.loss_pct, "degradation_pct": p.degradation_pct}))
    return out
