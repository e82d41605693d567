"""One pydantic model per change kind: the checked values its template receives.

`defaults.fill_defaults` has already put defaults where the text was silent (and said so); each
`_prepare_*` checks the parameters of one kind, records problems and assumptions on `Notes`, and
returns that kind's model. The models are strict (no coercion, no unknown fields), so a template
and the code feeding it cannot drift apart quietly; StrictUndefined in the templates catches the
other direction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from agents.specialists.config_templates.checks import (
    Notes,
    as_int,
    check_asn,
    check_interface,
    check_ip,
    check_prefix,
    check_vlan,
    clean_text,
    display_prefix,
    ospf_area,
    percent,
    policy_name,
)
from agents.specialists.config_templates.kinds import BGP_MD5_PLACEHOLDER
from agents.specialists.config_templates.values import NOT_SWITCHPORT, format_vlan_list, is_netmask, parse_vlan_list


class KindParams(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class AccessPortParams(KindParams):
    interface: str
    vlan: int | str  # a <placeholder> when none was given and the site has none
    voice_vlan: int | None
    description: str | None
    portfast: bool
    bpduguard: bool


class TrunkParams(KindParams):
    interface: str
    allowed_vlans: str | None  # compressed list ("99,110-120"); None = all (the device default)
    native_vlan: int | None
    description: str | None


class OspfParams(KindParams):
    process_id: int | str  # a <placeholder> when the id given was unusable
    area: str  # as written for IOS
    area_dotted: str  # dotted-decimal, as EOS writes it
    interface: str | None
    network: str | None
    wildcard: str | None
    prefix: str | None
    cost: int | None
    point_to_point: bool
    passive: bool


class BgpNeighborParams(KindParams):
    local_as: int | str  # a <placeholder> when unusable
    neighbor: str
    remote_as: int | str
    description: str | None
    update_source: str | None
    password: str  # always BGP_MD5_PLACEHOLDER: keys come from the vault
    address_family: Literal["ipv4", "ipv6"]


class StaticRouteParams(KindParams):
    network: str
    netmask: str
    prefix: str
    next_hop: str | None
    exit_interface: str | None
    distance: int | None
    name: str | None


class QosPolicyParams(KindParams):
    policy_name: str
    shaper_name: str
    voice_pct: int | None
    video_pct: int | None
    business_pct: int | None
    default_pct: int
    shape_bps: int | None
    shape_kbps: int | None
    interface: str | None


def _prepare_access(p: dict[str, Any], notes: Notes) -> AccessPortParams:
    iface = check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.problem("no interface given for the access port")
    elif NOT_SWITCHPORT.match(iface):
        notes.problem(f"{iface} cannot be a switchport")
    vlan = check_vlan(p.get("vlan"), "access VLAN", notes)
    if p.get("vlan") is None:
        notes.problem("no access VLAN given (name it, or set the site's access_vlan in the inventory)")
    voice = check_vlan(p.get("voice_vlan"), "voice VLAN", notes)
    if voice is not None and voice == vlan:
        notes.problem(f"voice VLAN {voice} is the same as the access VLAN")
    if notes.os in ("nxos", "junos") and voice is not None:
        notes.problem(f"the {notes.os} access-port template has no voice VLAN (data-centre and ELS ports carry one VLAN untagged)")
    if notes.os == "eos" and voice is not None:
        notes.assume("EOS carries a voice VLAN with 'switchport mode trunk phone': data VLAN untagged (native), phone VLAN tagged")
    return AccessPortParams(
        interface=iface or "<interface>",
        vlan=vlan if vlan is not None else "<vlan>",
        voice_vlan=voice,
        description=clean_text(p["description"]) if p.get("description") else None,
        portfast=bool(p.get("portfast", True)),
        bpduguard=bool(p.get("bpduguard", True)),
    )


def _prepare_trunk(p: dict[str, Any], notes: Notes) -> TrunkParams:
    iface = check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.problem("no interface given for the trunk")
    elif NOT_SWITCHPORT.match(iface):
        notes.problem(f"{iface} cannot be a switchport")
    allowed = p.get("allowed_vlans")
    allowed_text: str | None = None
    if allowed is None or (isinstance(allowed, str) and allowed.strip().lower() == "all"):
        notes.assume("all VLANs are allowed on the trunk (device default); list them to prune")
    else:
        ranges, bad = parse_vlan_list(allowed)
        for item in bad:
            notes.problem(f"allowed VLAN {item!r} is not a VLAN id or range")
        for lo, hi in ranges:
            for vid in (lo, hi):
                if not 1 <= vid <= 4094:
                    notes.problem(f"allowed VLAN {vid} is outside 1-4094")
        allowed_text = format_vlan_list(ranges) if ranges else None
    native = check_vlan(p.get("native_vlan"), "native VLAN", notes)
    if native is None:
        notes.assume("native VLAN left at the default (1)")
    elif allowed_text is not None and not any(lo <= native <= hi for lo, hi in parse_vlan_list(allowed_text)[0]):
        notes.assume(f"native VLAN {native} is not in the allowed list: untagged traffic will be dropped")
    return TrunkParams(
        interface=iface or "<interface>",
        allowed_vlans=allowed_text,
        native_vlan=native,
        description=clean_text(p["description"]) if p.get("description") else None,
    )


def _prepare_ospf(p: dict[str, Any], notes: Notes) -> OspfParams:
    pid = as_int(p.get("process_id"), "OSPF process id", notes)
    if pid is not None and not 1 <= pid <= 65535:
        notes.problem(f"OSPF process id {pid} is outside 1-65535")
    area_ios, area_eos = ospf_area(p.get("area"), notes)
    iface = check_interface(p.get("interface"), "interface", notes)
    net = None
    if p.get("network") is not None:
        raw = str(p["network"]).strip()
        parts = raw.split()
        if len(parts) == 2:  # "10.0.1.0 0.0.0.1" (wildcard) or "10.0.1.0 255.255.255.254"
            mask = parts[1]
            if not is_netmask(mask) or mask == "0.0.0.0":  # a wildcard, as IOS writes it
                try:
                    mask = str(ipaddress.IPv4Address(~int(ipaddress.IPv4Address(mask)) & 0xFFFFFFFF))
                except ValueError:
                    pass
            net = check_prefix(parts[0], mask, "OSPF network", notes)
        else:
            net = check_prefix(raw, None, "OSPF network", notes)
    if iface is None and p.get("network") is None:
        notes.problem("no interface or network given for OSPF")
    cost = as_int(p.get("cost"), "OSPF cost", notes)
    if cost is not None and not 1 <= cost <= 65535:
        notes.problem(f"OSPF cost {cost} is outside 1-65535")
    p2p = bool(p.get("point_to_point"))
    if iface and not p2p:
        notes.assume("OSPF network type left at the default (broadcast); /31 links are usually point-to-point: say so to add it")
    if iface:
        notes.assume(f"{iface} must already be a routed interface with an IP address; only OSPF is added")
    notes.assume("OSPF message-digest authentication is not included: add the key from the vault")
    return OspfParams(
        process_id=pid if pid is not None else "<process-id>",
        area=area_ios,
        area_dotted=area_eos,
        interface=iface,
        network=str(net.network_address) if net else None,
        wildcard=str(net.hostmask) if net else None,
        prefix=str(net) if net else None,
        cost=cost,
        point_to_point=p2p,
        passive=bool(p.get("passive")),
    )


def _prepare_bgp(p: dict[str, Any], notes: Notes) -> BgpNeighborParams:
    neighbor = check_ip(p.get("neighbor"), "neighbour", notes)
    if p.get("neighbor") is None:
        notes.problem("no neighbour IP address given")
    local_as = check_asn(p.get("local_as"), "local AS", notes)
    if p.get("local_as") is None:
        notes.problem("no local AS given (name it, or set the device's asn in the inventory)")
    remote_as = check_asn(p.get("remote_as"), "remote AS", notes)
    if p.get("remote_as") is None:
        notes.problem("no remote AS given for the neighbour")
    usrc = check_interface(p.get("update_source"), "update-source", notes)
    if local_as is not None and remote_as is not None:
        if local_as == remote_as and usrc is None:
            notes.assume("iBGP peer without update-source: the session uses the outgoing interface address (iBGP usually peers between loopbacks)")
        if local_as != remote_as:
            notes.assume("eBGP peer: no route-maps or prefix-lists are applied; add inbound/outbound policy before production")
    notes.assume(f"MD5 key not generated: replace {BGP_MD5_PLACEHOLDER} with the key from the vault")
    if p.get("secret_ignored"):
        notes.assume("a key typed in the request was ignored: keys come from the vault, never from chat")
    if notes.os == "eos":
        notes.assume("EOS activates IPv4 unicast for the neighbour by default (no address-family block)")
    return BgpNeighborParams(
        local_as=local_as if local_as is not None else "<local-as>",
        neighbor=str(neighbor) if neighbor else (clean_text(p["neighbor"], 45) if p.get("neighbor") else "<neighbor-ip>"),
        remote_as=remote_as if remote_as is not None else "<remote-as>",
        description=clean_text(p["description"], 80) if p.get("description") else None,
        update_source=usrc,
        password=BGP_MD5_PLACEHOLDER,
        address_family="ipv6" if neighbor is not None and neighbor.version == 6 else "ipv4",
    )


def _prepare_static(p: dict[str, Any], notes: Notes) -> StaticRouteParams:
    net = None
    if p.get("prefix") is None:
        notes.problem("no destination prefix given")
    else:
        net = check_prefix(p["prefix"], p.get("mask"), "destination", notes)
    nh = check_ip(p.get("next_hop"), "next hop", notes)
    exit_if = check_interface(p.get("exit_interface"), "exit interface", notes)
    if p.get("next_hop") is None and exit_if is None:
        notes.problem("static route has no next hop or exit interface")
    if net is not None and nh is not None:
        if nh.version != net.version:
            notes.problem(f"next hop {nh} and destination {net} are different IP versions")
        elif net.prefixlen > 0 and nh in net:
            notes.problem(f"next hop {nh} is inside the destination prefix {net}: the route would resolve through itself")
    if exit_if and nh is None and exit_if != "Null0" and not exit_if.startswith(("Tunnel", "Serial")):
        notes.assume(f"route out of {exit_if} without a next hop relies on proxy-ARP; add a next hop on Ethernet links")
    dist = as_int(p.get("distance"), "administrative distance", notes)
    if dist is not None and not 1 <= dist <= 255:
        notes.problem(f"administrative distance {dist} is outside 1-255")
    name = re.sub(r"[^\w.-]+", "_", clean_text(p["name"], 40)) if p.get("name") else None
    if net is not None:
        network, netmask, cidr = str(net.network_address), str(net.netmask), str(net)
    else:
        network, netmask, cidr = display_prefix(p.get("prefix"), p.get("mask"))
    next_hop = str(nh) if nh else (clean_text(p["next_hop"], 45) if p.get("next_hop") is not None else None)
    if next_hop is None and exit_if is None:
        next_hop = "<next-hop>"
    return StaticRouteParams(
        network=network,
        netmask=netmask,
        prefix=cidr,
        next_hop=next_hop,
        exit_interface=exit_if,
        distance=dist,
        name=name,
    )


def _prepare_qos(p: dict[str, Any], notes: Notes) -> QosPolicyParams:
    voice = percent(p.get("voice_pct"), "voice share", notes)
    video = percent(p.get("video_pct"), "video share", notes)
    business = percent(p.get("business_pct"), "business share", notes)
    total = sum(v for v in (voice, video, business) if v)
    if total > 100:
        notes.problem(f"class percentages sum to {total}% (over 100%)")
    else:
        queueing = {"ios": "fair-queue", "iosxr": "WRED, random-detect default", "nxos": "q-default, bandwidth remaining",
                    "junos": "best-effort scheduler"}.get(notes.os, "round-robin on tx-queue 0")
        notes.assume(f"class-default gets the remaining {100 - total}% ({queueing})")
    if voice and voice > 33:
        notes.assume(f"voice priority queue is {voice}%: more than a third of the link in strict priority can starve other classes")
    rate = p.get("shape_mbps") if p.get("shape_mbps") is not None else p.get("bandwidth_mbps")
    shape_bps = None
    if rate is not None:
        try:
            mbps = float(rate)
        except (TypeError, ValueError):
            notes.problem(f"rate {rate!r} is not a number of Mbps")
            mbps = 0.0
        if mbps <= 0:
            notes.problem(f"shape rate {rate} Mbps must be positive")
        else:
            shape_bps = int(round(mbps * 1_000_000))
            if p.get("shape_mbps") is None:
                notes.assume(f"shaped to the line rate, {rate} Mbps, so queuing happens here and not in the provider's network")
    else:
        notes.assume("no line rate given: no shaper; on a sub-rate circuit give the rate so the policy can queue")
    policy = _named(p.get("policy_name"), "policy name", "qos_policy", notes)
    if shape_bps is not None and notes.os in ("ios", "iosxr"):  # only the MQC policies nest in a named shaper
        shaper = _named(p.get("shaper_name"), "shaper name", "qos_shaper", notes)
    else:
        shaper = policy_name(p["shaper_name"], "shaper name", notes) if p.get("shaper_name") is not None else "<shaper-name>"
    iface = check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.assume("no interface given: the policy is defined but not attached to any interface")
    if notes.os == "nxos":
        notes.assume("NX-OS: DSCP is classified into qos-groups on input (voice 5, video 4, business 3) and queued on "
                     "output in c-out-8q-q5 (strict priority, not capped: police voice at the edge), q4, q3 and q-default; "
                     "no per-interface shaper in the template")
    elif notes.os == "junos":
        notes.assume("Junos: voice is expedited-forwarding (strict-high, its transmit-rate the share), video and business "
                     "share assured-forwarding, the rest best-effort; the classifier goes on unit 0 of the interface")
    if notes.os == "eos":
        notes.assume(
            "EOS has no MQC hierarchical shaping: classification is 'qos map dscp ... to traffic-class', queuing a "
            "'qos profile' with tx-queues (TC5 voice strict priority capped by shape rate, TC4 video, TC3 business, "
            "TC0 default) applied with 'service-profile'; EOS shape rate is in kbps; check tx-queue behaviour on the platform"
        )
    elif shape_bps is not None and notes.os in ("ios", "iosxr"):
        notes.assume(f"parent policy {shaper} shapes class-default and nests {policy}; the interface gets {shaper}")
    return QosPolicyParams(
        policy_name=policy,
        shaper_name=shaper,
        voice_pct=voice,
        video_pct=video,
        business_pct=business,
        default_pct=max(0, 100 - total),
        shape_bps=shape_bps,
        shape_kbps=shape_bps // 1000 if shape_bps else None,
        interface=iface,
    )


def _named(value: Any, label: str, site_key: str, notes: Notes) -> str:
    """A policy name as given, or a placeholder and a problem when neither the text nor the site names one."""
    if value is None:
        notes.problem(f"no {label} given (name it, or set the site's {site_key} in the inventory)")
        return f"<{label.replace(' ', '-')}>"
    return policy_name(value, label, notes)


PREPARE: dict[str, Callable[[dict[str, Any], Notes], KindParams]] = {
    "access_port": _prepare_access,
    "trunk": _prepare_trunk,
    "ospf": _prepare_ospf,
    "bgp_neighbor": _prepare_bgp,
    "static_route": _prepare_static,
    "qos_policy": _prepare_qos,
}

