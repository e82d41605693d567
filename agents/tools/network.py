"""The network tools the specialists use: async, typed, and failure-tolerant.

Each public coroutine takes plain arguments (what an LLM tool call carries) and returns a
`ToolResult`. Errors become `ok=False` results (`tool_errors.typed_errors`), so one dead device
never aborts an investigation. All device text passes `redact()` before it lands in a result; the
configuration is redacted once as it is read (`config_intake`), so diffs, sections and audits
are computed from redacted text only.

Parsing (redaction, hier_config, TextFSM, the audit rules, the log reader) is the CPU of a
request. Device reads are cached, so the same text comes back again and again: every parse is
cached by content (`agents.network.parse_cache`) and a cold one runs in a worker thread, so the
event loop stays free for Slack acks. The routing check lives in `routing_checks`, counter
arithmetic in `traffic`, derived configuration views in `config_views`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from agents.config import ThresholdsConfig
from agents.network.gateway import DeviceError, Gateway
from agents.network.inventory import Device, Inventory
from agents.network.parse_cache import PARSES, content_key
from agents.network.parsers import canonical_interface
from agents.severity import Severity
from agents.tools.audit import AuditError, AuditRule, audit_config
from agents.tools.config_intake import IntakeConfig, redact_or_withhold, take_config
from agents.tools.config_views import config_section, qos_view, read_log, startup_changes
from agents.tools.latency import BaselineError, LatencyReport, baselines_of, latency_observations, path_latency, ping_read
from agents.tools.logs import select_events
from agents.tools.mcp_toolsets import McpToolsets
from agents.tools.results import (
    DeviceConfig,
    DeviceHealth,
    DeviceList,
    DeviceSummary,
    InterfaceQosStatus,
    InterfaceStatistics,
    InterfaceStatus,
    LogSearch,
    Observation,
    RoutingStatus,
    RunbookMatch,
    RunbookSearch,
    SecurityScan,
    ToolError,
    TrafficAnalysis,
)
from agents.tools.routing_checks import RoutingChecks
from agents.tools.runbooks import search_runbooks, site_runbooks
from agents.tools.sensors import cpu_readings, device_health_readings, known, slot_health, slot_of
from agents.tools.tool_errors import typed_errors
from agents.tools.traffic import in_use, interface_filter, known_int, traffic_observations, traffic_row

__all__ = ["Toolbox"]


class Toolbox(RoutingChecks):
    """The network tools over one inventory, one gateway and one rule set."""

    def __init__(
        self,
        inventory: Inventory,
        gateway: Gateway,
        rules: list[AuditRule],
        thresholds: ThresholdsConfig | None = None,
        external: McpToolsets | None = None,
        runbooks_dir: Path | None = None,
    ) -> None:
        self.inventory = inventory
        self.external = external or McpToolsets()  # a team's MCP servers (mcp_servers in the settings)
        self.runbooks_dir = runbooks_dir  # the site's runbooks over the generic ones (agents.tools.runbooks.site_runbooks)
        self.gateway = gateway
        self.rules = rules
        self.thresholds = thresholds or ThresholdsConfig()
        # What an audit result depends on besides the config: the rules, by content.
        self._rules_key = content_key(json.dumps([r.model_dump(mode="json") for r in rules], sort_keys=True))

    async def _read(self, device: Device, *reads: str) -> dict[str, Any]:
        return await self.gateway.read(device, reads)  # type: ignore[arg-type]

    async def _config(self, device: Device) -> IntakeConfig:
        """The configuration as tools may use it: redacted here, once per content, before anything derives from it."""
        config = (await self._read(device, "config"))["config"]
        running, startup = str(config.get("running") or ""), str(config.get("startup") or "")
        return await PARSES.get("intake", content_key(running, startup), take_config, {"running": running, "startup": startup})

    async def _addressed(self, device: Device) -> set[str] | None:
        """Interfaces with an IP address (None when the device cannot say): an addressed port is in use."""
        try:
            return set((await self._read(device, "interfaces_ip"))["interfaces_ip"] or {})
        except DeviceError:
            return None

    # -- list_devices ------------------------------------------------------------------------

    @typed_errors(DeviceList)
    async def list_devices(self, role: str | None = None, site: str | None = None) -> DeviceList:
        devices = [
            DeviceSummary(name=d.name, role=d.role, site=d.site, os=d.os, model=d.model, mgmt_address=d.hostname)
            for d in self.inventory.filter(role=role, site=site)
        ]
        return DeviceList(tool="list_devices", devices=devices)

    # -- get_interface_statistics ------------------------------------------------------------

    @typed_errors(InterfaceStatistics)
    async def get_interface_statistics(self, device: str, interface: str | None = None) -> InterfaceStatistics:
        dev = self.inventory.get(device)
        data = await self._read(dev, "interfaces", "counters")
        counters = data["counters"]["second"]
        wanted = interface_filter(interface, data["interfaces"], device)
        addresses = await self._addressed(dev)
        statuses = []
        observations: list[Observation] = []
        unused: list[str] = []
        for name, info in data["interfaces"].items():
            if name not in wanted:
                continue
            c = counters.get(name, {})
            statuses.append(
                InterfaceStatus(
                    name=name,
                    description=redact_or_withhold(info.get("description", "")),
                    is_up=info["is_up"],
                    is_enabled=info["is_enabled"],
                    speed_mbps=known(info.get("speed")),
                    mtu=known_int(info.get("mtu")),
                    rx_octets=c.get("rx_octets"),
                    tx_octets=c.get("tx_octets"),
                    rx_errors=c.get("rx_errors"),
                    tx_errors=c.get("tx_errors"),
                    rx_discards=c.get("rx_discards"),
                    tx_discards=c.get("tx_discards"),
                )
            )
            if info["is_enabled"] and not info["is_up"]:
                if in_use(name, info, addresses):
                    observations.append(Observation(kind="interface_down", severity=Severity.medium, message=f"{device} {name} is enabled but down",
                                                    device=device, interface=name))
                else:
                    unused.append(name)
        if unused:  # never configured (a Junos EX's spare ports are enabled by default): not a fault
            observations.append(Observation(kind="interfaces_unused", severity=Severity.info, device=device, data={"interfaces": unused},
                                            message=f"{device}: {len(unused)} port(s) down with no description and no address, taken as unused (not faults)"))
        return InterfaceStatistics(tool="get_interface_statistics", device=device, interfaces=statuses, observations=observations)

    # -- analyze_traffic_patterns ------------------------------------------------------------

    @typed_errors(TrafficAnalysis)
    async def analyze_traffic_patterns(self, device: str, interface: str | None = None) -> TrafficAnalysis:
        dev = self.inventory.get(device)
        data = await self._read(dev, "interfaces", "counters")
        sample = data["counters"]
        interval = float(sample["interval_s"]) or 1.0
        wanted = interface_filter(interface, data["interfaces"], device)
        rows = [
            traffic_row(name, data["interfaces"][name], sample["first"][name], sample["second"][name], interval,
                        redact_or_withhold(data["interfaces"][name].get("description", "")))
            for name in wanted
            if name in sample["first"] and name in sample["second"]
        ]
        rows.sort(key=lambda r: max(r.in_util_pct, r.out_util_pct), reverse=True)
        observations = [obs for row in rows for obs in traffic_observations(device, row, interval, self.thresholds)]
        return TrafficAnalysis(
            tool="analyze_traffic_patterns", device=device, interval_s=interval, interfaces=rows, observations=observations
        )

    # -- measure_latency ---------------------------------------------------------------------

    @typed_errors(LatencyReport)
    async def measure_latency(self, device: str) -> LatencyReport:
        dev = self.inventory.get(device)
        try:
            paths = baselines_of(dev).paths
        except BaselineError as exc:
            return LatencyReport(tool="measure_latency", device=device, ok=False, error=ToolError(kind="failed", message=str(exc)))
        if not paths:
            return LatencyReport(tool="measure_latency", device=device,
                                 note=f"{device} has no latency baselines (inventory data.baselines.paths): nothing to measure against")
        data = await self._read(dev, *dict.fromkeys(ping_read(p) for p in paths))  # one session: the pings in order
        measured = [path_latency(p, data[ping_read(p)]) for p in paths]
        return LatencyReport(tool="measure_latency", device=device, paths=measured, observations=latency_observations(device, measured))

    # -- get_device_health -------------------------------------------------------------------

    @typed_errors(DeviceHealth)
    async def get_device_health(self, device: str) -> DeviceHealth:
        dev = self.inventory.get(device)
        data = await self._read(dev, "environment", "facts")
        env, facts = data["environment"], data["facts"]
        t = self.thresholds
        readings = device_health_readings(device, dev.os, env)
        observations: list[Observation] = list(readings.observations)

        cpus = cpu_readings(env)  # busiest first: the worst CPU is judged, never the average
        cpu = cpus[0].value if cpus else None
        avg = round(sum(c.value or 0 for c in cpus) / len(cpus), 1) if cpus else None
        slots = slot_health(dev.os, readings, cpus)
        if cpu is not None and cpu >= t.cpu_high_pct:
            sev = Severity.high if cpu >= t.cpu_critical_pct else Severity.medium
            where = f" on {cpus[0].name} (slot {slot_of(dev.os, cpus[0].name)}; average of {len(cpus)} CPUs {avg:.0f}%)" if len(cpus) > 1 else ""
            observations.append(Observation(kind="cpu_high", severity=sev, message=f"{device} CPU at {cpu:.0f}%{where} (threshold {t.cpu_high_pct:.0f}%)", device=device,
                                            data={"cpu_pct": cpu, "threshold_pct": t.cpu_high_pct, "cpu": cpus[0].name, "slot": slot_of(dev.os, cpus[0].name) if len(cpus) > 1 else None}))

        memory = env.get("memory") or {}
        mem_pct = None
        if (known(memory.get("available_ram")) or 0) > 0 and known(memory.get("used_ram")) is not None:
            mem_pct = round(100.0 * memory.get("used_ram", 0) / memory["available_ram"], 1)
            if mem_pct >= t.memory_high_pct:
                observations.append(Observation(kind="memory_high", severity=Severity.medium, message=f"{device} memory {mem_pct:.0f}% used (threshold {t.memory_high_pct:.0f}%)", device=device, data={"memory_used_pct": mem_pct}))

        return DeviceHealth(
            tool="get_device_health",
            device=device,
            cpu_pct=cpu,
            cpu_name=cpus[0].name if cpus else None,
            cpu_avg_pct=avg,
            slots=slots if len(slots) > 1 else [],
            memory_used_pct=mem_pct,
            temperatures=readings.temperatures,
            fans=readings.fans,
            power_supplies=readings.power_supplies,
            uptime_s=known(facts.get("uptime")),
            os_version=facts.get("os_version", ""),
            model=facts.get("model", ""),
            observations=observations,
        )

    # -- get_device_config -------------------------------------------------------------------

    @typed_errors(DeviceConfig)
    async def get_device_config(self, device: str, section: str | None = None) -> DeviceConfig:
        dev = self.inventory.get(device)
        config = await self._config(dev)
        running, startup = config.running, config.startup
        startup_differs: bool | None = None
        diff: list[str] = []
        if startup and not config.withheld:
            startup_differs, changes = await PARSES.get("startup_changes", content_key(dev.os, running, startup, config.secrets_differ),
                                                        startup_changes, dev.os, running, startup, config.secrets_differ)
            diff = list(changes)
        text = running
        if section and not config.withheld:
            text = await PARSES.get("section", content_key(dev.os, running, section), config_section, dev.os, running, section)
        observations = []
        if config.withheld:
            observations.append(Observation(kind="config_withheld", severity=Severity.medium, message=f"{device} configuration withheld: it could not be redacted safely", device=device))
        if startup_differs:
            note = " (secret values differ; not shown)" if config.secrets_differ else ""
            observations.append(Observation(kind="unsaved_config", severity=Severity.low, message=f"{device} running config differs from startup (unsaved changes){note}", device=device))
        return DeviceConfig(
            tool="get_device_config",
            device=device,
            os=dev.os,
            section=section,
            running=text,
            startup_differs=startup_differs,
            diff_vs_startup=diff,
            line_count=len(text.splitlines()),
            observations=observations,
        )

    # -- scan_security_vulnerabilities -------------------------------------------------------

    @typed_errors(SecurityScan)
    async def scan_security_vulnerabilities(self, device: str, tags: list[str] | None = None) -> SecurityScan:
        dev = self.inventory.get(device)
        config = await self._config(dev)
        if config.withheld:
            raise DeviceError(device, "failed", f"{device}: cannot audit: the configuration could not be redacted safely")
        tagset = frozenset(tags or ())
        try:
            report = await PARSES.get("audit", content_key(dev.name, dev.os, config.audit_running, self._rules_key, tuple(sorted(tagset))),
                                      partial(audit_config, redacted=True),  # the intake's text, redacted whole
                                      dev.name, dev.os, config.audit_running, self.rules, set(tagset) or None)
        except AuditError as exc:
            raise DeviceError(device, "unsupported", f"{device}: cannot audit: {exc}") from None
        return SecurityScan(
            tool="scan_security_vulnerabilities",
            device=device,
            os=dev.os,
            risk_score=report.risk_score,
            rules_evaluated=report.rules_evaluated,
            counts=dict(report.counts),
            findings=list(report.findings),
            unplaced=list(report.unplaced),
        )

    async def audit_devices(self, names: list[str], tags: list[str] | None = None,
                            progress: Callable[[str, int, int], None] | None = None) -> list[SecurityScan]:
        """Audit several devices at once, riskiest first; devices that could not be read last.
        `progress("auditing", done, total)` is called as each device's audit ends."""
        done = 0

        async def one(name: str) -> SecurityScan:
            nonlocal done
            scan = await self.scan_security_vulnerabilities(name, tags)
            done += 1
            if progress is not None:
                progress("auditing", done, len(names))
            return scan

        with self.inventory.pinned():  # one device list for the whole audit
            scans = await asyncio.gather(*(one(n) for n in names))
        return sorted(scans, key=lambda s: (not s.ok, -s.risk_score, s.device or ""))

    # -- get_interface_qos -------------------------------------------------------------------

    @typed_errors(InterfaceQosStatus)
    async def get_interface_qos(self, device: str, interface: str | None = None) -> InterfaceQosStatus:
        dev = self.inventory.get(device)
        running = (await self._read(dev, "config"))["config"].get("running", "")
        qos, unused = await PARSES.get("qos", content_key(device, dev.os, running), qos_view, device, dev.os, running)
        rows = list(qos)
        if interface:
            wanted = canonical_interface(interface)
            rows = [r for r in rows if canonical_interface(r.interface) == wanted]
        return InterfaceQosStatus(tool="get_interface_qos", device=device, interfaces=rows, unused_policies=list(unused))

    # -- search_logs ------------------------------------------------------------------------

    @typed_errors(LogSearch)
    async def search_logs(self, device: str, query: str | None = None, limit: int = 50) -> LogSearch:
        """Recent syslog as events; patterns (failed-login bursts, flaps, CPU hogs) judged on the whole buffer."""
        dev = self.inventory.get(device)
        text = (await self._read(dev, "logs"))["logs"]
        parsed, findings = await PARSES.get("log", content_key(device, dev.os, text), read_log, device, dev.os, text)
        observations = [Observation(kind=f.kind, severity=f.severity, message=f.message, device=device, data=f.data)
                        for f in findings]
        if parsed.unparsed:
            observations.append(Observation(kind="log_unparsed", severity=Severity.info, device=device, data={"lines": len(parsed.unparsed)},
                                            message=f"{device}: {len(parsed.unparsed)} log line(s) could not be read and were left out"))
        return LogSearch(tool="search_logs", device=device, query=query, events=select_events(parsed.events, query, limit),
                         total_events=len(parsed.events), unparsed=parsed.unparsed[:20], observations=observations)

    # -- search_runbooks --------------------------------------------------------------------

    @typed_errors(RunbookSearch)
    async def search_runbooks(self, query: str, limit: int = 3) -> RunbookSearch:
        hits = search_runbooks(query, runbooks=site_runbooks(self.runbooks_dir), limit=limit)
        return RunbookSearch(tool="search_runbooks", query=query, matches=[RunbookMatch(**h.model_dump(include=set(RunbookMatch.model_fields))) for h in hits])

    # -- check_routing_protocol --------------------------------------------------------------

    @typed_errors(RoutingStatus)
    async def check_routing_protocol(self, device: str, protocol: str = "bgp") -> RoutingStatus:
        dev = self.inventory.get(device)
        proto = protocol.lower()
        if proto == "bgp":
            return await self._check_bgp(dev)
        if proto == "ospf":
            return await self._check_ospf(dev)
        return RoutingStatus(
            tool="check_routing_protocol",
            device=device,
            ok=False,
            error=ToolError(kind="bad_arguments", message=f"protocol must be 'bgp' or 'ospf', not '{protocol}'"),
        )
