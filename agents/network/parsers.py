"""Parsing of raw CLI text and name normalisation, kept apart from the tools that use them.

OSPF has no NAPALM getter, so neighbour tables come from `show ip ospf neighbor` parsed with
the community-maintained ntc-templates (TextFSM) for the device's OS.
"""

from __future__ import annotations

from dataclasses import dataclass

from hier_config import HConfig, Platform, get_hconfig
from napalm.base.helpers import canonical_interface_name
from ntc_templates.parse import parse_output

_NTC_PLATFORM = {"ios": "cisco_ios", "eos": "arista_eos", "nxos": "cisco_nxos"}
_HCONFIG_PLATFORM = {
    "ios": Platform.CISCO_IOS,
    "eos": Platform.ARISTA_EOS,
    "nxos": Platform.CISCO_NXOS,
    "iosxr": Platform.CISCO_XR,
    "junos": Platform.JUNIPER_JUNOS,
}

# States in which an OSPF adjacency is working (2WAY is normal between DROTHERs).
_OSPF_GOOD_STATES = {"FULL", "2WAY"}


@dataclass(frozen=True)
class OspfNeighbor:
    neighbor_id: str
    state: str  # base state without the DR/BDR role, upper case: FULL, EXSTART, ...
    role: str
    address: str
    interface: str

    @property
    def is_up(self) -> bool:
        return self.state in _OSPF_GOOD_STATES


def parse_config(os_name: str, text: str) -> HConfig:
    """A configuration as a hier_config tree, with the OS's own syntax rules (generic if unknown)."""
    return get_hconfig(_HCONFIG_PLATFORM.get(os_name, Platform.GENERIC), text)


def canonical_interface(name: str) -> str:
    """`Te1/1/1` and `TenGigabitEthernet1/1/1` are one interface; compare canonical names."""
    return canonical_interface_name(name.strip())


def parse_ospf_neighbors(os_name: str, command: str, text: str) -> list[OspfNeighbor]:
    """Parse an OSPF neighbour table; an empty or neighbour-less output gives []."""
    if not text.strip():
        return []
    platform = _NTC_PLATFORM.get(os_name)
    if platform is None:
        raise NotImplementedError(f"no OSPF neighbour parser for os '{os_name}'")
    rows = parse_output(platform=platform, command=command, data=text)
    neighbors = []
    for row in rows:
        state, _, role = row["state"].partition("/")
        neighbors.append(
            OspfNeighbor(
                neighbor_id=row["neighbor_id"],
                state=state.strip().upper(),
                role=role.strip(" -"),
                address=row["ip_address"],
                interface=canonical_interface(row["interface"]),
            )
        )
    return neighbors
