"""Parameters of each change kind, read from the engineer's words.

Each extractor fills `params` with what the text states and `missing` with what a change of
its kind needs but the text did not say; a default may stand in (rendering says so), a silent
guess may not. Descriptions and typed-in secrets are blanked out first (`MaskedText`) so that
"description to core-sw-01" never becomes a route's destination or a device.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from agents.specialists.config_templates.kinds import DEFAULT_OSPF_AREA, DEFAULT_OSPF_PROCESS, TemplateKind
from agents.specialists.config_templates.values import (
    NOT_SWITCHPORT,
    VLAN_LIST,
    asn_value,
    format_vlan_list,
    interfaces_in,
    is_netmask,
    parse_vlan_list,
)

IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_ASN = r"\d+(?:\.\d+)?(?![\d.])"  # asplain or asdot, never the start of an IP address

_SECRET_RX = re.compile(
    r"\b(password|passwd|secret|key-string|(?:md5|auth(?:entication)?)[-\s]+key|md5)\s+"
    r"(?:(?:is|of|=|:)\s*)?(?:[0-7]\s+)?(?!<)"
    r"(?!(?:auth\w*|key|password|from|with|and|the|on|for|via|in|to|set|vault)\b)(\S+)",
    re.IGNORECASE,
)
_DESCRIPTION_RX = re.compile(
    r"\b(?:description|descr?|described as|labell?ed|label)\s*(?:of\s+|is\s+|=\s*|:\s*|as\s+)?"
    r"(?P<val>\"[^\"]*\"|'[^']*'|.+?)"
    r"(?=\s*(?:[,;\n]|$|\s+(?:update[-\s]?source|remote[-\s]?as|password|md5|secret|key|on|at|for|via|with|"
    r"and|using|area|cost|vlans?|voice|native|allow\w*|in|to|name|distance|as\s+an?)\b))",
    re.IGNORECASE,
)


@dataclass
class MaskedText:
    """The request with descriptions and secrets blanked out, so later regexes cannot see them.

    Blanking (same length, spaces) keeps positions stable; a description like "to core-sw-01"
    must not become the route's destination or the target device.
    """

    original: str
    masked: str
    description: str | None = None
    secret_given: bool = False

    @classmethod
    def parse(cls, text: str) -> MaskedText:
        masked = text
        secret_given = False
        for m in _SECRET_RX.finditer(text):
            secret_given = True
            masked = masked[: m.start(2)] + " " * (m.end(2) - m.start(2)) + masked[m.end(2):]
        description = None
        d = _DESCRIPTION_RX.search(masked)
        if d:
            value = d.group("val").strip().strip("\"'").strip()
            if value:
                description = value
            masked = masked[: d.start()] + " " * (d.end() - d.start()) + masked[d.end():]
        return cls(original=text, masked=masked, description=description, secret_given=secret_given)


def _overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int] | None]) -> bool:
    return any(s is not None and span[0] < s[1] and s[0] < span[1] for s in spans)


def _main_interface(t: MaskedText, exclude: Iterable[tuple[int, int] | None] = (), switchport: bool = False) -> str | None:
    for name, start, end in interfaces_in(t.masked):
        if _overlaps((start, end), exclude):
            continue
        if switchport and NOT_SWITCHPORT.match(name):
            continue  # "vlan110" in an access-port request is the VLAN, not an SVI
        return name
    return None


def _require(params: dict[str, Any], missing: list[str], key: str, default: Any = None) -> None:
    """Record a required parameter that the text did not give, filling the default if any."""
    if params.get(key) is None:
        missing.append(key)
        if default is not None:
            params[key] = default


def _extract_access(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    voice, vspan = None, None
    m = re.search(r"voice\s*vlan\s*(?:id\s*)?(\d+)|vlan\s*(\d+)\s*(?:for|as)\s*(?:the\s+)?(?:voice|phones?)", s, re.I)
    if m:
        voice, vspan = int(m.group(1) or m.group(2)), m.span()
    iface = _main_interface(t, switchport=True)
    if iface:
        params["interface"] = iface
    for m in re.finditer(r"vlan\s*(\d+)", s, re.IGNORECASE):
        if not _overlaps(m.span(), [vspan]):
            params["vlan"] = int(m.group(1))
            break
    if voice is not None:
        params["voice_vlan"] = voice
    if t.description:
        params["description"] = t.description
    if re.search(r"\bno\s+portfast\b|\bwithout\s+portfast\b", s, re.I):
        params["portfast"] = False
    if re.search(r"\bno\s+bpdu\s?guard\b|\bwithout\s+bpdu\s?guard\b", s, re.I):
        params["bpduguard"] = False
    _require(params, missing, "interface")
    _require(params, missing, "vlan")  # the site's access VLAN may stand in (detection, rendering)


def _extract_trunk(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    native, nspan = None, None
    m = re.search(r"native\s*vlan\s*(?:id\s*)?(\d+)|vlan\s*(\d+)\s*(?:as\s+)?(?:the\s+)?native|native\s+(\d+)", s, re.I)
    if m:
        native, nspan = int(next(g for g in m.groups() if g)), m.span()
    iface = _main_interface(t, switchport=True)
    if iface:
        params["interface"] = iface
    if re.search(r"\ball\s+vlans\b|\bvlans?\s+all\b|\ballow\w*\s+all\b", s, re.I):
        params["allowed_vlans"] = "all"
    else:
        rx = re.compile(r"(?:allow\w*|permit\w*|carry\w*|with|for|vlans?)\s+(?:only\s+)?(?:vlans?\s*)?(" + VLAN_LIST + r")", re.I)
        for m in rx.finditer(s):
            if _overlaps(m.span(1), [nspan]):
                continue
            ranges, _bad = parse_vlan_list(m.group(1))
            if ranges:
                params["allowed_vlans"] = format_vlan_list(ranges)
                break
    if native is not None:
        params["native_vlan"] = native
    if t.description:
        params["description"] = t.description
    _require(params, missing, "interface")


def _extract_ospf(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    m = re.search(r"\bospf\s+(?:process\s+(?:id\s+)?)?(\d+)(?![\d./])|\bprocess(?:[-\s]id)?\s+(\d+)", s, re.I)
    if m:
        params["process_id"] = int(m.group(1) or m.group(2))
    m = re.search(r"\barea\s+(" + IP + r"|\d+)\b", s, re.I)
    if m:
        params["area"] = m.group(1)
    m = re.search(r"\bnetwork\s+(" + IP + r")(?:\s*/\s*(\d{1,2})|\s+(" + IP + r"))?", s, re.I)
    if m is None:
        m = re.search(r"(" + IP + r")\s*/\s*(\d{1,2})()", s)
    if m:
        addr, plen, mask = m.group(1), m.group(2), m.group(3)
        params["network"] = f"{addr}/{plen}" if plen else (f"{addr} {mask}" if mask else addr)
    m = re.search(r"\bcost\s+(?:of\s+)?(\d+)", s, re.I)
    if m:
        params["cost"] = int(m.group(1))
    if re.search(r"point[-\s]?to[-\s]?point|\bp2p\b|\bptp\b", s, re.I):
        params["point_to_point"] = True
    if re.search(r"\bpassive\b", s, re.I):
        params["passive"] = True
    iface = _main_interface(t)
    if iface:
        params["interface"] = iface
    if "interface" not in params and "network" not in params:
        missing.append("interface")
    _require(params, missing, "process_id", DEFAULT_OSPF_PROCESS)
    _require(params, missing, "area", DEFAULT_OSPF_AREA)


def _extract_bgp(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    m = re.search(r"(?:router\s+bgp|local[-\s]?asn?|our\s+asn?|\bfrom\s+as|\bbgp\s+as|\bbgp)\s*(" + _ASN + ")", s, re.I)
    lspan = None
    if m:
        params["local_as"] = asn_value(m.group(1))
        lspan = m.span()
    m = re.search(r"(?:remote[-\s]?asn?|peer[-\s]?asn?|\b(?:in|with|neighbou?r|peer)\s+asn?)\s*(" + _ASN + ")", s, re.I)
    if m and not _overlaps(m.span(), [lspan]):
        params["remote_as"] = asn_value(m.group(1))
    usrc = None
    m = re.search(r"update[-\s]?source\s+(?:interface\s+)?(\S+)", s, re.I)
    if m:
        found = interfaces_in(m.group(1))
        if found:
            params["update_source"] = found[0][0]
            usrc = m.span()
    m = re.search(r"(?:neighbou?r|peer(?:ing)?(?:\s+(?:with|at|ip))?|session\s+(?:to|with))\s+(" + IP + r")", s, re.I)
    if m is None:
        m = re.search(r"(" + IP + r")", s)
    if m and not _overlaps(m.span(1), [usrc]):
        params["neighbor"] = m.group(1)
    if t.description:
        params["description"] = t.description
    if t.secret_given:
        params["secret_ignored"] = True
    _require(params, missing, "neighbor")
    _require(params, missing, "remote_as")
    _require(params, missing, "local_as")  # the device's AS may stand in (detection, rendering)


def _extract_static(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    used: list[tuple[int, int]] = []
    if re.search(r"\bdefault\s+route\b|\bdefault\s+gateway\b|\bgateway\s+of\s+last\s+resort\b", s, re.I):
        params["prefix"] = "0.0.0.0/0"
    m = re.search(r"(" + IP + r")\s*/\s*(\d{1,3})\b", s)
    if m and "prefix" not in params:
        params["prefix"] = f"{m.group(1)}/{m.group(2)}"
        used.append(m.span())
    if "prefix" not in params:
        m = re.search(r"(" + IP + r")\s+(?:mask\s+|netmask\s+)?(" + IP + r")", s, re.I)
        if m and (is_netmask(m.group(2)) or re.search(r"mask", m.group(0), re.I) or m.group(2).startswith("255.")):
            params["prefix"] = m.group(1)
            params["mask"] = m.group(2)
            used.append(m.span())
    if "prefix" not in params:
        m = re.search(r"(?:route\s+(?:to|for)|destination|prefix|network|subnet)\s+(" + IP + r")", s, re.I)
        if m:
            params["prefix"] = m.group(1)  # no length: render_config reports it
            used.append(m.span(1))
    m = re.search(r"(?:via|next[-\s]?hop(?:\s+(?:is|of|at))?|gateway|\bgw|through|towards?|pointing\s+(?:to|at))\s+(" + IP + r")", s, re.I)
    if m and not _overlaps(m.span(1), used):
        params["next_hop"] = m.group(1)
        used.append(m.span(1))
    if "next_hop" not in params:
        for m in re.finditer(IP, s):
            if not _overlaps(m.span(), used):
                params["next_hop"] = m.group(0)
                used.append(m.span())
                break
    for name, start, _end in interfaces_in(s):
        before = s[max(0, start - 25):start].lower()
        if re.search(r"(?:via|out(?:\s+of)?|exit(?:[-\s]interface)?|through|interface|to|from|egress)\s*$", before) or name == "Null0":
            params["exit_interface"] = name
            break
    if re.search(r"\bnull\s?0\b|\bblackhole\b|\bdiscard\b", s, re.I):
        params["exit_interface"] = "Null0"
    m = re.search(r"(?:admin(?:istrative)?[-\s]+distance|\bdistance|\bAD|\bmetric)\s*(?:of\s+)?(\d+)", s, re.I)
    if m is None:
        m = re.search(r"\bip\s+route\s+" + IP + r"(?:\s*/\d+|\s+" + IP + r")\s+(?:\S+\s+)?" + IP + r"\s+(\d{1,3})\b", s, re.I)
    if m:
        params["distance"] = int(m.group(1))
    m = re.search(r"\b(?:name|named|tag(?:ged)?\s+as)\s+([A-Za-z][\w.-]*)", s, re.I)
    if m:
        params["name"] = m.group(1)
    elif t.description:
        params["name"] = re.sub(r"[^\w.-]+", "_", t.description)[:40]
    _require(params, missing, "prefix")
    if params.get("next_hop") is None and params.get("exit_interface") is None:
        missing.append("next_hop")


_RATE = r"(\d+(?:\.\d+)?)\s*(gbps|gbit/s|gbits?|gig|g|mbps|mbit/s|mbits?|mb/s|meg|m|kbps|kbit/s|kbits?|k)\b"
_CLASS_WORDS = {
    "voice": r"voice|voip|telephony|ef|priority",
    "video": r"video|vc|conferencing",
    "business": r"business(?:[-\s]critical)?|critical|transactional|af31|af21",
}


def _rate_mbps(number: str, unit: str) -> float:
    value = float(number)
    u = unit.lower()
    if u.startswith("g"):
        value *= 1000
    elif u.startswith("k"):
        value /= 1000
    return int(value) if value == int(value) else value


def _extract_qos(t: MaskedText, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    shape_span = None
    m = re.search(r"shap\w*\s+(?:\w+\s+){0,2}?" + _RATE, s, re.I)
    if m:
        params["shape_mbps"] = _rate_mbps(m.group(1), m.group(2))
        shape_span = m.span()
    for m in re.finditer(_RATE, s, re.I):
        if not _overlaps(m.span(), [shape_span]):
            params["bandwidth_mbps"] = _rate_mbps(m.group(1), m.group(2))
            break
    for cls, words in _CLASS_WORDS.items():
        m = re.search(r"\b(?:" + words + r")\b\s*(?:traffic|class|queue)?\s*(?:at|=|:|gets?|with|to|of)?\s*"
                      r"(\d+(?:\.\d+)?)\s*(?:%|percent|pct)", s, re.I)
        if m is None:
            m = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|pct)\s*(?:for|to)?\s*(?:the\s+)?(?:" + words + r")\b", s, re.I)
        if m:
            value = float(m.group(1))
            params[f"{cls}_pct"] = int(value) if value == int(value) else value
    m = re.search(r"(?:policy-map|policy\s+(?:named|called)|named|called)\s+([A-Za-z][\w.-]*)", s, re.I)
    if m:
        params["policy_name"] = m.group(1)
    iface = _main_interface(t)
    if iface:
        params["interface"] = iface
    if params.get("bandwidth_mbps") is None and params.get("shape_mbps") is None:
        missing.append("bandwidth_mbps")


EXTRACTORS: dict[TemplateKind, Callable[[MaskedText, dict[str, Any], list[str]], None]] = {
    "access_port": _extract_access,
    "trunk": _extract_trunk,
    "ospf": _extract_ospf,
    "bgp_neighbor": _extract_bgp,
    "static_route": _extract_static,
    "qos_policy": _extract_qos,
}
