"""Network health sweep: every device through the diagnosis and performance tools, worst first.

Used by `/noc-health` and the daily report. Observations come from the tools (thresholds from
config), so the sweep needs no LLM and costs one session per device.
"""

from __future__ import annotations

import asyncio
import time

from pydantic import BaseModel, Field

from agents.severity import Severity
from agents.tools.network import Toolbox
from agents.tools.registry import DEVICE_SWEEP, call_tool
from agents.tools.results import DeviceHealth, Observation, TrafficAnalysis


class DeviceHealthRow(BaseModel):
    device: str
    role: str
    severity: Severity
    observations: list[Observation] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    cpu_pct: float | None = None
    busiest_pct: float | None = None


class HealthSweep(BaseModel):
    devices: list[DeviceHealthRow]
    duration_s: float
    checked: int

    @property
    def worst(self) -> Severity:
        return Severity.worst([d.severity for d in self.devices])


async def _device(toolbox: Toolbox, name: str) -> DeviceHealthRow:
    results = await asyncio.gather(*(call_tool(toolbox, tool, {"device": name, **args}) for tool, args in DEVICE_SWEEP))
    seen, observations = set(), []
    for r in results:
        for o in r.observations:
            if o.severity.rank >= Severity.low.rank and o.message not in seen:
                seen.add(o.message)
                observations.append(o)
    errors = list(dict.fromkeys(r.error.message for r in results if not r.ok and r.error))
    observations.sort(key=lambda o: -o.severity.rank)
    severity = Severity.worst([o.severity for o in observations] + ([Severity.high] if errors else []))
    health = next((r for r in results if isinstance(r, DeviceHealth)), None)
    traffic = [i for r in results if isinstance(r, TrafficAnalysis) for i in r.interfaces]
    busiest = max((max(i.in_util_pct, i.out_util_pct) for i in traffic), default=None)
    return DeviceHealthRow(device=name, role=toolbox.inventory.get(name).role, severity=severity, observations=observations,
                           errors=errors, cpu_pct=health.cpu_pct if health else None, busiest_pct=busiest)


async def sweep(toolbox: Toolbox) -> HealthSweep:
    t0 = time.monotonic()
    with toolbox.inventory.pinned():  # one device list for the whole sweep, whatever a refresh does meanwhile
        rows = list(await asyncio.gather(*(_device(toolbox, d) for d in toolbox.inventory.names)))
    rows.sort(key=lambda r: (-r.severity.rank, -len(r.observations), r.device))
    return HealthSweep(devices=rows, duration_s=round(time.monotonic() - t0, 3), checked=len(rows))
