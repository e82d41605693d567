"""Parsing of raw CLI text and name normalisation, kept apart from the tools that use them.

OSPF has no NAPALM getter, so neighbour tables come from `show ip ospf neighbor` (IOS, EOS,
NX-OS) or `show ospf neighbor` (IOS-XR, Junos) parsed with the community-maintained ntc-templates
(TextFSM) for the device's OS. A template reads only what
its authors saw; every neighbour line it skips is returned as unparsed, so a stuck neighbour in a
spelling nobody anticipated is shown as unknown instead of vanishing.

Interface names differ by platform (EOS `Port-Channel1`, NX-OS `port-channel1` and `mgmt0`, IOS
`Port-channel1`) and by abbreviation (`Po1`, `Eth1/1`); netutils keeps the abbreviation map, the
platform spellings below only say how each OS writes a type netutils already knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hier_config import HConfig, Platform, get_hconfig
from hier_config.exceptions import DuplicateChildError
from netutils.constants import BASE_INTERFACES
from netutils.interface import canonical_interface_name
from ntc_templates.parse import parse_output

from agents.network.parse_cache import PARSES, content_key

_NTC_PLATFORM = {"ios": "cisco_ios", "eos": "arista_eos", "nxos": "cisco_nxos", "iosxr": "cisco_xr", "junos": "juniper_junos"}
_HCONFIG_PLATFORM = {
    "ios": Platform.CISCO_IOS,
    "eos": Platform.ARISTA_EOS,
    "nxos": Platform.CISCO_NXOS,
    "iosxr": Platform.CISCO_XR,
    "junos": Platform.JUNIPER_JUNOS,
}

# States in which an OSPF adjacency is working (2WAY is normal between DROTHERs).
_OSPF_GOOD_STATES = {"FULL", "2WAY"}

# State spellings of two words (EOS prints `EXCH START`); templates read the state as one token,
# so they are rewritten to the RFC 2328 name before parsing.
_OSPF_STATE_SPELLINGS = [(re.compile(r"\bEXCH START\b", re.IGNORECASE), "EXSTART")]
# A neighbour row starts with the neighbour's router id (headers and process lines do not).
_NEIGHBOR_LINE = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3}){3})\s")


def _respelled(base_type: str, spelling: str) -> dict[str, str]:
    """Every netutils abbreviation of `base_type`, mapped to one platform's spelling of it."""
    return {short: spelling for short, long in BASE_INTERFACES.items() if long == base_type} | {base_type: spelling}


# How a platform spells interface types that netutils' base (IOS) map spells otherwise.
_PLATFORM_INTERFACE_MAPS: dict[str, dict[str, str]] = {
    "eos": _respelled("Port-channel", "Port-Channel"),
    "nxos": _respelled("Port-channel", "port-channel") | _respelled("Management", "mgmt"),
}


@dataclass(frozen=True)
class OspfNeighbor:
    neighbor_id: str
    state: str  # base state without the DR/BDR role, upper case: FULL, EXSTART, ...
    role: str
    address: str
    interface: str
    vrf: str = "global"  # NX-OS/IOS-XR `vrf all` tables name it; "default" is the global table

    @property
    def is_up(self) -> bool:
        return self.state in _OSPF_GOOD_STATES


def parse_config(os_name: str, text: str) -> HConfig:
    """A configuration as a hier_config tree, with the OS's own syntax rules (generic if unknown).

    Parsed once per content and OS (`parse_cache`): the same configuration is asked for by every
    request while the device read is cached. The tree is shared, so callers only read it.
    """
    return PARSES.get_sync("hconfig", content_key(os_name, text), _parse_config, os_name, text)


def _parse_config(os_name: str, text: str) -> HConfig:
    """Redacted configs repeat lines that differed only in their secret (two communities, both now
    `<redacted> RO`), which hier_config refuses; the repeats are dropped and parsing retried."""
    platform = _HCONFIG_PLATFORM.get(os_name, Platform.GENERIC)
    try:
        return get_hconfig(platform, text)
    except DuplicateChildError:
        return get_hconfig(platform, drop_duplicate_lines(text))


def drop_duplicate_lines(text: str) -> str:
    """Remove a line identical to an earlier line under the same parent (indentation stack)."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []
    seen: set[tuple[str, ...]] = set()
    for line in text.split("\n"):
        body = line.strip()
        if not body or body == "!":  # separators; a comment with text (IOS-XR keeps them) is deduplicated too
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = (*(t for _, t in stack), " ".join(body.split()))
        stack.append((indent, body))
        if key in seen:
            continue
        seen.add(key)
        out.append(line)
    return "\n".join(out)


def l2_overhead(os_name: str, interface: str) -> int:
    """Bytes of Ethernet header a platform counts in an interface's MTU: IOS-XR and Junos (on the
    physical port; a Junos unit `xe-0/1/0.0` carries the family MTU) write `mtu 1514` for IP MTU
    1500, IOS, NX-OS and EOS write 1500. Compare MTUs across platforms only after subtracting it."""
    return 14 if os_name == "iosxr" or (os_name == "junos" and "." not in interface) else 0


def canonical_interface(name: str, os_name: str | None = None) -> str:
    """The full name as the platform writes it: `Te1/1/1` -> `TenGigabitEthernet1/1/1`, on EOS
    `Po1` -> `Port-Channel1`, on NX-OS `Eth1/1` -> `Ethernet1/1` and `mgmt0` stays `mgmt0`."""
    name = name.strip()
    if not name:
        return name
    return canonical_interface_name(name, addl_name_map=_PLATFORM_INTERFACE_MAPS.get(os_name or ""))


def interface_key(name: str) -> str:
    """One identity for every spelling of an interface (`Po1`, `Port-Channel1`, `port-channel1`)."""
    return canonical_interface(name).lower()


def find_interface(name: str, known: list[str] | dict[str, Any]) -> str | None:
    """The device's own spelling of `name` among `known`, or None if it has no such interface."""
    wanted = interface_key(name)
    return next((k for k in known if interface_key(k) == wanted), None)


@dataclass(frozen=True)
class OspfTable:
    """A parsed neighbour table and the neighbour lines the template could not read."""

    neighbors: list[OspfNeighbor] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)


def parse_ospf_neighbors(os_name: str, command: str, text: str) -> list[OspfNeighbor]:
    """Parse an OSPF neighbour table; an empty or neighbour-less output gives []."""
    return parse_ospf_table(os_name, command, text).neighbors


def parse_ospf_table(os_name: str, command: str, text: str) -> OspfTable:
    """Parse an OSPF neighbour table and reconcile it with the raw lines.

    Each parsed row claims the raw line that starts with its neighbour id and holds its address;
    a neighbour line no row claims is returned in `unparsed` (the caller reports it).
    """
    if not text.strip():
        return OspfTable()
    platform = _NTC_PLATFORM.get(os_name)
    if platform is None:
        raise NotImplementedError(f"no OSPF neighbour parser for os '{os_name}'")
    for spelling, state in _OSPF_STATE_SPELLINGS:
        text = spelling.sub(state, text)
    try:
        rows = parse_output(platform=platform, command=command, data=text)
    except Exception:  # a template that chokes on the text: every neighbour line is unparsed
        rows = []
    neighbors = []
    for row in rows:
        state, _, role = row["state"].partition("/")
        neighbors.append(
            OspfNeighbor(
                neighbor_id=row["neighbor_id"],
                state=state.strip().upper(),
                role=role.strip(" -"),
                address=row["ip_address"],
                interface=canonical_interface(row["interface"], os_name),
                vrf=_vrf_name(row.get("vrf")),
            )
        )
    return OspfTable(neighbors=neighbors, unparsed=_unclaimed_lines(text, neighbors))


def _vrf_name(vrf: str | None) -> str:
    return "global" if not vrf or vrf.lower() == "default" else vrf


def _unclaimed_lines(text: str, neighbors: list[OspfNeighbor]) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if _NEIGHBOR_LINE.match(line)]
    for n in neighbors:
        for i, line in enumerate(lines):
            tokens = line.split()  # Junos writes the address first, the others the neighbour id
            if line and tokens[0] in {n.neighbor_id, n.address} and {n.neighbor_id, n.address} <= set(tokens):
                lines[i] = ""
                break
    return [line for line in lines if line]
