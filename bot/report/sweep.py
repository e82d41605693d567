"""The report's network sweep: every device read once, then judged with the specialists' tools.

Why two phases instead of calling the tools device by device (as `agents.health.sweep` does for
a handful of devices): the tools read overlapping data (the BGP and OSPF checks look up every
device's addresses to name a peer), and each call outside a shared session would open one more
session. Here each device gets exactly one session that reads everything the gateway can read
(`Read`), bounded to `network.max_parallel_devices` at a time and `network.timeout_s` each, so
500 devices take at most timeout_s x ceil(500 / max_parallel_devices). The tools then run
unchanged over that snapshot, so the thresholds, checks and redaction are the specialists' own.

One device failing is a row with its error, never a failed report. A session that fails for a
reason other than reachability (a getter the driver lacks, output it cannot parse) is retried
read by read, so the reads that work still count.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

from agents.config import NetworkConfig
from agents.network.gateway import DeviceError, Read, ospf_command
from agents.network.inventory import Device
from agents.severity import Severity
from agents.tools.address_index import AddressIndex
from agents.tools.config_intake import WITHHELD
from agents.tools.network import Toolbox
from agents.tools.registry import DEVICE_SWEEP, call_tool
from agents.tools.results import DeviceConfig, DeviceHealth, RoutingStatus, SecurityScan, ToolResult
from bot.report.model import DeviceRow, NeighborState, NetworkSection, Problem

log = logging.getLogger(__name__)

# phase ("reading" | "analysing"), devices done, devices in all; may be called from any task.
Progress = Callable[[str, int, int], None]

# Failures that say the device is not there: retrying read by read would only wait again.
_DEVICE_DOWN = {"unreachable", "timeout", "refused", "dns", "auth", "credentials"}


@dataclass
class _Snapshot:
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, DeviceError] = field(default_factory=dict)
    down: DeviceError | None = None


class _SweepToolbox(Toolbox):
    """The same tools over the same (live) gateway, served from the sweep's snapshot: a read the
    snapshot lacks goes to the device. The address index every routing check consults is built
    once per sweep.

    Why the toolbox and not a stand-in gateway: the tools and the rest of the engine expect the
    real `Gateway` behind `toolbox.gateway` (its cache versions, `invalidate`, `close`); a
    stand-in that only had `read` type-checked as a Gateway nowhere and failed at the first other use.
    """

    def __init__(self, toolbox: Toolbox, snapshots: dict[str, _Snapshot]) -> None:
        super().__init__(toolbox.inventory, toolbox.gateway, toolbox.rules, toolbox.thresholds,
                         external=toolbox.external, runbooks_dir=toolbox.runbooks_dir)
        self._snapshots = snapshots
        self._index: AddressIndex | None = None
        self.live_reads = 0

    async def _read(self, device: Device, *reads: str) -> dict[str, Any]:
        snap = self._snapshots.get(device.name)
        if snap is not None and snap.down is not None:
            raise snap.down
        if snap is None or any(r not in snap.data and r not in snap.errors for r in reads):
            self.live_reads += 1
            log.debug("sweep: %s needs %s beyond its snapshot", device.name, list(reads))
            return await super()._read(device, *reads)
        for r in reads:
            if r in snap.errors:
                raise snap.errors[r]
        return {r: snap.data[r] for r in reads}

    async def _address_index(self) -> AddressIndex:
        if self._index is None:
            self._index = await super()._address_index()
        return self._index


def reads_for(device: Device) -> list[Read]:
    """Everything the sweep's tools read, minus OSPF where no command for the OS is known.

    Not the log buffer: no sweep tool reads it, and it is the largest answer a device gives.
    """
    return [r for r in get_args(Read) if r != "logs" and (r != "ospf" or ospf_command(device.os))]


async def _read_device(toolbox: Toolbox, device: Device) -> _Snapshot:
    reads = reads_for(device)
    try:
        return _Snapshot(data=await toolbox.gateway.read(device, reads))
    except DeviceError as exc:
        if exc.kind in _DEVICE_DOWN:
            return _Snapshot(down=exc)
        first = exc
    except Exception as exc:  # the gateway classifies errors; anything else is a bug, reported as a row
        log.exception("sweep: reading %s failed", device.name)
        return _Snapshot(down=DeviceError(device.name, "failed", f"reading {device.name} failed: {type(exc).__name__}"))
    snap = _Snapshot()
    for read in reads:
        try:
            snap.data.update(await toolbox.gateway.read(device, [read]))
        except DeviceError as exc:
            snap.errors[read] = exc
    if not snap.data:
        snap.down = first
    return snap


async def read_all(toolbox: Toolbox, parallel: int, progress: Progress | None = None) -> dict[str, _Snapshot]:
    """One session per device, at most `parallel` at a time, in inventory order."""
    devices = list(toolbox.inventory)
    queue: asyncio.Queue[Device] = asyncio.Queue()
    for device in devices:
        queue.put_nowait(device)
    snapshots: dict[str, _Snapshot] = {}

    async def worker() -> None:
        while not queue.empty():
            device = queue.get_nowait()
            snapshots[device.name] = await _read_device(toolbox, device)
            if progress is not None:
                progress("reading", len(snapshots), len(devices))

    await asyncio.gather(*(worker() for _ in range(max(1, min(parallel, len(devices))))))
    return snapshots


def _row(device: Device, checks: list[ToolResult], scan: SecurityScan, config: DeviceConfig) -> tuple[DeviceRow, str | None]:
    """A device's row and its redacted running config (None when it could not be read safely).

    Problems and errors come from the viewer tools only (`checks`); of the audit and the config,
    which need the operator role, the row keeps counts and rule titles, never evidence or lines.
    """
    seen: set[str] = set()
    problems: list[Problem] = []
    for result in checks:
        for o in result.observations:
            if o.severity.rank >= Severity.low.rank and o.message not in seen:
                seen.add(o.message)
                problems.append(Problem(kind=o.kind, severity=o.severity, message=o.message))
    problems.sort(key=lambda p: -p.severity.rank)
    errors = list(dict.fromkeys(r.error.message for r in checks if not r.ok and r.error))
    health = next((r for r in checks if isinstance(r, DeviceHealth) and r.ok), None)
    neighbors = [NeighborState(protocol=r.protocol, address=n.address, state=n.state, is_up=n.is_up, peer_device=n.peer_device)
                 for r in checks if isinstance(r, RoutingStatus) and r.ok for n in r.neighbors]
    severity = Severity.worst([p.severity for p in problems] + ([Severity.low] if errors else []))
    row = DeviceRow(device=device.name, role=device.role, site=device.site, severity=severity, errors=errors,
                    problems=problems, neighbors=neighbors,
                    cpu_pct=health.cpu_pct if health else None, memory_pct=health.memory_used_pct if health else None,
                    audit_counts=dict(scan.counts) if scan.ok else {}, audit_risk=scan.risk_score if scan.ok else None,
                    audit_titles={f.rule_id: f"{f.severity.value}: {f.title}" for f in scan.findings} if scan.ok else {})
    text = config.running if config.ok and config.running and WITHHELD not in config.running else None
    return row, text


async def analyse(toolbox: Toolbox, snapshots: dict[str, _Snapshot], progress: Progress | None = None
                  ) -> tuple[list[DeviceRow], dict[str, str]]:
    """Run the tools over the snapshot, device by device, yielding to the loop between devices
    (Slack events are served while a large report is analysed)."""
    tools = _SweepToolbox(toolbox, snapshots)
    rows: list[DeviceRow] = []
    configs: dict[str, str] = {}
    devices = list(toolbox.inventory)
    for done, device in enumerate(devices, 1):
        snap = snapshots[device.name]
        if snap.down is not None:
            rows.append(DeviceRow(device=device.name, role=device.role, site=device.site, severity=Severity.high,
                                  reachable=False, errors=[str(snap.down)]))
        else:
            try:
                checks = [await call_tool(tools, name, {"device": device.name, **args}) for name, args in DEVICE_SWEEP]
                row, text = _row(device, checks, await tools.scan_security_vulnerabilities(device.name),
                                 await tools.get_device_config(device.name))
            except Exception as exc:  # one device's bug is that device's row, not the report's end
                log.exception("sweep: analysing %s failed", device.name)
                row, text = DeviceRow(device=device.name, role=device.role, site=device.site, severity=Severity.low,
                                      errors=[f"analysis failed: {type(exc).__name__}"]), None
            rows.append(row)
            if text is not None:
                configs[device.name] = text
        if progress is not None:
            progress("analysing", done, len(devices))
        await asyncio.sleep(0)
    return rows, configs


def _audit_worst(row: DeviceRow) -> int:
    """Rank of the worst audit finding: among equally healthy devices the riskier config first."""
    return max((Severity(s).rank for s, n in row.audit_counts.items() if n and s in Severity.__members__), default=-1)


async def sweep_network(toolbox: Toolbox, network: NetworkConfig, progress: Progress | None = None
                        ) -> tuple[NetworkSection, dict[str, str]]:
    """The network section (worst device first) and each readable device's redacted config."""
    t0 = time.monotonic()
    snapshots = await read_all(toolbox, network.max_parallel_devices, progress)
    rows, configs = await analyse(toolbox, snapshots, progress)
    rows.sort(key=lambda r: (-r.severity.rank, r.reachable, -_audit_worst(r), -len(r.problems), -r.audit_total, r.device))
    section = NetworkSection(devices=rows, checked=len(rows), unreachable=sum(1 for r in rows if not r.reachable),
                             duration_s=round(time.monotonic() - t0, 3))
    return section, configs
