"""The routing check behind `check_routing_protocol`: BGP and OSPF neighbours, and the
cross-checks that look at the far end of a broken session (AS numbers, MTU).

Apart from the toolbox because it is the one tool that reads several devices for one answer:
the address index (which device owns a peer's address) spans the whole inventory, and a session
that is down is explained by comparing both ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from agents.network.gateway import DeviceError, Gateway, Read, ospf_command
from agents.network.inventory import Device, Inventory
from agents.network.parse_cache import PARSES, content_key
from agents.network.parsers import OspfTable, find_interface, l2_overhead, parse_ospf_table
from agents.severity import Severity
from agents.tools.address_index import AddressIndex, AddressOwner, build_address_index
from agents.tools.config_intake import redact_or_withhold
from agents.tools.results import BgpInstance, Observation, RoutingNeighbor, RoutingStatus
from agents.tools.traffic import known_int

__all__ = ["RoutingChecks", "bgp_instances", "global_first"]


def global_first(bgp: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """NAPALM's get_bgp_neighbors tables, the global table ("global", or "default" in some
    drivers) first and then the VRFs by name: the device's own identity is the global table's, not
    whichever VRF the driver happened to list first (IOS-XR and Junos list VRFs before it)."""
    return sorted(bgp.items(), key=lambda kv: (kv[0] not in {"global", "default"}, kv[0]))


def bgp_instances(bgp: dict[str, Any]) -> list[BgpInstance]:
    """Each routing instance's router id and local AS (the AS its sessions present), global first."""
    out = []
    for vrf, table in global_first(bgp):
        peers = table.get("peers") or {}
        local_as = next((p.get("local_as") for p in peers.values() if p.get("local_as")), None)
        out.append(BgpInstance(vrf=vrf, router_id=table.get("router_id") or None, local_as=local_as, peers=len(peers)))
    return out

_INDEX_READS: tuple[Read, ...] = ("interfaces_ip", "instances")


@dataclass(frozen=True)
class _BuiltIndex:
    """An address index and the version of the data it was built from: the inventory's device
    table (a new object after every refresh) and the gateway's generation of the reads it used."""

    table: object
    generation: tuple[int, ...]
    valid_until: float
    index: AddressIndex


class RoutingChecks:
    """BGP and OSPF checks over the toolbox's inventory and reads (a mixin of `Toolbox`)."""

    inventory: Inventory
    gateway: Gateway
    _index_built: _BuiltIndex | None = None
    _index_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

    async def _read(self, device: Device, *reads: str) -> dict[str, Any]:
        raise NotImplementedError

    def _index_current(self) -> AddressIndex | None:
        """The last index, if the data it was built from is still what the caches hold: checked
        by version numbers in O(1), never by reading every device again (which made a check of
        every device cost the square of the network)."""
        built = self._index_built
        if built is None or built.table is not self.inventory.device_table():
            return None
        generation, now = getattr(self.gateway, "generation", None), getattr(self.gateway, "now", None)
        if generation is None or now is None:  # a gateway without versions: rebuild each time
            return None
        if generation(_INDEX_READS) != built.generation or now() >= built.valid_until:
            return None
        return built.index

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._index_lock is None or self._index_lock[0] is not loop:
            self._index_lock = (loop, asyncio.Lock())
        return self._index_lock[1]

    async def _address_index(self) -> AddressIndex:
        """Which inventory device owns each interface address (and in which VRF, where known).

        Built once and shared: concurrent checks wait for the one build in progress, and later
        ones reuse it until the inventory or a cached address read changes or expires."""
        if (index := self._index_current()) is not None:
            return index
        async with self._lock():
            if (index := self._index_current()) is not None:  # built while this check waited
                return index
            return await self._build_index()

    async def _build_index(self) -> AddressIndex:
        table = self.inventory.device_table()
        devices = list(table.values())

        async def one(dev: Device) -> tuple[str, dict[str, Any], dict[str, Any] | None] | None:
            try:
                data = await self._read(dev, *_INDEX_READS)
            except DeviceError:
                return None
            return dev.name, data["interfaces_ip"], data["instances"]

        reads = [r for r in await asyncio.gather(*(one(d) for d in devices)) if r]
        index = build_address_index(reads)
        generation, until = getattr(self.gateway, "generation", None), getattr(self.gateway, "cached_until", None)
        if generation is not None and until is not None:
            self._index_built = _BuiltIndex(table, generation(_INDEX_READS), until([d.name for d in devices], _INDEX_READS), index)
        return index

    async def _check_bgp(self, dev: Device) -> RoutingStatus:
        bgp = (await self._read(dev, "bgp"))["bgp"]
        if not bgp:
            return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="bgp",
                                 observations=[Observation(kind="bgp_not_running", severity=Severity.info, message=f"{dev.name} does not run BGP", device=dev.name)])
        index = await self._address_index()
        my_addresses = index.addresses_of(dev.name)
        neighbors: list[RoutingNeighbor] = []
        observations: list[Observation] = []
        instances = bgp_instances(bgp)
        # An established session is enabled; a device whose driver says otherwise for one (NAPALM's
        # IOS-XR XML driver reports is_enabled false for every peer on some releases) cannot tell
        # admin-down from down, so none of its down sessions is written off as shut.
        enabled_unknown = any(p["is_up"] and not p["is_enabled"] for t in bgp.values() for p in (t.get("peers") or {}).values())
        for vrf, vrf_data in global_first(bgp):
            for address, peer in vrf_data.get("peers", {}).items():
                peer = {**peer, "is_enabled": peer["is_enabled"] or enabled_unknown}
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
                        vrf=vrf,
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
        identity = instances[0] if instances else None  # the global table's, a VRF's only without one
        return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="bgp", router_id=identity.router_id if identity else None,
                             local_as=identity.local_as if identity else None, neighbors=neighbors, observations=observations, instances=instances)

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
        data = await self._read(dev, "ospf")  # the interfaces only for a stuck adjacency: a device that cannot list them still has its neighbours checked
        table: OspfTable = await PARSES.get("ospf", content_key(dev.os, command, data["ospf"]), parse_ospf_table, dev.os, command, data["ospf"])
        parsed = table.neighbors
        index = await self._address_index()
        neighbors, observations = [], []
        for line in table.unparsed:
            observations.append(Observation(kind="ospf_unparsed_neighbor", severity=Severity.medium, device=dev.name,
                data={"line": line}, message=f"{dev.name} unparsed neighbour line (state unknown, not counted): {line}"))
        for n in sorted(parsed, key=lambda n: n.vrf != "global"):  # the global table first, then VRFs
            owner = index.owner(n.address, None if n.vrf == "global" else n.vrf, exclude=dev.name)
            neighbors.append(RoutingNeighbor(address=n.address, state=n.state if not n.role else f"{n.state}/{n.role}",
                                             is_up=n.is_up, interface=n.interface, neighbor_id=n.neighbor_id,
                                             peer_device=owner.device if owner else None, vrf=n.vrf))
            if n.is_up:
                continue
            who = f" ({owner.device})" if owner else ""
            in_vrf = "" if n.vrf == "global" else f" (vrf {n.vrf})"
            observations.append(Observation(kind="ospf_stuck", severity=Severity.high, device=dev.name, interface=n.interface,
                data={"neighbor_id": n.neighbor_id, "state": n.state, "peer_device": owner.device if owner else None, "vrf": n.vrf},
                message=(
                f"{dev.name} OSPF adjacency with {n.neighbor_id}{who} on {n.interface}{in_vrf} is stuck in {n.state}")))
            if owner and n.state in {"EXSTART", "EXCHANGE"}:
                observations += await self._ospf_mtu_crosscheck(dev, n.interface, None, owner)
        if not parsed and not table.unparsed:
            observations.append(Observation(kind="ospf_no_neighbors", severity=Severity.info, device=dev.name, message=f"{dev.name} has no OSPF neighbours"))
        return RoutingStatus(tool="check_routing_protocol", device=dev.name, protocol="ospf", neighbors=neighbors, observations=observations)

    async def _ospf_mtu_crosscheck(
        self, dev: Device, local_if: str, local_interfaces: dict[str, Any] | None, owner: AddressOwner
    ) -> list[Observation]:
        """EXSTART/EXCHANGE usually means the two ends disagree on MTU: check both ends.

        Names are matched by identity, not spelling: the neighbour table may write `Po1` or
        `Port-channel1` for the interface that get_interfaces calls `Port-Channel1`.
        """
        try:  # the local interfaces are read here (None), only for an adjacency stuck in EXSTART/EXCHANGE
            local_interfaces = local_interfaces if local_interfaces is not None else (await self._read(dev, "interfaces"))["interfaces"]
            remote_ifs = (await self._read(self.inventory.get(owner.device), "interfaces"))["interfaces"]
        except DeviceError:
            return []
        local_name = find_interface(local_if, local_interfaces)
        remote_name = find_interface(owner.interface, remote_ifs)
        local_mtu = known_int(local_interfaces[local_name].get("mtu")) if local_name else None
        remote_mtu = known_int(remote_ifs[remote_name].get("mtu")) if remote_name else None
        if local_mtu is None or remote_mtu is None or local_name is None or remote_name is None:
            return []
        remote_os = self.inventory.get(owner.device).os
        local_l2, remote_l2 = l2_overhead(dev.os, local_name), l2_overhead(remote_os, remote_name)
        if local_mtu - local_l2 == remote_mtu - remote_l2:  # IOS-XR's 1514 is IOS's 1500: no mismatch
            return []

        def shown(mtu: int, l2: int) -> str:
            return f"MTU {mtu}" + (f" (IP MTU {mtu - l2})" if l2 else "")

        return [Observation(kind="mtu_mismatch", severity=Severity.high, device=dev.name, interface=local_if,
            data={"local_mtu": local_mtu, "peer_device": owner.device, "peer_interface": owner.interface, "peer_mtu": remote_mtu,
                  "local_l2_overhead": local_l2, "peer_l2_overhead": remote_l2},
            message=(
            f"MTU mismatch: {dev.name} {local_if} has {shown(local_mtu, local_l2)} but {owner.device} {owner.interface} has "
            f"{shown(remote_mtu, remote_l2)}; OSPF database exchange cannot complete (adjacency stuck in EXSTART/EXCHANGE)"))]
