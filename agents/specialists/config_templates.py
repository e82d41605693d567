"""Turn a NOC engineer's request into device configuration, from Jinja2 templates.

Two steps, kept apart so each can be checked on its own:

* `detect_template` reads free text ("make Te1/1/1 a trunk allowing vlans 110,120,99") and says
  which of six change kinds it is and which parameters were stated. Regexes, not a language
  model: the result must be predictable, and what was *not* said is as important as what was
  (`missing`), because a default silently standing in for a forgotten value is how outages start.
* `render_config` fills the IOS-XE or EOS template, then validates what it produced: parameter
  sanity (VLAN ranges, addresses, masks, AS numbers, percentages, interface names the device
  really has) and structure (hier_config must see every indented line under a parent). Problems
  are reported, never "fixed" behind the engineer's back; every default is said in plain words.

Secrets are never generated: a BGP session gets `neighbor X password <bgp-md5-key>`, a literal
placeholder to be replaced from the vault, and any key typed into the chat is ignored.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2
from hier_config import Platform, get_hconfig
from napalm.base.helpers import canonical_interface_name
from pydantic import BaseModel, Field

TemplateKind = Literal["access_port", "trunk", "ospf", "bgp_neighbor", "static_route", "qos_policy"]
TEMPLATE_KINDS: tuple[str, ...] = get_args(TemplateKind)
SUPPORTED_OS: tuple[str, ...] = ("ios", "eos")

TEMPLATE_DIR = Path(__file__).parent / "templates"
BGP_MD5_PLACEHOLDER = "<bgp-md5-key>"
DEFAULT_LOCAL_AS = 65000  # edge-rtr-01 and the cores (TOPOLOGY.md)
LAB_LOCAL_AS = {"branch-rtr-01": 65101}  # the one lab device that is not in AS 65000
DEFAULT_ACCESS_VLAN = 110  # lab users VLAN
DEFAULT_OSPF_PROCESS = 1
DEFAULT_OSPF_AREA = "0"
DEFAULT_QOS_POLICY = "WAN-EDGE-QOS"  # the lab's policy-map name
DEFAULT_SHAPER_POLICY = "WAN-SHAPE"
DEFAULT_VOICE_PCT = 20
DEFAULT_BUSINESS_PCT = 30
MAX_DESCRIPTION = 200

_OS_ALIASES = {
    "ios": "ios", "iosxe": "ios", "ios-xe": "ios", "ios_xe": "ios", "cisco_ios": "ios", "cisco_xe": "ios",
    "eos": "eos", "arista_eos": "eos", "arista": "eos",
}
_PLATFORM = {"ios": Platform.CISCO_IOS, "eos": Platform.ARISTA_EOS}


class TemplateRequest(BaseModel):
    """What was understood from the text: the change kind and the parameters found in it."""

    kind: TemplateKind
    params: dict[str, Any] = Field(default_factory=dict)
    # Required parameters not found in the text; where a sensible default exists it is already in
    # `params`, and render_config says so in its assumptions.
    missing: list[str] = Field(default_factory=list)


class GeneratedConfig(BaseModel):
    """Rendered configuration plus everything an engineer must know before pasting it."""

    kind: TemplateKind
    os: str  # "ios" or "eos"
    device: str | None = None
    lines: list[str] = Field(default_factory=list)  # ready to paste, indented as on the device
    params: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)  # empty = valid
    assumptions: list[str] = Field(default_factory=list)  # defaults filled in, said plainly

    @property
    def valid(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------
# Interface names
# --------------------------------------------------------------------------------------------

# Full names may be followed by a space ("Ethernet 7"); abbreviations may not, or "vlan 110"
# would become interface Vlan110 and "lo 0" noise would match.
_IFACE_FULL = (
    "HundredGigabitEthernet", "HundredGigE", "FortyGigabitEthernet", "TwentyFiveGigabitEthernet",
    "TwentyFiveGigE", "TenGigabitEthernet", "FiveGigabitEthernet", "TwoGigabitEthernet",
    "GigabitEthernet", "FastEthernet", "Ethernet", "Port-Channel", "Loopback", "Management",
    "Tunnel", "Serial", "Null",
)
_IFACE_ABBR = (
    "Hu", "Fo", "Twe", "Tw", "Ten", "Te", "Gig", "Gi", "Fa", "Eth", "Et", "Po", "Lo", "Mgmt", "Ma",
    "Tu", "Se", "Vlan", "Vl",
)
_PREFIX_SPELLING = {p.lower(): p for p in (*_IFACE_FULL, *_IFACE_ABBR)}
_PREFIX_SPELLING["port-channel"] = "Port-channel"
_IFACE_RX = re.compile(
    r"(?<![\w-])(?:(?P<full>" + "|".join(_IFACE_FULL) + r")\s?|(?P<abbr>" + "|".join(_IFACE_ABBR) + r"))"
    r"(?P<num>\d+(?:/\d+){0,3}(?:\.\d+)?)(?![\w/])",
    re.IGNORECASE,
)
_IOS_ONLY_NAMES = re.compile(
    r"^(?:GigabitEthernet|TenGigabitEthernet|TwoGigabitEthernet|FiveGigabitEthernet|TwentyFiveGigE|"
    r"FortyGigabitEthernet|HundredGigE|FastEthernet|Serial)",
)
_NOT_SWITCHPORT = re.compile(r"^(?:Loopback|Vlan|Tunnel|Null|Management|Serial)", re.IGNORECASE)


def normalise_interface(name: str, os: str | None = None) -> str:
    """Canonical, device-spelled interface name: `Gi1/0/5` -> `GigabitEthernet1/0/5`.

    napalm's helper does the expansion; the OS fix-ups are the spellings it gets wrong for us
    (`VLAN99` is `Vlan99` on both OSes, EOS writes `Port-Channel`, IOS `Port-channel`).
    """
    raw = re.sub(r"\s+", "", name.strip())
    m = re.match(r"([A-Za-z-]+)(.*)$", raw)
    if m and m.group(1).lower() in _PREFIX_SPELLING:
        raw = _PREFIX_SPELLING[m.group(1).lower()] + m.group(2)
    canon = canonical_interface_name(raw)
    canon = re.sub(r"^VLAN", "Vlan", canon)
    if os == "eos":
        canon = canon.replace("Port-channel", "Port-Channel")
    elif os == "ios":
        canon = canon.replace("Port-Channel", "Port-channel")
    return canon


def _interfaces_in(text: str) -> list[tuple[str, int, int]]:
    """Every interface mentioned, normalised, with its span (to tell roles apart by position)."""
    found = []
    for m in _IFACE_RX.finditer(text):
        prefix = m.group("full") or m.group("abbr")
        found.append((normalise_interface(prefix + m.group("num")), m.start(), m.end()))
    return found


# --------------------------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------------------------

_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_ASN = r"\d+(?:\.\d+)?(?![\d.])"  # asplain or asdot, never the start of an IP address
# Strong verbs ask for configuration even inside a question ("how do I add a trunk?"); weak
# ones ("new", "please") only count when the text is not a question about state ("why did the
# new bgp neighbour go down?").
_STRONG_VERB = re.compile(
    r"\b(?:configure|add|adding|create|set ?up|build|generate|provision|deploy|give me|write|template|"
    r"assign|attach|convert|define|how (?:do|would|can|should) i|how to)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"^\s*(?:why|what|what's|whats|is|are|was|were|does|do|did|has|have|how|when|where|which|who|"
    r"show|check|list|display|verify|validate|compare|diff)\b",
    re.IGNORECASE,
)
_TROUBLE = re.compile(
    r"\b(?:down|flap\w*|not working|broken|fail\w*|stuck|errors?|slow|outage|status|health\w*|"
    r"anywhere|missing)\b",
    re.IGNORECASE,
)
_KIND_RX: list[tuple[TemplateKind, re.Pattern[str]]] = [
    # "bgp ... neighbour" in either order. From the start only, taking the first of the two words
    # atomically: `A.*B` tried from every A rescans the text each time (quadratic on "bgp bgp ...").
    ("bgp_neighbor", re.compile(r"\A(?>.*?\b(?:bgp|ebgp|ibgp)\b).*\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b|"
                                r"\A(?>.*?\b(?:neighbou?r|peer\w*|remote[-\s]?as)\b).*\b(?:bgp|ebgp|ibgp)\b|"
                                r"\bremote[-\s]?as\s*\d", re.IGNORECASE | re.DOTALL)),
    ("static_route", re.compile(r"\bstatic\s+route|\bip\s+route\b|\bdefault\s+route\b|\broute\s+(?:to|for)\s+"
                                + _IP + r"|\bnull\s?0\s+route|\bblackhole\b", re.IGNORECASE)),
    ("ospf", re.compile(r"\bospf\b", re.IGNORECASE)),
    ("qos_policy", re.compile(r"\bqos\b|\bquality of service\b|\bpolicy-map\b|\bservice-policy\b|"
                              r"\bshap(?:e|er|ing)\b|\bllq\b|\bpriority queu", re.IGNORECASE)),
    ("trunk", re.compile(r"\btrunk(?:ing)?\b|\bdot1q\b|\b802\.1q\b", re.IGNORECASE)),
    ("access_port", re.compile(r"\baccess[-\s]?(?:port|vlan|mode)\b|\bswitchport access\b|\bmode access\b|"
                               r"\bvoice\s+vlan\b|\bedge port\b|\buser port\b|\bphone port\b|"
                               r"\b(?:in|into|to|on)\s+vlan\s*\d+|\bas an? access\b", re.IGNORECASE)),
]
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
_DEVICE_RX = re.compile(r"(?<![\w.-])([a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+)(?![\w.-])", re.IGNORECASE)
_NOT_DEVICE = re.compile(r"^(?:vlan|area|as|af|cs|ospf|bgp|port|gi|te|et|eth|po|lo|vl|rfc)\b", re.IGNORECASE)


@dataclass
class _Text:
    """The request with descriptions and secrets blanked out, so later regexes cannot see them.

    Blanking (same length, spaces) keeps positions stable; a description like "to core-sw-01"
    must not become the route's destination or the target device.
    """

    original: str
    masked: str
    description: str | None = None
    secret_given: bool = False

    @classmethod
    def parse(cls, text: str) -> _Text:
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


def _wants_config(text: str) -> bool:
    """A question about state ("why is bgp down?") is not a request for configuration."""
    if _STRONG_VERB.search(text):
        return True
    return not (_QUESTION.search(text) or text.rstrip().endswith("?") or _TROUBLE.search(text))


def _detect_kind(text: str) -> TemplateKind | None:
    for kind, rx in _KIND_RX:
        if rx.search(text):
            return kind
    return None


def detect_template(text: str) -> TemplateRequest | None:
    """Recognise one of the six change kinds in free text and extract its parameters.

    Returns None when the text asks for none of them, or asks a question about network state
    rather than for configuration: the config specialist then shows or validates instead.
    """
    if not text or not text.strip():
        return None
    t = _Text.parse(text)
    if not _wants_config(t.masked):
        return None
    kind = _detect_kind(t.masked)
    if kind is None:
        return None
    params: dict[str, Any] = {}
    missing: list[str] = []
    devices = [d.group(1) for d in _DEVICE_RX.finditer(t.masked) if not _NOT_DEVICE.match(d.group(1))]
    if devices:
        params["device"] = devices[0].lower()
    _EXTRACTORS[kind](t, params, missing)
    return TemplateRequest(kind=kind, params=params, missing=missing)


def _overlaps(span: tuple[int, int], spans: Iterable[tuple[int, int] | None]) -> bool:
    return any(s is not None and span[0] < s[1] and s[0] < span[1] for s in spans)


def _main_interface(t: _Text, exclude: Iterable[tuple[int, int] | None] = (), switchport: bool = False) -> str | None:
    for name, start, end in _interfaces_in(t.masked):
        if _overlaps((start, end), exclude):
            continue
        if switchport and _NOT_SWITCHPORT.match(name):
            continue  # "vlan110" in an access-port request is the VLAN, not an SVI
        return name
    return None


def _require(params: dict[str, Any], missing: list[str], key: str, default: Any = None) -> None:
    """Record a required parameter that the text did not give, filling the default if any."""
    if params.get(key) is None:
        missing.append(key)
        if default is not None:
            params[key] = default


def _extract_access(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
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
    _require(params, missing, "vlan", DEFAULT_ACCESS_VLAN)


_VLAN_ITEM = r"\d+(?:\s*(?:-|to)\s*\d+)?"
_VLAN_LIST = _VLAN_ITEM + r"(?:(?:\s*(?:,|&|\band\b)\s*|\s+)" + _VLAN_ITEM + r")*"


def parse_vlan_list(value: str | Iterable[int | str]) -> tuple[list[tuple[int, int]], list[str]]:
    """`"110,120,99"` / `"100-200"` / `[99, 110]` -> sorted ranges plus the unparseable bits."""
    if isinstance(value, str):
        joined = re.sub(r"\s*(?:-|\bto\b)\s*", "-", value.strip())
        items = [p for p in re.split(r"\s*(?:,|&|\band\b)\s*|\s+", joined) if p]
    else:
        items = [str(v) for v in value]
    ranges: list[tuple[int, int]] = []
    bad: list[str] = []
    for item in items:
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", item)
        if not m:
            bad.append(item)
            continue
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            bad.append(item)
            continue
        ranges.append((lo, hi))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return merged, bad


def format_vlan_list(ranges: list[tuple[int, int]]) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


def _extract_trunk(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
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
        rx = re.compile(r"(?:allow\w*|permit\w*|carry\w*|with|for|vlans?)\s+(?:only\s+)?(?:vlans?\s*)?(" + _VLAN_LIST + r")", re.I)
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


def _extract_ospf(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    m = re.search(r"\bospf\s+(?:process\s+(?:id\s+)?)?(\d+)(?![\d./])|\bprocess(?:[-\s]id)?\s+(\d+)", s, re.I)
    if m:
        params["process_id"] = int(m.group(1) or m.group(2))
    m = re.search(r"\barea\s+(" + _IP + r"|\d+)\b", s, re.I)
    if m:
        params["area"] = m.group(1)
    m = re.search(r"\bnetwork\s+(" + _IP + r")(?:\s*/\s*(\d{1,2})|\s+(" + _IP + r"))?", s, re.I)
    if m is None:
        m = re.search(r"(" + _IP + r")\s*/\s*(\d{1,2})()", s)
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


def _extract_bgp(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    m = re.search(r"(?:router\s+bgp|local[-\s]?asn?|our\s+asn?|\bfrom\s+as|\bbgp\s+as|\bbgp)\s*(" + _ASN + ")", s, re.I)
    lspan = None
    if m:
        params["local_as"] = _asn_value(m.group(1))
        lspan = m.span()
    m = re.search(r"(?:remote[-\s]?asn?|peer[-\s]?asn?|\b(?:in|with|neighbou?r|peer)\s+asn?)\s*(" + _ASN + ")", s, re.I)
    if m and not _overlaps(m.span(), [lspan]):
        params["remote_as"] = _asn_value(m.group(1))
    usrc = None
    m = re.search(r"update[-\s]?source\s+(?:interface\s+)?(\S+)", s, re.I)
    if m:
        found = _interfaces_in(m.group(1))
        if found:
            params["update_source"] = found[0][0]
            usrc = m.span()
    m = re.search(r"(?:neighbou?r|peer(?:ing)?(?:\s+(?:with|at|ip))?|session\s+(?:to|with))\s+(" + _IP + r")", s, re.I)
    if m is None:
        m = re.search(r"(" + _IP + r")", s)
    if m and not _overlaps(m.span(1), [usrc]):
        params["neighbor"] = m.group(1)
    if t.description:
        params["description"] = t.description
    if t.secret_given:
        params["secret_ignored"] = True
    _require(params, missing, "neighbor")
    _require(params, missing, "remote_as")
    _require(params, missing, "local_as", DEFAULT_LOCAL_AS)


def _asn_value(text: str) -> int:
    """asplain stays as is; asdot `1.10` is 1*65536+10 (the form IOS shows with `bgp asnotation dot`)."""
    if "." in text:
        hi, lo = text.split(".", 1)
        return int(hi) * 65536 + int(lo)
    return int(text)


def _is_netmask(text: str) -> bool:
    try:
        value = int(ipaddress.IPv4Address(text))
    except ValueError:
        return False
    inverted = ~value & 0xFFFFFFFF
    return (inverted & (inverted + 1)) == 0  # contiguous ones, then zeros


def _extract_static(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
    s = t.masked
    used: list[tuple[int, int]] = []
    if re.search(r"\bdefault\s+route\b|\bdefault\s+gateway\b|\bgateway\s+of\s+last\s+resort\b", s, re.I):
        params["prefix"] = "0.0.0.0/0"
    m = re.search(r"(" + _IP + r")\s*/\s*(\d{1,3})\b", s)
    if m and "prefix" not in params:
        params["prefix"] = f"{m.group(1)}/{m.group(2)}"
        used.append(m.span())
    if "prefix" not in params:
        m = re.search(r"(" + _IP + r")\s+(?:mask\s+|netmask\s+)?(" + _IP + r")", s, re.I)
        if m and (_is_netmask(m.group(2)) or re.search(r"mask", m.group(0), re.I) or m.group(2).startswith("255.")):
            params["prefix"] = m.group(1)
            params["mask"] = m.group(2)
            used.append(m.span())
    if "prefix" not in params:
        m = re.search(r"(?:route\s+(?:to|for)|destination|prefix|network|subnet)\s+(" + _IP + r")", s, re.I)
        if m:
            params["prefix"] = m.group(1)  # no length: render_config reports it
            used.append(m.span(1))
    m = re.search(r"(?:via|next[-\s]?hop(?:\s+(?:is|of|at))?|gateway|\bgw|through|towards?|pointing\s+(?:to|at))\s+(" + _IP + r")", s, re.I)
    if m and not _overlaps(m.span(1), used):
        params["next_hop"] = m.group(1)
        used.append(m.span(1))
    if "next_hop" not in params:
        for m in re.finditer(_IP, s):
            if not _overlaps(m.span(), used):
                params["next_hop"] = m.group(0)
                used.append(m.span())
                break
    for name, start, _end in _interfaces_in(s):
        before = s[max(0, start - 25):start].lower()
        if re.search(r"(?:via|out(?:\s+of)?|exit(?:[-\s]interface)?|through|interface|to|from|egress)\s*$", before) or name == "Null0":
            params["exit_interface"] = name
            break
    if re.search(r"\bnull\s?0\b|\bblackhole\b|\bdiscard\b", s, re.I):
        params["exit_interface"] = "Null0"
    m = re.search(r"(?:admin(?:istrative)?[-\s]+distance|\bdistance|\bAD|\bmetric)\s*(?:of\s+)?(\d+)", s, re.I)
    if m is None:
        m = re.search(r"\bip\s+route\s+" + _IP + r"(?:\s*/\d+|\s+" + _IP + r")\s+(?:\S+\s+)?" + _IP + r"\s+(\d{1,3})\b", s, re.I)
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


def _extract_qos(t: _Text, params: dict[str, Any], missing: list[str]) -> None:
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
        m = re.search(r"\b(?:" + words + r")\b\s*(?:traffic|class|queue)?\s*(?:at|=|:|gets?|with|to|of)?\s*(\d+(?:\.\d+)?)\s*(?:%|percent|pct)", s, re.I)
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


_EXTRACTORS: dict[TemplateKind, Callable[[_Text, dict[str, Any], list[str]], None]] = {
    "access_port": _extract_access,
    "trunk": _extract_trunk,
    "ospf": _extract_ospf,
    "bgp_neighbor": _extract_bgp,
    "static_route": _extract_static,
    "qos_policy": _extract_qos,
}


# --------------------------------------------------------------------------------------------
# Rendering and validation
# --------------------------------------------------------------------------------------------


@dataclass
class _Notes:
    """Problems and assumptions collected while preparing one rendering."""

    os: str
    device: str | None
    interfaces: list[str] | None
    problems: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)

    def assume(self, text: str) -> None:
        if text not in self.assumptions:
            self.assumptions.append(text)


@cache
def _environment() -> jinja2.Environment:
    """One environment for all renderings; StrictUndefined so a missing variable is a bug, not a blank."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # device CLI, not HTML
    )


def _normalise_os(os: str) -> str | None:
    return _OS_ALIASES.get((os or "").strip().lower())


def _clean_text(value: Any, limit: int = MAX_DESCRIPTION) -> str:
    """One line of printable text: a newline in a description would inject configuration."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


def _as_int(value: Any, label: str, notes: _Notes) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        notes.problem(f"{label} must be a number, got {value!r}")
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    notes.problem(f"{label} must be a whole number, got {value!r}")
    return None


def _check_vlan(value: Any, label: str, notes: _Notes) -> int | None:
    vlan = _as_int(value, label, notes)
    if vlan is not None and not 1 <= vlan <= 4094:
        notes.problem(f"{label} {vlan} is outside 1-4094")
    return vlan


def _check_asn(value: Any, label: str, notes: _Notes) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"\d+\.\d+", value.strip()):
        value = _asn_value(value.strip())
    asn = _as_int(value, label, notes)
    if asn is not None and not 1 <= asn <= 4294967295:
        notes.problem(f"{label} {asn} is outside 1-4294967295")
    return asn


def _check_ip(value: Any, label: str, notes: _Notes) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if value is None:
        return None
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        notes.problem(f"{label} {value} is not a valid IP address")
        return None


def _check_prefix(prefix: Any, mask: Any, label: str, notes: _Notes) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """`10.50.0.0/16` or `10.50.0.0` + `255.255.0.0`; host bits set or a bad mask are problems."""
    text = str(prefix).strip()
    if mask is not None:
        mask_text = str(mask).strip()
        if not _is_netmask(mask_text):
            notes.problem(f"{label} mask {mask_text} is not a valid netmask")
            return None
        text = f"{text}/{mask_text}"
    elif "/" not in text:
        if _check_ip(text, label, notes) is not None:
            notes.problem(f"{label} {text} has no prefix length or mask (e.g. {text}/16 or {text} 255.255.0.0)")
        return None
    addr = text.split("/", 1)[0]
    if _check_ip(addr, label, notes) is None:
        return None
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        try:
            loose = ipaddress.ip_network(text, strict=False)
        except ValueError:
            notes.problem(f"{label} {text} is not a valid prefix ({exc})")
            return None
        notes.problem(f"{label} {text} has host bits set; the network is {loose}")
        return None


def _check_interface(name: Any, role: str, notes: _Notes) -> str | None:
    """Canonical name in the device's spelling, checked against the device's real interfaces."""
    if name is None:
        return None
    canon = normalise_interface(_clean_text(name, 60), notes.os)
    if not _IFACE_RX.fullmatch(canon) and not re.fullmatch(r"[A-Za-z][\w-]*\d+(?:/\d+)*(?:\.\d+)?", canon):
        notes.problem(f"{role} {name!r} is not an interface name")
        return canon
    if notes.os == "eos" and _IOS_ONLY_NAMES.match(canon):
        notes.problem(f"{role} {canon} is an IOS-style name; EOS interfaces are Ethernet<n>, Port-Channel<n>, Loopback<n>, Vlan<n>")
    if notes.os == "ios" and re.fullmatch(r"Ethernet\d+", canon):
        notes.problem(f"{role} {canon} is an EOS-style name; IOS-XE uses GigabitEthernet/TenGigabitEthernet<slot/port>")
    if notes.interfaces is not None:
        known = {normalise_interface(i, notes.os).lower(): normalise_interface(i, notes.os) for i in notes.interfaces}
        if canon.lower() not in known and canon != "Null0":
            where = notes.device or "the device"
            close = difflib.get_close_matches(canon, list(known.values()), n=3, cutoff=0.8)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            notes.problem(f"{role} {canon} does not exist on {where}{hint}")
    return canon


_DEFAULT_NOTES: dict[str, dict[str, tuple[Any, str]]] = {
    "access_port": {
        "vlan": (DEFAULT_ACCESS_VLAN, "access VLAN {value} (the lab users VLAN): no VLAN was given"),
        "portfast": (True, "edge port: spanning-tree portfast enabled"),
        "bpduguard": (True, "edge port: BPDU guard enabled (a switch plugged in here err-disables the port)"),
    },
    "trunk": {},
    "ospf": {
        "process_id": (DEFAULT_OSPF_PROCESS, "OSPF process {value} (the lab's process): none was given"),
        "area": (DEFAULT_OSPF_AREA, "OSPF area {value} (backbone): none was given"),
    },
    "bgp_neighbor": {
        "local_as": (DEFAULT_LOCAL_AS, "local AS {value} (the HQ AS): none was given"),
    },
    "static_route": {},
    "qos_policy": {
        "voice_pct": (DEFAULT_VOICE_PCT, "voice (DSCP EF) gets a {value}% priority queue: no voice share was given"),
        "business_pct": (DEFAULT_BUSINESS_PCT, "business data (DSCP AF31/AF21) gets {value}% bandwidth: no business share was given"),
        "policy_name": (DEFAULT_QOS_POLICY, "policy-map name {value} (the lab's WAN policy name)"),
    },
}


def _fill_defaults(kind: str, params: dict[str, Any], missing: list[str], notes: _Notes) -> None:
    for key, (value, text) in _DEFAULT_NOTES[kind].items():
        if params.get(key) is None:
            params[key] = value
            notes.assume(text.format(value=value))
        elif key in missing:
            notes.assume(text.format(value=params[key]))


def _prepare_access(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    iface = _check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.problem("no interface given for the access port")
    elif _NOT_SWITCHPORT.match(iface):
        notes.problem(f"{iface} cannot be a switchport")
    vlan = _check_vlan(p.get("vlan"), "access VLAN", notes)
    voice = _check_vlan(p.get("voice_vlan"), "voice VLAN", notes)
    if voice is not None and voice == vlan:
        notes.problem(f"voice VLAN {voice} is the same as the access VLAN")
    if notes.os == "eos" and voice is not None:
        notes.assume("EOS carries a voice VLAN with 'switchport mode trunk phone': data VLAN untagged (native), phone VLAN tagged")
    return {
        "interface": iface or "<interface>",
        "vlan": vlan,
        "voice_vlan": voice,
        "description": _clean_text(p["description"]) if p.get("description") else None,
        "portfast": bool(p.get("portfast", True)),
        "bpduguard": bool(p.get("bpduguard", True)),
    }


def _prepare_trunk(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    iface = _check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.problem("no interface given for the trunk")
    elif _NOT_SWITCHPORT.match(iface):
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
    native = _check_vlan(p.get("native_vlan"), "native VLAN", notes)
    if native is None:
        notes.assume("native VLAN left at the default (1)")
    elif allowed_text is not None and not any(lo <= native <= hi for lo, hi in parse_vlan_list(allowed_text)[0]):
        notes.assume(f"native VLAN {native} is not in the allowed list: untagged traffic will be dropped")
    return {
        "interface": iface or "<interface>",
        "allowed_vlans": allowed_text,
        "native_vlan": native,
        "description": _clean_text(p["description"]) if p.get("description") else None,
    }


def _ospf_area(value: Any, notes: _Notes) -> tuple[str, str]:
    """(area as written for IOS, area in dotted form for EOS)."""
    text = str(value).strip()
    if re.fullmatch(r"\d+", text):
        number = int(text)
        if number > 4294967295:
            notes.problem(f"OSPF area {text} is outside 0-4294967295")
            return text, text
        return text, str(ipaddress.IPv4Address(number))
    try:
        dotted = str(ipaddress.IPv4Address(text))
    except ValueError:
        notes.problem(f"OSPF area {text!r} is neither a number nor dotted-decimal")
        return text, text
    return dotted, dotted


def _prepare_ospf(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    pid = _as_int(p.get("process_id"), "OSPF process id", notes)
    if pid is not None and not 1 <= pid <= 65535:
        notes.problem(f"OSPF process id {pid} is outside 1-65535")
    area_ios, area_eos = _ospf_area(p.get("area"), notes)
    iface = _check_interface(p.get("interface"), "interface", notes)
    net = None
    if p.get("network") is not None:
        raw = str(p["network"]).strip()
        parts = raw.split()
        if len(parts) == 2:  # "10.0.1.0 0.0.0.1" (wildcard) or "10.0.1.0 255.255.255.254"
            mask = parts[1]
            if not _is_netmask(mask) or mask == "0.0.0.0":  # a wildcard, as IOS writes it
                try:
                    mask = str(ipaddress.IPv4Address(~int(ipaddress.IPv4Address(mask)) & 0xFFFFFFFF))
                except ValueError:
                    pass
            net = _check_prefix(parts[0], mask, "OSPF network", notes)
        else:
            net = _check_prefix(raw, None, "OSPF network", notes)
    if iface is None and p.get("network") is None:
        notes.problem("no interface or network given for OSPF")
    cost = _as_int(p.get("cost"), "OSPF cost", notes)
    if cost is not None and not 1 <= cost <= 65535:
        notes.problem(f"OSPF cost {cost} is outside 1-65535")
    p2p = bool(p.get("point_to_point"))
    if iface and not p2p:
        notes.assume("OSPF network type left at the default (broadcast); lab /31 links use point-to-point: say so to add it")
    if iface:
        notes.assume(f"{iface} must already be a routed interface with an IP address; only OSPF is added")
    notes.assume("OSPF message-digest authentication is not included: add the key from the vault")
    return {
        "process_id": pid if pid is not None else "<process-id>",
        "area": area_ios,
        "area_dotted": area_eos,
        "interface": iface,
        "network": str(net.network_address) if net else None,
        "wildcard": str(net.hostmask) if net else None,
        "prefix": str(net) if net else None,
        "cost": cost,
        "point_to_point": p2p,
        "passive": bool(p.get("passive")),
    }


def _prepare_bgp(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    neighbor = _check_ip(p.get("neighbor"), "neighbour", notes)
    if p.get("neighbor") is None:
        notes.problem("no neighbour IP address given")
    local_as = _check_asn(p.get("local_as"), "local AS", notes)
    remote_as = _check_asn(p.get("remote_as"), "remote AS", notes)
    if p.get("remote_as") is None:
        notes.problem("no remote AS given for the neighbour")
    usrc = _check_interface(p.get("update_source"), "update-source", notes)
    if local_as is not None and remote_as is not None:
        if local_as == remote_as and usrc is None:
            notes.assume("iBGP peer without update-source: the session uses the outgoing interface address (lab iBGP uses Loopback0)")
        if local_as != remote_as:
            notes.assume("eBGP peer: no route-maps or prefix-lists are applied; add inbound/outbound policy before production")
    notes.assume(f"MD5 key not generated: replace {BGP_MD5_PLACEHOLDER} with the key from the vault")
    if p.get("secret_ignored"):
        notes.assume("a key typed in the request was ignored: keys come from the vault, never from chat")
    if notes.os == "eos":
        notes.assume("EOS activates IPv4 unicast for the neighbour by default (no address-family block)")
    return {
        "local_as": local_as if local_as is not None else "<local-as>",
        "neighbor": str(neighbor) if neighbor else (_clean_text(p["neighbor"], 45) if p.get("neighbor") else "<neighbor-ip>"),
        "remote_as": remote_as if remote_as is not None else "<remote-as>",
        "description": _clean_text(p["description"], 80) if p.get("description") else None,
        "update_source": usrc,
        "password": BGP_MD5_PLACEHOLDER,
        "address_family": "ipv6" if neighbor is not None and neighbor.version == 6 else "ipv4",
    }


def _prepare_static(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    net = None
    if p.get("prefix") is None:
        notes.problem("no destination prefix given")
    else:
        net = _check_prefix(p["prefix"], p.get("mask"), "destination", notes)
    nh = _check_ip(p.get("next_hop"), "next hop", notes)
    exit_if = _check_interface(p.get("exit_interface"), "exit interface", notes)
    if p.get("next_hop") is None and exit_if is None:
        notes.problem("static route has no next hop or exit interface")
    if net is not None and nh is not None:
        if nh.version != net.version:
            notes.problem(f"next hop {nh} and destination {net} are different IP versions")
        elif net.prefixlen > 0 and nh in net:
            notes.problem(f"next hop {nh} is inside the destination prefix {net}: the route would resolve through itself")
    if exit_if and nh is None and exit_if != "Null0" and not exit_if.startswith(("Tunnel", "Serial")):
        notes.assume(f"route out of {exit_if} without a next hop relies on proxy-ARP; add a next hop on Ethernet links")
    dist = _as_int(p.get("distance"), "administrative distance", notes)
    if dist is not None and not 1 <= dist <= 255:
        notes.problem(f"administrative distance {dist} is outside 1-255")
    name = re.sub(r"[^\w.-]+", "_", _clean_text(p["name"], 40)) if p.get("name") else None
    if net is not None:
        network, netmask, cidr = str(net.network_address), str(net.netmask), str(net)
    else:
        network, netmask, cidr = _display_prefix(p.get("prefix"), p.get("mask"))
    next_hop = str(nh) if nh else (_clean_text(p["next_hop"], 45) if p.get("next_hop") is not None else None)
    if next_hop is None and exit_if is None:
        next_hop = "<next-hop>"
    return {
        "network": network,
        "netmask": netmask,
        "prefix": cidr,
        "next_hop": next_hop,
        "exit_interface": exit_if,
        "distance": dist,
        "name": name,
    }


def _display_prefix(prefix: Any, mask: Any) -> tuple[str, str, str]:
    """Best-effort (address, netmask, cidr) of an invalid destination, so the engineer sees what
    was understood next to the problem instead of a bare placeholder."""
    text = _clean_text(prefix, 45) if prefix is not None else "<prefix>"
    if mask is not None:
        mask_text = _clean_text(mask, 45)
        return text, mask_text, f"{text}/{mask_text}"
    if "/" in text:
        addr, _, length = text.partition("/")
        try:
            netmask = str(ipaddress.ip_network(f"0.0.0.0/{length}").netmask)
        except ValueError:
            netmask = "<mask>"
        return addr, netmask, text
    return text, "<mask>", f"{text}/<length>"


def _policy_name(value: Any, label: str, notes: _Notes) -> str:
    text = _clean_text(value, 40)
    if not re.fullmatch(r"[A-Za-z][\w.-]*", text):
        notes.problem(f"{label} {value!r} is not a valid name (letters, digits, _ . -)")
        return re.sub(r"[^\w.-]+", "-", text) or "POLICY"
    return text


def _percent(value: Any, label: str, notes: _Notes) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        notes.problem(f"{label} {value}% must be a whole percentage")
        return int(value)
    pct = _as_int(value, label, notes)
    if pct is not None and not 1 <= pct <= 100:
        notes.problem(f"{label} {pct}% is outside 1-100")
    return pct


def _prepare_qos(p: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    voice = _percent(p.get("voice_pct"), "voice share", notes)
    video = _percent(p.get("video_pct"), "video share", notes)
    business = _percent(p.get("business_pct"), "business share", notes)
    total = sum(v for v in (voice, video, business) if v)
    if total > 100:
        notes.problem(f"class percentages sum to {total}% (over 100%)")
    else:
        queueing = "fair-queue" if notes.os == "ios" else "round-robin on tx-queue 0"
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
    policy = _policy_name(p.get("policy_name"), "policy name", notes)
    shaper = _policy_name(p.get("shaper_name") or DEFAULT_SHAPER_POLICY, "shaper name", notes)
    iface = _check_interface(p.get("interface"), "interface", notes)
    if iface is None:
        notes.assume("no interface given: the policy is defined but not attached to any interface")
    if notes.os == "eos":
        notes.assume(
            "EOS has no MQC hierarchical shaping: classification is 'qos map dscp ... to traffic-class', queuing a "
            "'qos profile' with tx-queues (TC5 voice strict priority capped by shape rate, TC4 video, TC3 business, "
            "TC0 default) applied with 'service-profile'; EOS shape rate is in kbps; check tx-queue behaviour on the platform"
        )
    elif shape_bps is not None:
        notes.assume(f"parent policy {shaper} shapes class-default and nests {policy}; the interface gets {shaper}")
    return {
        "policy_name": policy,
        "shaper_name": shaper,
        "voice_pct": voice,
        "video_pct": video,
        "business_pct": business,
        "default_pct": max(0, 100 - total),
        "shape_bps": shape_bps,
        "shape_kbps": shape_bps // 1000 if shape_bps else None,
        "interface": iface,
    }


_PREPARE: dict[str, Callable[[dict[str, Any], _Notes], dict[str, Any]]] = {
    "access_port": _prepare_access,
    "trunk": _prepare_trunk,
    "ospf": _prepare_ospf,
    "bgp_neighbor": _prepare_bgp,
    "static_route": _prepare_static,
    "qos_policy": _prepare_qos,
}

_STRUCTURE_IGNORED = {"!", "exit", "exit-address-family", "end"}
_SECRET_IN_LINE = re.compile(
    r"\b(?:password|secret|key-string|key(?=\s+\d\s))(?:\s+\d)?\s+(?!<)(?P<val>\S+)", re.IGNORECASE,
)


def structure_problems(lines: list[str], os: str) -> list[str]:
    """Every indented line must have a parent, and hier_config must read the tree as written.

    The indentation check catches template mistakes directly; the hier_config comparison makes
    sure the text parses into the same tree the device (and the rest of the bot) will see.
    """
    problems: list[str] = []
    stack: list[int] = []
    expected: list[tuple[str, int]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        while stack and stack[-1] >= indent:
            stack.pop()
        if indent and not stack:
            problems.append(f"line {number} ({text!r}) is indented but has no parent")
        stack.append(indent)
        if text not in _STRUCTURE_IGNORED:
            expected.append((text, len(stack)))
    try:
        root = get_hconfig(_PLATFORM[os], "\n".join(lines))
    except Exception as exc:  # noqa: BLE001 - any parser failure is a structural problem
        return [*problems, f"hier_config could not parse the configuration: {exc}"]
    parsed = {(child.text, child.depth()) for child in root.all_children()}
    for text, depth in expected:
        if (text, depth) not in parsed:
            problems.append(f"hier_config does not see {text!r} at nesting depth {depth}")
    return problems


def _scrub_secrets(lines: list[str]) -> tuple[list[str], list[str]]:
    """Last line of defence: a key value that is not a <placeholder> is replaced, and said so.

    Detection already blanks keys typed in chat; this catches values smuggled in through params
    built elsewhere (even inside a description), because pasted output ends up in chat history.
    """
    clean, problems = [], []
    for line in lines:
        m = _SECRET_IN_LINE.search(line)
        if m:
            line = line[: m.start("val")] + "<redacted>" + line[m.end("val"):]
            problems.append(f"a secret value was removed from the output ({line.strip()!r}): keys come from the vault")
        clean.append(line)
    return clean, problems


def render_config(req: TemplateRequest, os: str, device: str | None = None, interfaces: list[str] | None = None) -> GeneratedConfig:
    """Render the request for one device OS and validate the result.

    `interfaces`, when given, are the device's real interface names: anything else named in the
    request is a problem. An unsupported OS gives no lines and one problem rather than an
    exception, because the caller is a chat bot answering for whatever device was named.
    """
    params = dict(req.params)
    device = device or params.get("device")
    os_key = _normalise_os(os)
    if os_key is None:
        return GeneratedConfig(
            kind=req.kind, os=str(os), device=device, params=params,
            problems=[f"no templates for OS {os!r}: supported are {', '.join(SUPPORTED_OS)}"],
        )
    notes = _Notes(os=os_key, device=device, interfaces=interfaces)
    if req.kind == "bgp_neighbor" and "local_as" in req.missing and device in LAB_LOCAL_AS:
        params["local_as"] = LAB_LOCAL_AS[device]
        notes.assume(f"local AS {LAB_LOCAL_AS[device]} ({device}'s AS in the lab): none was given")
    _fill_defaults(req.kind, params, req.missing, notes)
    context = _PREPARE[req.kind](params, notes)
    template = _environment().get_template(f"{os_key}/{req.kind}.j2")
    rendered = template.render(**context)
    lines = [line.rstrip() for line in rendered.splitlines() if line.strip()]
    lines, secret_problems = _scrub_secrets(lines)
    problems = notes.problems + secret_problems + structure_problems(lines, os_key)
    params.pop("secret_ignored", None)
    return GeneratedConfig(
        kind=req.kind, os=os_key, device=device, lines=lines, params=params,
        problems=problems, assumptions=notes.assumptions,
    )
