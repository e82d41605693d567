"""The network tools the specialists use: async, typed, and failure-tolerant.

Each public coroutine takes plain arguments (what an LLM tool call carries) and returns a
`ToolResult`. Errors become `ok=False` results through `_tool`, so one dead device never
aborts an investigation. All device text passes `redact()` before it lands in a result; the
configuration is redacted once as it is read (`config_intake`), so diffs, sections and audits
are computed from redacted text only.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from agents.config import ThresholdsConfig
from agents.network.gateway import DeviceError, Gateway, ospf_command
from agents.network.inventory import Device, Inventory, UnknownDeviceError
from agents.network.parsers import canonical_interface, find_interface, parse_config, parse_ospf_table
from agents.severity import Severity
from agents.tools.address_index import AddressIndex, AddressOwner, build_address_index
from agents.tools.audit import AuditError, AuditRule, audit_config
from agents.tools.config_intake import IntakeConfig, redact_diff, redact_or_withhold, take_config
from agents.tools.logs import analyse_events, parse_log, select_events
from agents.tools.qos import interface_qos, unused_policy_maps
from agents.tools.results import (
    DeviceConfig,
    DeviceHealth,
    DeviceList,
    DeviceSummary,
    InterfaceQosStatus,
    InterfaceStatistics,
    InterfaceStatus,
    InterfaceTraffic,
    LogSearch,
    Observation,
    RoutingNeighbor,
    RoutingStatus,
    RunbookMatch,
    RunbookSearch,
    SecurityScan,
    ToolError,
    ToolResult,
    TrafficAnalysis,
)
from agents.tools.runbooks import search_runbooks
from agents.tools.sensors import device_health_readings, known

log = logging.getLogger(__name__)

R = TypeVar("R", bound=ToolResult)



def _tool(result_cls: type[R]) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R]]]:
    """Turn every failure of a tool into a typed error result of the tool's own type."""

    def decorate(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        tool_name = fn.__name__
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def wrapper(self: "Toolbox", *args: Any, **kwargs: Any) -> R:
            device = kwargs.get("device", args[0] if args else None)
            try:
                return await fn(self, *args, **kwargs)
            except UnknownDeviceError as exc:
                error = ToolError(kind="unknown_device", message=str(exc))
            except DeviceError as exc:
                error = ToolError(kind=exc.kind, message=str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a tool bug must not crash the agent that called it
                log.exception("tool %s failed for %s", tool_name, device)
                error = ToolError(kind="failed", message=f"{tool_name} failed: {type(exc).__name__}")
            return _failed(result_cls, tool_name, device, error, _echoed(signature, result_cls, self, args, kwargs))

        return wrapper

    return decorate


def _echoed(signature: inspect.Signature, result_cls: type[ToolResult], self: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """Arguments that are also result fields (a failed `protocol=ospf` check says ospf, not bgp)."""
    try:
        bound = signature.bind(self, *args, **kwargs).arguments
    except TypeError:
        return {}
    skip = {"self", "device", "tool", "ok", "error"}
    return {k: v for k, v in bound.items() if k in result_cls.model_fields and k not in skip and v is not None}


def _failed(result_cls: type[R], tool: str, device: Any, error: ToolError, echoed: dict[str, Any]) -> R:
    try:
        return result_cls(tool=tool, device=device, ok=False, error=error, **echoed)
    except Exception:  # an echoed value the result cannot hold (protocol='isis'): leave it out
        return result_cls(tool=tool, device=device, ok=False, error=error)


class Toolbox:
    """The seven network tools over one inventory, one gateway and one rule set."""

    def __init__(
        self,
        inventory: Inventory,
        gateway: Gateway,
        rules: list[AuditRule],
        thresholds: ThresholdsConfig | None = None,
    ) -> None:
        self.inventory = inventory
        self.gateway = gateway
        self.rules = rules
        self.thresholds = thresholds or ThresholdsConfig()

    async def _read(self, device: Device, *reads: str) -> dict[str, Any]:
        return await self.gateway.read(device, reads)  # type: ignore[arg-type]

    async def _config(self, device: Device) -> IntakeConfig:
        """The configuration as tools may use it: redacted here, once, before anything derives from it."""
        return take_config((await self._read(device, "config"))["config"])

    # -- list_devices ------------------------------------------------------------------------

    @_tool(DeviceList)
    async def list_devices(self, role: str | None = None, site: str | None = None) -> DeviceList:
        devices = [
            DeviceSummary(name=d.name, role=d.role, site=d.site, os=d.os, model=d.model, mgmt_address=d.hostname)
            for d in self.inventory.filter(role=role, site=site)
        ]
        return DeviceList(tool="list_devices", devices=devices)

    # -- get_interface_statistics ------------------------------------------------------------

    @_tool(InterfaceStatistics)
    async def get_interface_statistics(self, device: str, interface: str | None = None) -> InterfaceStatistics:
        dev = self.inventory.get(device)
        data = await self._read(dev, "interfaces", "counters")
        counters = data["counters"]["second"]
        wanted = _interface_filter(interface, data["interfaces"], device)
        statuses = []
        observations = []
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
                    mtu=_known_int(info.get("mtu")),
                    rx_octets=c.get("rx_octets"),
                    tx_octets=c.get("tx_octets"),
                    rx_errors=c.get("rx_errors"),
                    tx_errors=c.get("tx_errors"),
                    rx_discards=c.get("rx_discards"),
                    tx_discards=c.get("tx_discards"),
                )
            )
            if info["is_enabled"] and not info["is_up"]:
                observations.append(
                    Observation(
                        kind="interface_down",
                        severity=Severity.medium,
                        message=f"{device} {name} is enabled but down",
                        device=device,
                        interface=name,
                    )
                )
        return InterfaceStatistics(tool="get_interface_statistics", device=device, interfaces=statuses, observations=observations)

    # -- analyze_traffic_patterns ------------------------------------------------------------

    @_tool(TrafficAnalysis)
    async def analyze_traffic_patterns(self, device: str, interface: str | None = None) -> TrafficAnalysis:
        dev = self.inventory.get(device)
        data = await self._read(dev, "interfaces", "counters")
        sample = data["counters"]
        interval = float(sample["interval_s"]) or 1.0
        wanted = _interface_filter(interface, data["interfaces"], device)
        rows = [
            _traffic_row(name, data["interfaces"][name], sample["first"][name], sample["second"][name], interval)
            for name in wanted
            if name in sample["first"] and name in sample["second"]
        ]
        rows.sort(key=lambda r: max(r.in_util_pct, r.out_util_pct), reverse=True)
        observations = [obs for row in rows for obs in _traffic_observations(device, row, interval, self.thresholds)]
        return TrafficAnalysis(
            tool="analyze_traffic_patterns", device=device, interval_s=interval, interfaces=rows, observations=observations
        )

    # -- get_device_health -------------------------------------------------------------------

    @_tool(DeviceHealth)
    async def get_device_health(self, device: str) -> DeviceHealth:
        dev = self.inventory.get(device)
        data = await self._read(dev, "environment", "facts")
        env, facts = data["environment"], data["facts"]
        t = self.thresholds
        readings = device_health_readings(device, dev.os, env)
        observations: list[Observation] = list(readings.observations)

        cpus = [u for v in env.get("cpu", {}).values() if (u := known(v.get("%usage"))) is not None]
        cpu = round(sum(cpus) / len(cpus), 1) if cpus else None
        if cpu is not None and cpu >= t.cpu_high_pct:
            sev = Severity.high if cpu >= t.cpu_critical_pct else Severity.medium
            observations.append(Observation(kind="cpu_high", severity=sev, message=f"{device} CPU at {cpu:.0f}% (threshold {t.cpu_high_pct:.0f}%)", device=device, data={"cpu_pct": cpu, "threshold_pct": t.cpu_high_pct}))

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

    @_tool(DeviceConfig)
    async def get_device_config(self, device: str, section: str | None = None) -> DeviceConfig:
        dev = self.inventory.get(device)
        config = await self._config(dev)
        running, startup = config.running, config.startup
        startup_differs = None
        if startup and not config.withheld:
            startup_differs = _normalise_config(running) != _normalise_config(startup) or config.secrets_differ
        diff = redact_diff(_startup_diff(dev.os, startup, running)) if startup_differs else []
        text = running
        if section and not config.withheld:
            text = redact_or_withhold(_config_section(dev.os, running, section))
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

    @_tool(SecurityScan)
    async def scan_security_vulnerabilities(self, device: str, tags: list[str] | None = None) -> SecurityScan:
        dev = self.inventory.get(device)
        config = await self._config(dev)
        if config.withheld:
            raise DeviceError(device, "failed", f"{device}: cannot audit: the configuration could not be redacted safely")
        try:
            report = audit_config(dev.name, dev.os, config.audit_running, self.rules, set(tags) if tags else None)
        except AuditError as exc:
            raise DeviceError(device, "unsupported", f"{device}: cannot audit: {exc}") from None
        return SecurityScan(
            tool="scan_security_vulnerabilities",
            device=device,
            os=dev.os,
            risk_score=report.risk_score,
            rules_evaluated=report.rules_evaluated,
            counts=report.counts,
            findings=report.findings,
        )

    async def audit_devices(self, names: list[str], tags: list[str] | None = None) -> list[SecurityScan]:
        """Audit several devices at once, riskiest first; devices that could not be read last."""
        scans = await asyncio.gather(*(self.scan_security_vulnerabilities(n, tags) for n in names))
        return sorted(scans, key=lambda s: (not s.ok, -s.risk_score, s.device or ""))

    # -- get_interface_qos -------------------------------------------------------------------

    @_tool(InterfaceQosStatus)
    async def get_interface_qos(self, device: str, interface: str | None = None) -> InterfaceQosStatus:
        dev = self.inventory.get(device)
        running = (await self._read(dev, "config"))["config"].get("running", "")
        rows = interface_qos(device, dev.os, running)
        if interface:
            wanted = canonical_interface(interface)
            rows = [r for r in rows if canonical_interface(r.interface) == wanted]
        return InterfaceQosStatus(tool="get_interface_qos", device=device, interfaces=rows, unused_policies=unused_policy_maps(running))

    # -- search_logs ------------------------------------------------------------------------

    @_tool(LogSearch)
    async def search_logs(self, device: str, query: str | None = None, limit: int = 50) -> LogSearch:
        """Recent syslog as events; patterns (failed-login bursts, flaps, CPU hogs) judged on the whole buffer."""
        dev = self.inventory.get(device)
        parsed = parse_log(dev.os, (await self._read(dev, "logs"))["logs"])
        observations = [Observation(kind=f.kind, severity=f.severity, message=f.message, device=device, data=f.data)
                        for f in analyse_events(device, parsed.events)]
        if parsed.unparsed:
            observations.append(Observation(kind="log_unparsed", severity=Severity.info, device=device, data={"lines": len(parsed.unparsed)},
                                            message=f"{device}: {len(parsed.unparsed)} log line(s) could not be read and were left out"))
        return LogSearch(tool="search_logs", device=device, query=query, events=select_events(parsed.events, query, limit),
                         total_events=len(parsed.events), unparsed=parsed.unparsed[:20], observations=observations)

    # -- search_runbooks --------------------------------------------------------------------

    @_tool(RunbookSearch)
    async def search_runbooks(self, query: str, limit: int = 3) -> RunbookSearch:
        hits = search_runbooks(query, limit=limit)
        return RunbookSearch(tool="search_runbooks", query=query, matches=[RunbookMatch(**h.model_dump(include=set(RunbookMatch.model_fields))) for h in hits])

    # -- check_routing_protocol --------------------------------------------------------------

    @_tool(RoutingStatus)
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

    async def _address_index(self) -> AddressIndex:
        """Which inventory device owns each interface address (and in which VRF, where known)."""

        async def one(dev: Device) -> tuple[str, dict[str, Any], dict[str, Any] | None] | None:
            try:
                data = await self._read(dev, "interfaces_ip", "instances")
            except DeviceError:
                return None
            return dev.name, data["interfaces_ip"], data["instances"]

        return build_address_index([r for r in await asyncio.gather(*(one(d) for d in self.inventory)) if r])

    async def _check_bgp(self, dev: Device) -> RoutingStatus:
        bgp = (await self._read(dev, "bgp"))["bgp"]
        if not bgp:
            return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="bgp",
                                 observations=[Observation(kind="bgp_not_running", severity=Severity.info, message=f"{dev.name} does not run BGP", device=dev.name)])
        index = await self._address_index()
        my_addresses = index.addresses_of(dev.name)
        neighbors: list[RoutingNeighbor] = []
        observations: list[Observation] = []
        router_id, local_as = None, None
        for vrf, vrf_data in bgp.items():
            router_id = router_id or vrf_data.get("router_id")
            for address, peer in vrf_data.get("peers", {}).items():
                local_as = local_as or peer.get("local_as")
                owner = index.owner(address, vrf, exclude=dev.name)
                received = sum(
                    max(af.get("received_prefixes", 0), 0) for af in peer.get("address_family", {}).values()
                )
                state = "up" if peer["is_up"] else ("admin-down" if not peer["is_enabled"] else "down")
                neighbors.append(
                    RoutingNeighbor(
                        address=address,
                        state=state,
                        is_up=peer["is_up"],
                        remote_as=peer.get("remote_as"),
                        local_as=peer.get("local_as"),
                        description=redact_or_withhold(peer.get("description", "")),
                        neighbor_id=peer.get("remote_id") or None,
                        uptime_s=peer.get("uptime") if peer["is_up"] else None,
                        prefixes_received=received,
                        peer_device=owner.device if owner else None,
                    )
                )
                vrf_note = "" if vrf == "global" else f" (vrf {vrf})"
                if peer["is_enabled"] and not peer["is_up"]:
                    who = f" ({owner.device})" if owner else ""
                    observations.append(Observation(kind="bgp_down", severity=Severity.high, device=dev.name,
                                                    data={"peer": address, "peer_device": owner.device if owner else None, "remote_as": peer.get("remote_as"), "vrf": vrf},
                                                    message=f"{dev.name} BGP session to {address}{who}{vrf_note} AS {peer.get('remote_as')} is down"))
                if owner and peer["is_enabled"] and not peer["is_up"]:
                    # An established session proves both ends agree on the AS numbers; only a
                    # session that is down can be explained by a mismatch.
                    observations += await self._bgp_as_crosscheck(dev, address, peer, owner, my_addresses)
        return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="bgp", router_id=router_id,
                             local_as=local_as, neighbors=neighbors, observations=observations)

    async def _bgp_as_crosscheck(
        self, dev: Device, address: str, peer: dict[str, Any], owner: AddressOwner, my_addresses: set[str]
    ) -> list[Observation]:
        """Compare what each side of a session expects of the other's AS with what it runs.

        Only the far end's own session back to this device counts (found by this device's
        addresses, in whatever VRF the far end keeps it): its local AS is what it presents on this
        session, which a per-VRF or per-neighbour `local-as` can make differ from its other peers.
        """
        try:
            remote = (await self._read(self.inventory.get(owner.device), "bgp"))["bgp"]
        except DeviceError:
            return []
        remote_peers = {a: p for v in remote.values() for a, p in v.get("peers", {}).items() if a in my_addresses}
        remote_local_as = next((p.get("local_as") for p in remote_peers.values() if p.get("local_as")), None)
        out = []
        if remote_local_as is not None and peer.get("remote_as") != remote_local_as:
            out.append(Observation(kind="bgp_as_mismatch", severity=Severity.high, device=dev.name,
                data={"misconfigured_device": dev.name, "peer": address, "peer_device": owner.device,
                      "configured_remote_as": peer.get("remote_as"), "actual_as": remote_local_as, "local_as": peer.get("local_as")},
                message=(
                f"BGP remote-AS mismatch: {dev.name} is configured with remote-as {peer.get('remote_as')} for "
                f"{address} ({owner.device}), but {owner.device} runs AS {remote_local_as}")))
        for r_addr, r_peer in remote_peers.items():
            if r_addr in my_addresses and peer.get("local_as") and r_peer.get("remote_as") != peer.get("local_as"):
                out.append(Observation(kind="bgp_as_mismatch", severity=Severity.high, device=owner.device,
                    data={"misconfigured_device": owner.device, "peer": r_addr, "peer_device": dev.name,
                          "configured_remote_as": r_peer.get("remote_as"), "actual_as": peer.get("local_as"), "local_as": r_peer.get("local_as")},
                    message=(
                    f"BGP remote-AS mismatch: {owner.device} is configured with remote-as {r_peer.get('remote_as')} "
                    f"for {r_addr} ({dev.name}), but {dev.name} runs AS {peer.get('local_as')}")))
        return out

    async def _check_ospf(self, dev: Device) -> RoutingStatus:
        command = ospf_command(dev.os)
        if command is None:
            raise DeviceError(dev.name, "unsupported", f"OSPF checks are not supported on os '{dev.os}'")
        data = await self._read(dev, "ospf", "interfaces")
        table = parse_ospf_table(dev.os, command, data["ospf"])
        parsed = table.neighbors
        index = await self._address_index()
        neighbors, observations = [], []
        for line in table.unparsed:
            observations.append(Observation(kind="ospf_unparsed_neighbor", severity=Severity.medium, device=dev.name,
                data={"line": line}, message=f"{dev.name} unparsed neighbour line (state unknown, not counted): {line}"))
        for n in parsed:
            owner = index.owner(n.address, exclude=dev.name)
            neighbors.append(RoutingNeighbor(address=n.address, state=n.state if not n.role else f"{n.state}/{n.role}",
                                             is_up=n.is_up, interface=n.interface, neighbor_id=n.neighbor_id,
                                             peer_device=owner.device if owner else None))
            if n.is_up:
                continue
            who = f" ({owner.device})" if owner else ""
            observations.append(Observation(kind="ospf_stuck", severity=Severity.high, device=dev.name, interface=n.interface,
                data={"neighbor_id": n.neighbor_id, "state": n.state, "peer_device": owner.device if owner else None},
                message=(
                f"{dev.name} OSPF adjacency with {n.neighbor_id}{who} on {n.interface} is stuck in {n.state}")))
            if owner and n.state in {"EXSTART", "EXCHANGE"}:
                observations += await self._ospf_mtu_crosscheck(dev, n.interface, data["interfaces"], owner)
        if not parsed and not table.unparsed:
            observations.append(Observation(kind="ospf_no_neighbors", severity=Severity.info, device=dev.name, message=f"{dev.name} has no OSPF neighbours"))
        return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="ospf", neighbors=neighbors, observations=observations)

    async def _ospf_mtu_crosscheck(
        self, dev: Device, local_if: str, local_interfaces: dict[str, Any], owner: AddressOwner
    ) -> list[Observation]:
        """EXSTART/EXCHANGE usually means the two ends disagree on MTU: check both ends.

        Names are matched by identity, not spelling: the neighbour table may write `Po1` or
        `Port-channel1` for the interface that get_interfaces calls `Port-Channel1`.
        """
        try:
            remote_ifs = (await self._read(self.inventory.get(owner.device), "interfaces"))["interfaces"]
        except DeviceError:
            return []
        local_name = find_interface(local_if, local_interfaces)
        remote_name = find_interface(owner.interface, remote_ifs)
        local_mtu = _known_int(local_interfaces[local_name].get("mtu")) if local_name else None
        remote_mtu = _known_int(remote_ifs[remote_name].get("mtu")) if remote_name else None
        if local_mtu is None or remote_mtu is None or local_mtu == remote_mtu:
            return []
        return [Observation(kind="mtu_mismatch", severity=Severity.high, device=dev.name, interface=local_if,
            data={"local_mtu": local_mtu, "peer_device": owner.device, "peer_interface": owner.interface, "peer_mtu": remote_mtu},
            message=(
            f"MTU mismatch: {dev.name} {local_if} has MTU {local_mtu} but {owner.device} {owner.interface} has MTU "
            f"{remote_mtu}; OSPF database exchange cannot complete (adjacency stuck in EXSTART/EXCHANGE)"))]


def _interface_filter(interface: str | None, interfaces: dict[str, Any], device: str) -> list[str]:
    """The device's own name for `interface`, in any spelling or abbreviation of it."""
    if interface is None:
        return list(interfaces)
    found = find_interface(interface, interfaces)
    if found is None:
        raise DeviceError(device, "unsupported", f"{device} has no interface '{interface}'. Interfaces: {', '.join(interfaces)}")
    return [found]


def _known_int(value: Any) -> int | None:
    number = known(value)
    return None if number is None else int(number)


def _delta(first: int, second: int) -> int:
    """Counter difference; a counter that went backwards was cleared, so count from zero."""
    return second - first if second >= first else second


def _traffic_row(name: str, info: dict[str, Any], first: dict[str, int], second: dict[str, int], interval: float) -> InterfaceTraffic:
    speed = known(info.get("speed")) or 0.0
    in_mbps = _delta(first["rx_octets"], second["rx_octets"]) * 8 / interval / 1e6
    out_mbps = _delta(first["tx_octets"], second["tx_octets"]) * 8 / interval / 1e6
    return InterfaceTraffic(
        name=name,
        description=redact_or_withhold(info.get("description", "")),
        speed_mbps=speed or None,
        in_mbps=round(in_mbps, 2),
        out_mbps=round(out_mbps, 2),
        in_util_pct=round(100 * in_mbps / speed, 1) if speed > 0 else 0.0,
        out_util_pct=round(100 * out_mbps / speed, 1) if speed > 0 else 0.0,
        rx_errors_delta=_delta(first["rx_errors"], second["rx_errors"]),
        tx_errors_delta=_delta(first["tx_errors"], second["tx_errors"]),
        rx_discards_delta=_delta(first["rx_discards"], second["rx_discards"]),
        tx_discards_delta=_delta(first["tx_discards"], second["tx_discards"]),
    )


def _traffic_observations(device: str, row: InterfaceTraffic, interval: float, t: ThresholdsConfig) -> list[Observation]:
    out = []
    per_min = 60.0 / interval
    for direction, util in (("input", row.in_util_pct), ("output", row.out_util_pct)):
        if util >= t.utilisation_high_pct:
            sev = Severity.high if util >= t.utilisation_critical_pct else Severity.medium
            out.append(Observation(kind="high_utilisation", severity=sev, device=device, interface=row.name,
                data={"direction": direction, "util_pct": util, "speed_mbps": row.speed_mbps},
                message=(
                f"{device} {row.name} {direction} utilisation {util:.0f}% of {row.speed_mbps:g} Mbps")))
    errors = (row.rx_errors_delta + row.tx_errors_delta) * per_min
    if errors >= t.errors_per_min_high:
        kind = "input (CRC/framing)" if row.rx_errors_delta >= row.tx_errors_delta else "output"
        out.append(Observation(kind="interface_errors", severity=Severity.high, device=device, interface=row.name,
            data={"rx_errors_delta": row.rx_errors_delta, "tx_errors_delta": row.tx_errors_delta, "per_min": round(errors, 1), "direction": "input" if row.rx_errors_delta >= row.tx_errors_delta else "output"},
            message=(
            f"{device} {row.name} {kind} errors climbing: +{row.rx_errors_delta + row.tx_errors_delta} in "
            f"{interval:g}s ({errors:.0f}/min)")))
    drops = (row.rx_discards_delta + row.tx_discards_delta) * per_min
    if drops >= t.discards_per_min_high:
        direction = "output" if row.tx_discards_delta >= row.rx_discards_delta else "input"
        out.append(Observation(kind="drops", severity=Severity.medium, device=device, interface=row.name,
            data={"direction": direction, "rx_discards_delta": row.rx_discards_delta, "tx_discards_delta": row.tx_discards_delta, "per_min": round(drops, 1)},
            message=(
            f"{device} {row.name} {direction} drops: +{row.tx_discards_delta + row.rx_discards_delta} in "
            f"{interval:g}s ({drops:.0f}/min)")))
    return out


def _normalise_config(text: str) -> list[str]:
    skip = ("!", "Building configuration", "Current configuration", "! Time:", "end")
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith(skip)]


def _startup_diff(os_name: str, startup: str, running: str) -> list[str]:
    """What changed since the last save, as hier_config's unified diff (startup -> running)."""
    return list(parse_config(os_name, startup).unified_diff(parse_config(os_name, running)))


def _config_section(os_name: str, running: str, section: str) -> str:
    """Top-level blocks whose first line starts with `section` (e.g. 'router bgp', 'line vty')."""
    root = parse_config(os_name, running)
    wanted = section.strip().lower()
    lines = [
        line
        for child in root.children
        if child.text.lower().startswith(wanted)
        for line in child.lines()
    ]
    return "\n".join(lines)
