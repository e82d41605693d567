"""Which inventory device owns a peer's address, for the BGP and OSPF cross-checks.

Real networks reuse addresses: the same /30 in two customer VRFs, an anycast gateway on every
leaf, a lab copy of production. A plain address -> device map keeps whichever device was read last
and then blames it for another device's session. Here every owner is kept with its VRF (from
NAPALM's get_network_instances where the driver has it) and a lookup answers only when it is
unambiguous: the single owner, else the single owner in the session's VRF. Otherwise it answers
None and the cross-check is skipped; no finding beats a finding about the wrong device.

VRF names are device-local (a PE keeps a customer session in VRF `CUST`, the CE in its global
table), so a lone owner is accepted whatever its VRF; the VRF only chooses among several owners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# NAPALM calls the default routing table "global" in BGP results and "default" in network instances.
_DEFAULT_VRF = {"global", "default", ""}


@dataclass(frozen=True)
class AddressOwner:
    device: str
    interface: str
    vrf: str | None = None  # None: the device did not say (no network-instance data)


def same_vrf(a: str | None, b: str | None) -> bool:
    return _vrf_name(a) == _vrf_name(b)


def _vrf_name(vrf: str | None) -> str | None:
    """The global table under one name, whatever the driver calls it."""
    return "default" if (vrf or "").lower() in _DEFAULT_VRF else vrf


class AddressIndex:
    """Interface addresses of the inventory; lookups that refuse to guess between owners.

    Each address keeps its owners grouped by device, by device in each VRF, and the devices that
    did not say their VRF, so a lookup costs the same however many devices share the address
    (an anycast gateway on every leaf of a large fabric made it a scan of them all, per neighbour)."""

    def __init__(self, owners: Iterable[tuple[str, AddressOwner]]) -> None:
        self._by_address: dict[str, list[AddressOwner]] = defaultdict(list)
        self._by_device: dict[str, set[str]] = defaultdict(set)  # each BGP check asks for its device's own
        self._first: dict[str, dict[str, AddressOwner]] = defaultdict(dict)  # address -> device -> its first owner entry
        self._in_vrf: dict[tuple[str, str | None], dict[str, AddressOwner]] = defaultdict(dict)
        self._vrf_unknown: dict[str, set[str]] = defaultdict(set)  # address -> devices with an owner of unknown VRF
        for address, owner in owners:
            self._by_address[address].append(owner)
            self._by_device[owner.device].add(address)
            self._first[address].setdefault(owner.device, owner)
            if owner.vrf is None:
                self._vrf_unknown[address].add(owner.device)
            else:
                self._in_vrf[(address, _vrf_name(owner.vrf))].setdefault(owner.device, owner)

    def owner(self, address: str, vrf: str | None = None, *, exclude: str | None = None) -> AddressOwner | None:
        """The one device that owns `address` (seen from `exclude`'s session in `vrf`), or None."""
        first = self._first.get(address)
        if not first:
            return None
        others = len(first) - (exclude in first)
        if others == 1:
            return next(o for d, o in first.items() if d != exclude)
        if others == 0 or vrf is None:
            return None
        if any(d != exclude for d in self._vrf_unknown.get(address, ())):  # an owner of unknown VRF may be the one
            return None
        in_vrf = [o for d, o in self._in_vrf.get((address, _vrf_name(vrf)), {}).items() if d != exclude]
        return in_vrf[0] if len(in_vrf) == 1 else None

    def addresses_of(self, device: str) -> set[str]:
        return set(self._by_device.get(device, ()))


def build_address_index(reads: Iterable[tuple[str, dict[str, Any], dict[str, Any] | None]]) -> AddressIndex:
    """From (device, get_interfaces_ip, get_network_instances or None) per device."""
    pairs: list[tuple[str, AddressOwner]] = []
    for device, interfaces_ip, instances in reads:
        vrf_of = _vrf_by_interface(instances)
        for name, families in (interfaces_ip or {}).items():
            vrf = vrf_of.get(name.lower(), "default" if vrf_of else None)
            for family in families.values():
                pairs += [(address, AddressOwner(device, name, vrf)) for address in family]
    return AddressIndex(pairs)


def _vrf_by_interface(instances: dict[str, Any] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, inst in (instances or {}).items():
        members = ((inst or {}).get("interfaces") or {}).get("interface") or {}
        for interface in members:
            out[interface.lower()] = name
    return out
