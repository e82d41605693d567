"""What a proposed change will do to the traffic and sessions it touches, predicted before approval.

The pre-checks say whether a change is safe to try (the grammar, the audit, the diff); an
approver also needs to know what it will do: a QoS policy, which classes get what share of the
load measured on the interface now; a static route, which prefixes move, from which route to
which next hop and interface, and which routing sessions ride on them; a trunk, which VLANs stop
or start crossing the link; an access port, which VLAN the attached host leaves. The prediction
reads the device's current counters (analyze_traffic_patterns), its routing neighbours
(check_routing_protocol) and its running configuration (redacted), and is shown beside the diff.

It is a prediction from one snapshot, and says so where it cannot know (dynamic routes are not
read from a routing table; per-class counters are not sampled). Parsing is IOS/EOS-style
indentation, written here (hier_config's tree is heavier than these few lookups need).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable

from agents.tools.network import Toolbox
from agents.tools.results import InterfaceTraffic

log = logging.getLogger(__name__)
_ROUTE = re.compile(r"ip route (?P<prefix>[0-9.]+)(?:/(?P<len>[0-9]{1,2})| (?P<mask>[0-9.]+)) (?P<via>\S+)(?P<rest>.*)")
_CONGESTED_PCT = 90.0


def sections(lines: Iterable[str]) -> dict[str, list[str]]:
    """Top-level line -> its child lines (stripped, any depth), in order."""
    out: dict[str, list[str]] = {}
    head: str | None = None
    for line in lines:
        if not line.strip() or line.lstrip().startswith("!"):
            continue
        if not line.startswith(" "):
            head = line.strip()
            out.setdefault(head, [])
        elif head is not None:
            out[head].append(line.strip())
    return out


async def predict(toolbox: Toolbox, device: str, kind: str | None, lines: list[str], running: str) -> list[str]:
    """Plain sentences, most important first; a failed read is named, never raised."""
    try:
        traffic = await toolbox.analyze_traffic_patterns(device)
        load = {i.name: i for i in traffic.interfaces} if traffic.ok else {}
        if kind == "qos_policy":
            return _qos(lines, running, load)
        if kind == "static_route":
            bgp = await toolbox.check_routing_protocol(device, "bgp")
            peers = [n.address for n in bgp.neighbors] if bgp.ok else []
            return _routes(lines, running, load, peers)
        if kind in ("trunk", "access_port"):
            return _ports(kind, lines, running, load)
        return [f"No impact model for {kind or 'this change'}: read the diff."]
    except Exception as exc:  # the proposal must still reach a person; the gap is named
        log.warning("impact prediction for %s failed", device, exc_info=True)
        return [f"Impact could not be predicted ({type(exc).__name__})."]


def _now(i: InterfaceTraffic | None, direction: str = "output") -> str:
    if i is None:
        return "no counters read"
    mbps, pct = (i.out_mbps, i.out_util_pct) if direction == "output" else (i.in_mbps, i.in_util_pct)
    speed = f" of {i.speed_mbps:g} Mbps" if i.speed_mbps else ""
    drops = i.tx_discards_delta if direction == "output" else i.rx_discards_delta
    return f"{mbps:.1f} Mbps{speed} ({pct:.0f}%) {direction} now" + (f", {drops:,} discards in the last sample" if drops else "")


def _qos(lines: list[str], running: str, load: dict[str, InterfaceTraffic]) -> list[str]:
    config = sections(running.splitlines()) | sections(lines)  # the candidate's sections win
    matches = {h.split()[-1]: [c.removeprefix("match ") for c in kids if c.startswith("match ")]
               for h, kids in config.items() if h.startswith("class-map ")}
    out: list[str] = []
    for head, kids in sections(lines).items():
        if not head.startswith("interface "):
            continue
        iface = head.split(maxsplit=1)[1]
        for child in kids:
            m = re.fullmatch(r"service-policy (input|output) (\S+)", child)
            if m is None:
                continue
            direction, policy = m.groups()
            classes = _policy(config.get(f"policy-map {policy}", []))
            traffic = load.get(iface)
            out.append(f"{iface}: {policy} applied {direction}; {_now(traffic, direction)}.")
            speed = traffic.speed_mbps if traffic and traffic.speed_mbps else None
            given = 0
            for name, (how, pct) in classes.items():
                what = f" ({', '.join(matches.get(name, []))})" if matches.get(name) else ""
                mbps = f" = {speed * pct / 100:g} Mbps" if speed and pct else ""
                if how == "priority":
                    out.append(f"  {name}{what}: strict priority, policed to {pct}%{mbps} when the link is congested.")
                elif how == "bandwidth":
                    out.append(f"  {name}{what}: guaranteed {pct}%{mbps} under congestion, more when others leave room.")
                else:
                    continue
                given += pct
            rest = max(0, 100 - given)
            out.append(f"  class-default (everything else): the remaining {rest}%" + (f" = {speed * rest / 100:g} Mbps" if speed else "")
                       + " under congestion.")
            if traffic is not None:
                pct_now = traffic.out_util_pct if direction == "output" else traffic.in_util_pct
                out.append(f"  At the measured {pct_now:.0f}%: " + (
                    "the link is congested, so these shares take effect at once: drops move from all traffic alike to the "
                    "classes above their share, class-default first." if pct_now >= _CONGESTED_PCT else
                    "the link is not congested, so nothing changes now; the shares apply when it is."))
    return out or ["No interface gets a service-policy in this change: only definitions change, no traffic is affected yet."]


def _policy(kids: list[str]) -> dict[str, tuple[str, int]]:
    """class -> (priority | bandwidth | other, percent) from a policy-map's children."""
    classes: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for line in kids:
        if line.startswith("class "):
            current = line.split()[1]
            classes[current] = ("other", 0)
            continue
        m = re.fullmatch(r"(priority|bandwidth)(?: remaining)? percent ([0-9]{1,3})", line)
        if current is not None and m is not None:
            classes[current] = (m.group(1), int(m.group(2)))
    return classes


def _network(text: str) -> ipaddress.IPv4Network | None:
    m = _ROUTE.fullmatch(text.strip())
    if m is None:
        return None
    try:
        return ipaddress.IPv4Network(f"{m['prefix']}/{m['len'] or m['mask']}", strict=False)
    except ValueError:
        return None


def _routes(lines: list[str], running: str, load: dict[str, InterfaceTraffic], peers: list[str]) -> list[str]:
    existing = [(net, line.strip()) for line in running.splitlines() if line.startswith("ip route ") and " vrf " not in line
                and (net := _network(line)) is not None]
    connected = _connected(running)
    out: list[str] = []
    for line in lines:
        m = _ROUTE.fullmatch(line.strip())
        net = _network(line)
        if m is None or net is None:
            continue
        distance = next((int(t) for t in m["rest"].split() if t.isdigit()), 1)
        via = m["via"]
        iface = via if not re.fullmatch(r"[0-9.]+", via) else next((i for i, sub in connected if ipaddress.IPv4Address(via) in sub), None)
        if iface is None:
            exit_ = f"{via} (not in a connected subnet: resolved recursively)"
        else:
            exit_ = f"{via} ({_now(load.get(via))})" if iface == via else f"{via} on {iface} ({_now(load.get(iface))})"
        same = sorted((text for n, text in existing if n == net), key=_distance)
        covering = sorted(((n, text) for n, text in existing if net != n and net.subnet_of(n)), key=lambda p: -p[0].prefixlen)
        if same:
            out.append(f"{net}: already routed by `{same[0]}`; this adds {via} at distance {distance}, which "
                       + ("takes the traffic now." if distance < _distance(same[0]) else "waits as a backup (no traffic moves now)."))
        elif covering:
            out.append(f"{net}: now follows `{covering[0][1]}`, the most specific static route covering it (dynamic routes are "
                       f"not read); this more specific route sends it to {exit_}.")
        else:
            out.append(f"{net}: no static route covers it today; it goes to {exit_} unless a dynamic route with a distance under "
                       f"{distance} is preferred (the routing table is not read).")
        riding = [p for p in peers if ipaddress.IPv4Address(p) in net]
        if riding:
            out.append(f"  BGP session(s) to {', '.join(riding)} will follow this route: they may reset if the new path does not reach them.")
    return out or ["No route in this change could be read."]


def _distance(route: str) -> int:
    m = _ROUTE.fullmatch(route)
    return next((int(t) for t in m["rest"].split() if t.isdigit()), 1) if m else 1


def _connected(running: str) -> list[tuple[str, ipaddress.IPv4Network]]:
    out = []
    for head, kids in sections(running.splitlines()).items():
        for kid in kids:
            m = re.fullmatch(r"ip address ([0-9.]+) ([0-9.]+)(?: secondary)?", kid)
            if head.startswith("interface ") and m:
                out.append((head.split(maxsplit=1)[1], ipaddress.IPv4Network(f"{m[1]}/{m[2]}", strict=False)))
    return out


def vlans(text: str) -> set[int]:
    """'10,20-22' -> {10, 20, 21, 22}; 'all' or '1-4094' -> every VLAN."""
    out: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if part in ("all", ""):
            return set(range(1, 4095)) if part == "all" else out
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


def _span(ids: set[int]) -> str:
    ordered = sorted(ids)
    out: list[list[int]] = []
    for v in ordered:
        if out and v == out[-1][1] + 1:
            out[-1][1] = v
        else:
            out.append([v, v])
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


def _ports(kind: str, lines: list[str], running: str, load: dict[str, InterfaceTraffic]) -> list[str]:
    now = sections(running.splitlines())
    out: list[str] = []
    for head, kids in sections(lines).items():
        if not head.startswith("interface "):
            continue
        iface = head.split(maxsplit=1)[1]
        before = now.get(head, [])
        was_trunk = "switchport mode trunk" in before
        traffic = f" It carries {_now(load.get(iface))} and {_now(load.get(iface), 'input')}." if iface in load else ""
        allowed_now = next((k.rsplit(" ", 1)[1] for k in before if k.startswith("switchport trunk allowed vlan ")), "all")
        access_now = next((k.rsplit(" ", 1)[1] for k in before if k.startswith("switchport access vlan ")), "1")
        if kind == "trunk":
            new = next((k.rsplit(" ", 1)[1] for k in kids if k.startswith("switchport trunk allowed vlan ")), None)
            if not was_trunk:
                out.append(f"{iface}: from an access port in VLAN {access_now} to a trunk"
                           + (f" carrying VLANs {new}" if new else " carrying every VLAN") + ": the attached host loses its access VLAN."
                           + traffic)
            elif new is not None:
                old_set, new_set = vlans(allowed_now), vlans(new)
                stop, start = old_set - new_set, new_set - old_set
                out.append(f"{iface}: VLAN(s) {_span(stop) or 'none'} stop crossing the trunk; VLAN(s) {_span(start) or 'none'} start."
                           + traffic)
            native = next((k.rsplit(" ", 1)[1] for k in kids if k.startswith("switchport trunk native vlan ")), None)
            if native is not None:
                out.append(f"  untagged frames move to native VLAN {native} (both ends must agree, or they land in the wrong VLAN).")
        else:
            new = next((k.rsplit(" ", 1)[1] for k in kids if k.startswith("switchport access vlan ")), None)
            if was_trunk:
                out.append(f"{iface}: from a trunk (VLANs {allowed_now}) to an access port in VLAN {new or 1}: "
                           "every other VLAN stops crossing it." + traffic)
            elif new is not None and new != access_now:
                out.append(f"{iface}: the attached host moves from VLAN {access_now} to VLAN {new}: its address and open sessions "
                           "in VLAN " + access_now + " end." + traffic)
            else:
                out.append(f"{iface}: stays in VLAN {access_now}; only port settings change." + traffic)
    return out or ["No interface in this change: nothing forwarded is affected."]
