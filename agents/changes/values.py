"""The values in a candidate, checked as what they are, and the risk they carry on this device.

The grammar (`grammar.yaml`) only says a line has the right shape: `ip route 999.999.999.999 …`
and `interface Null0` fit it. Here the values are read with the standard library's `ipaddress`
and netutils' interface names against the device's running config, each platform as it writes
them (IOS `ip route A MASK`, EOS/NX-OS `ip route A/LEN`, IOS-XR `A/LEN` under `router static`,
Junos `set routing-options static route A/LEN next-hop H`; IOS-XR `ipv4 address`, Junos
`family inet address` in `set` form): addresses and masks must be
addresses and masks (no host bits, as IOS itself refuses), next hops usable hosts, VLANs, DSCP
values and percentages in range, and every interface must exist on the device (a switchport
change only on a port that can be one). Then the risk: a route that replaces the default route
or covers the device's management address (the inventory's) or its management subnet, and a
port change on the interface that carries the management address, are critical.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass

from netutils.interface import canonical_interface_name

from agents.changes.grammar import depths
from agents.tools.junos_set import to_set_form

_INTERFACE_LINE = re.compile(r"^interface (\S+)(?: (?:l2transport|point-to-point|multipoint))?$")  # IOS-XR l2transport units too
_ADDRESS = re.compile(r"^ipv?4? address (\d+\.\d+\.\d+\.\d+)(?:/(\d+)| (\d+\.\d+\.\d+\.\d+))(?: secondary)?$")
# Junos in set form: the interface a statement is about, and an IPv4 address on one of its units.
_JUNOS_INTERFACE = re.compile(r"^set (?:class-of-service )?interfaces (\S+)")
_JUNOS_ADDRESS = re.compile(r"^set interfaces (\S+) unit \d+ family inet address (\d+\.\d+\.\d+\.\d+)/(\d+)")
_JUNOS_ROUTE = re.compile(r"^set routing-options static route (\S+) (.+)$")
_JUNOS_VLANS = re.compile(r"vlan members (?:\[ (.+) \]|(\S+))$")
# Ports that can carry switchport configuration: Ethernet of any speed and port-channels (Junos:
# ge-, xe-, et-, mge- ports and ae bundles).
_SWITCHPORT = re.compile(r"^(\w*Ethernet|\w*GigE|Port-channel|(ge|xe|et|mge)-\d+/\d+/|ae)\d", re.IGNORECASE)
_NO_POLICY = re.compile(r"^(Null|Loopback)\d", re.IGNORECASE)
_VLAN = re.compile(r"vlan (\d+)$")
_DSCP = re.compile(r"^(?:match dscp|qos map dscp)((?: [\w,-]+)+?)(?: to traffic-class \d)?$")
_ROUTE_KEYWORDS = ("name", "tag", "description")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")  # "this host on this network": never a next hop
_PERCENT = re.compile(r"(?:percent (\d+)|(\d+) percent)$")


@dataclass(frozen=True)
class Route:
    prefix: ipaddress.IPv4Network
    interface: str | None
    next_hop: ipaddress.IPv4Address | None


def canonical(name: str) -> str:
    return str(canonical_interface_name(name))


def device_interfaces(running: str, os: str = "ios") -> dict[str, list[ipaddress.IPv4Interface]]:
    """Canonical interface name -> its IPv4 addresses, from the running config."""
    if os == "junos":
        return _junos_interfaces(running)
    out: dict[str, list[ipaddress.IPv4Interface]] = {}
    current: str | None = None
    for depth, text in depths(running.splitlines()):
        match = _INTERFACE_LINE.match(text)
        if depth == 0:
            current = canonical(match.group(1)) if match else None
            if current is not None:
                out.setdefault(current, [])
            continue
        address = _ADDRESS.match(text)
        if current is not None and depth == 1 and address:
            try:
                out[current].append(ipaddress.IPv4Interface(f"{address.group(1)}/{address.group(2) or address.group(3)}"))
            except ValueError:
                continue
    return out


def _junos_interfaces(running: str) -> dict[str, list[ipaddress.IPv4Interface]]:
    """Junos: every interface a `set interfaces X ...` statement names, with its units' addresses."""
    out: dict[str, list[ipaddress.IPv4Interface]] = {}
    for line in to_set_form(running).lines:
        name = _JUNOS_INTERFACE.match(line)
        if name is None or line.startswith("set class-of-service"):
            continue
        out.setdefault(name.group(1), [])
        address = _JUNOS_ADDRESS.match(line)
        if address:
            try:
                out[name.group(1)].append(ipaddress.IPv4Interface(f"{address.group(2)}/{address.group(3)}"))
            except ValueError:
                continue
    return out


def interface_of(os: str, depth: int, text: str) -> str | None:
    """The interface a candidate line is about: `interface X` sections, Junos `set ... interfaces X`."""
    if os == "junos":
        match = _JUNOS_INTERFACE.match(text)
        return match.group(1) if match else None
    match = _INTERFACE_LINE.match(text)
    return match.group(1) if match and depth == 0 else None


def route_text(os: str, depth: int, text: str) -> str | None:
    """The candidate line as `ip route PREFIX REST` when it is a static route (any platform's form)."""
    if text.startswith("ip route "):
        return text
    if os == "iosxr" and depth == 2 and text[:1].isdigit():  # under router static / address-family
        return "ip route " + text
    junos = _JUNOS_ROUTE.match(text) if os == "junos" else None
    if junos is None:
        return None
    rest = junos.group(2).split()
    if rest[0] == "next-hop":
        return f"ip route {junos.group(1)} {' '.join(rest[1:])}"
    if rest[0] == "discard":
        return f"ip route {junos.group(1)} Null0"
    return f"ip route {junos.group(1)} {' '.join(rest)}"  # preference / no-readvertise: an attribute line


def value_problems(kind: str, os: str, lines: list[str], running: str) -> list[str]:
    """What is wrong with the candidate's values on this device; empty when every value holds."""
    interfaces = device_interfaces(running, os)
    problems: list[str] = []
    for depth, text in depths(lines):
        name = interface_of(os, depth, text)
        route = route_text(os, depth, text)
        if name is not None:
            problems += _interface_problems(kind, name, interfaces, os)
            problems += _number_problems(text)
        elif route is not None:  # quoted as written, not in the common `ip route` form it was read in
            problems += [p.replace(repr(route), repr(text)) for p in parse_route(route, os, interfaces)[1]]
        else:
            problems += _number_problems(text)
    return list(dict.fromkeys(problems))


def _interface_problems(kind: str, name: str, interfaces: dict[str, list[ipaddress.IPv4Interface]], os: str = "ios") -> list[str]:
    full = name if os == "junos" else canonical(name)
    if full not in interfaces and not _is_null(full):
        written = f"set interfaces {full}" if os == "junos" else f"interface {full}"
        return [f"interface {name} does not exist on the device (its running config has no `{written}`)"]
    if kind in ("access_port", "trunk") and (not _SWITCHPORT.match(full) or "." in full):
        return [f"interface {name} cannot be {'an access port' if kind == 'access_port' else 'a trunk'}: only Ethernet ports and port-channels carry switchport configuration"]
    if kind in ("access_port", "trunk") and os == "junos" and interfaces[full]:
        return [f"interface {name} is a routed port ({interfaces[full][0]} on family inet): Junos does not take "
                "family ethernet-switching beside it"]
    if kind == "qos_policy" and _NO_POLICY.match(full):
        return [f"interface {name} carries no traffic to shape: a service policy on it does nothing"]
    return []


def _number_problems(text: str) -> list[str]:
    problems: list[str] = []
    vlan = _VLAN.search(text)
    if vlan and not 1 <= int(vlan.group(1)) <= 4094:
        problems.append(f"VLAN {vlan.group(1)} is out of range (1-4094): {text!r}")
    if text.startswith("switchport trunk allowed vlan "):
        problems += _vlan_list_problems(text.rsplit(" ", 1)[1], text)
    junos_vlans = _JUNOS_VLANS.search(text)
    if junos_vlans:
        problems += _vlan_list_problems(",".join((junos_vlans.group(1) or junos_vlans.group(2)).split()), text)
    native = re.search(r"native-vlan-id (\d+)$", text)
    if native and not 1 <= int(native.group(1)) <= 4094:
        problems.append(f"VLAN {native.group(1)} is out of range (1-4094): {text!r}")
    dscp = _DSCP.match(text)
    if dscp:
        for value in re.split(r"[ ,-]", dscp.group(1).strip()):
            if value.isdigit() and int(value) > 63:
                problems.append(f"DSCP {value} is out of range (0-63): {text!r}")
    percent = _PERCENT.search(text)
    if percent and not 1 <= int(percent.group(1) or percent.group(2)) <= 100:
        problems.append(f"{percent.group(1) or percent.group(2)} percent is out of range (1-100): {text!r}")
    return problems


def _vlan_list_problems(spec: str, text: str) -> list[str]:
    for item in spec.split(","):
        bounds = item.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            return [f"{item!r} is not a VLAN or a VLAN range: {text!r}"]
        low, high = int(bounds[0]), int(bounds[-1])
        if not (1 <= low <= high <= 4094):
            return [f"VLAN range {item} is out of range or reversed (1-4094, low-high): {text!r}"]
    return []


def parse_route(text: str, os: str, interfaces: dict[str, list[ipaddress.IPv4Interface]]) -> tuple[Route | None, list[str]]:
    """An `ip route` line read as a route, or the reasons it is not one (`route_text` gives every
    platform's route in this form: only IOS writes a dotted mask, the others prefix/length)."""
    words = text.split()[2:]
    try:
        if os != "ios":
            address, _, length = words.pop(0).partition("/")
            _address(address)
            prefix = ipaddress.IPv4Network(f"{address}/{length}")
        else:
            address, mask = words.pop(0), words.pop(0)
            _address(address)
            if not _is_netmask(mask):
                return None, [f"{mask} is not a netmask: {text!r}"]
            prefix = ipaddress.IPv4Network(f"{address}/{mask}")
    except (ValueError, IndexError) as exc:
        return None, [f"{exc or 'a prefix is missing'}: {text!r}"]
    if words and words[0] in ("preference", "no-readvertise"):  # a Junos attribute of a route set elsewhere
        return Route(prefix, None, None), []
    interface = next_hop = None
    problems: list[str] = []
    if words and words[0][0].isalpha() and words[0] not in _ROUTE_KEYWORDS:
        interface = words.pop(0)
        if canonical(interface) not in interfaces and not _is_null(canonical(interface)):
            problems.append(f"interface {interface} does not exist on the device: {text!r}")
    if words and words[0][0].isdigit() and "." in words[0]:
        try:
            next_hop = _address(words.pop(0))
        except ValueError as exc:
            return None, [f"{exc}: {text!r}"]
        if next_hop in _THIS_NETWORK or next_hop.is_multicast or next_hop.is_loopback or next_hop.is_reserved \
                or next_hop == ipaddress.IPv4Address("255.255.255.255"):
            problems.append(f"next hop {next_hop} is not a usable host address: {text!r}")
    while words:  # name/description/tag with a value, or a bare administrative distance (NX-OS puts it last)
        word = words.pop(0)
        if word in _ROUTE_KEYWORDS and words:
            words.pop(0)
        elif word.isdigit() and not 1 <= int(word) <= 255:
            problems.append(f"administrative distance {word} is out of range (1-255): {text!r}")
    if interface is None and next_hop is None:
        problems.append(f"the route names neither a next hop nor an interface: {text!r}")
    return Route(prefix, interface, next_hop), problems


def _is_null(name: str) -> bool:
    """Null0 exists on every IOS, EOS, NX-OS and IOS-XR device without appearing in the running config."""
    return name.lower() == "null0"


def _address(text: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text)
    except ValueError:
        raise ValueError(f"{text} is not an IPv4 address") from None


def _is_netmask(text: str) -> bool:
    """A dotted netmask: ones then zeros. (`ipaddress` would also take a wildcard such as
    0.255.255.255 as a mask, which IOS refuses in a route.)"""
    try:
        bits = f"{int(ipaddress.IPv4Address(text)):032b}"
    except ValueError:
        return False
    return "01" not in bits


def risk_reasons(os: str, lines: list[str], running: str, management: str | None) -> list[str]:
    """Why this candidate is critical on this device (empty when it is not)."""
    interfaces = device_interfaces(running, os)
    mgmt = _management(management)
    mgmt_nets = [a.network for addrs in interfaces.values() for a in addrs if mgmt is not None and a.ip == mgmt]
    reasons: list[str] = []
    current: str | None = None
    for depth, text in depths(lines):
        name = interface_of(os, depth, text)
        key = name if os == "junos" or name is None else canonical(name)
        if key is not None and mgmt is not None and any(a.ip == mgmt for a in interfaces.get(key, [])):
            reasons.append(f"interface {name} carries the device's management address {mgmt}")
        if depth == 0:
            current = name
        routed = interfaces.get(canonical(current), []) if current is not None and os != "junos" else []
        if depth > 0 and text.startswith("switchport") and routed:
            reasons.append(f"interface {current} is a routed port ({routed[0]}): making it a switchport removes its "
                           "layer-3 configuration and whatever runs over it")
        route_line = route_text(os, depth, text)
        if route_line is None:
            continue
        route, problems = parse_route(route_line, os, interfaces)
        if route is None:
            continue
        reasons += _route_reasons(route, mgmt, mgmt_nets)
    return list(dict.fromkeys(reasons))


def _route_reasons(route: Route, mgmt: ipaddress.IPv4Address | None, mgmt_nets: list[ipaddress.IPv4Network]) -> Iterator[str]:
    if route.prefix.prefixlen == 0:
        yield "the route replaces the default route (0.0.0.0/0): every destination without a more specific route moves"
    elif mgmt is not None and mgmt in route.prefix:
        yield f"the route {route.prefix} covers the device's management address {mgmt} (inventory)"
    for net in mgmt_nets:
        if route.prefix.prefixlen and route.prefix.overlaps(net) and not (mgmt is not None and mgmt in route.prefix):
            yield f"the route {route.prefix} overlaps the management subnet {net}"


def _management(address: str | None) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(address) if address else None
    except ValueError:
        return None
