"""Network values in the spellings devices use: interface names, VLAN lists, AS numbers, masks.

netutils does the standard parts (interface expansion, asdot, netmask test, IOS-style VLAN list
compression); what is left here is what chat adds: abbreviations with odd capitals or spaces,
VLAN lists written "110 to 120 and 99", and reporting the pieces that are not VLANs at all.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from netutils.asn import asn_to_int
from netutils.interface import canonical_interface_name
from netutils.ip import is_netmask as _netutils_is_netmask
from netutils.vlan import vlanlist_to_config

# -- interface names ----------------------------------------------------------------------------

# Full names may be followed by a space ("Ethernet 7"); abbreviations may not, or "vlan 110"
# would become interface Vlan110 and "lo 0" noise would match.
_IFACE_FULL = (
    "HundredGigabitEthernet", "HundredGigE", "FortyGigabitEthernet", "TwentyFiveGigabitEthernet",
    "TwentyFiveGigE", "TenGigabitEthernet", "TenGigE", "FortyGigE", "Bundle-Ether", "FiveGigabitEthernet", "TwoGigabitEthernet",
    "GigabitEthernet", "FastEthernet", "Ethernet", "Port-Channel", "Loopback", "Management",
    "Tunnel", "Serial", "Null",
)
_IFACE_ABBR = (
    "Hu", "Fo", "Twe", "Tw", "Ten", "Te", "Gig", "Gi", "Fa", "Eth", "Et", "Po", "Lo", "Mgmt", "Ma",
    "Tu", "Se", "Vlan", "Vl",
)
_PREFIX_SPELLING = {p.lower(): p for p in (*_IFACE_FULL, *_IFACE_ABBR)}
_PREFIX_SPELLING["port-channel"] = "Port-channel"
IFACE_RX = re.compile(
    r"(?<![\w-])(?:(?P<full>" + "|".join(_IFACE_FULL) + r")\s?|(?P<abbr>" + "|".join(_IFACE_ABBR) + r"))"
    r"(?P<num>\d+(?:/\d+){0,3}(?:\.\d+)?)(?![\w/])",
    re.IGNORECASE,
)
IOS_ONLY_NAMES = re.compile(
    r"^(?:GigabitEthernet|TenGigabitEthernet|TwoGigabitEthernet|FiveGigabitEthernet|TwentyFiveGigE|"
    r"FortyGigabitEthernet|HundredGigE|FastEthernet|Serial)",
)
_JUNOS_IN_TEXT = re.compile(r"(?<![\w/-])(?:ge|xe|et|mge)-\d+/\d+/\d+(?:\.\d+)?(?![\w/])")
NOT_SWITCHPORT = re.compile(r"^(?:Loopback|Vlan|Tunnel|Null|Management|Serial|lo\d|fxp|em\d|irb|mgmt)", re.IGNORECASE)


def normalise_interface(name: str, os: str | None = None) -> str:
    """Canonical, device-spelled interface name: `Gi1/0/5` -> `GigabitEthernet1/0/5`.

    netutils does the expansion; the OS fix-ups are the spellings it gets wrong for us
    (`VLAN99` is `Vlan99` on both OSes, EOS writes `Port-Channel`, IOS `Port-channel`).
    """
    raw = re.sub(r"\s+", "", name.strip())
    m = re.match(r"([A-Za-z-]+)(.*)$", raw)
    if m and m.group(1).lower() in _PREFIX_SPELLING:
        raw = _PREFIX_SPELLING[m.group(1).lower()] + m.group(2)
    if os == "junos" or _JUNOS_IN_TEXT.fullmatch(raw):  # ge-0/0/1, xe-0/1/0, ae0, lo0: written as they are
        return raw.lower()
    canon = canonical_interface_name(raw)
    canon = re.sub(r"^VLAN", "Vlan", canon)
    if os == "nxos":
        canon = re.sub(r"^Port-[Cc]hannel", "port-channel", canon)
    elif os == "iosxr":  # IOS-XR keeps its short speed names: TenGigE0/0/0/1, HundredGigE0/0/0/0
        canon = re.sub(r"^(Hundred|Forty|TwentyFive|Ten)GigabitEthernet", r"\1GigE", canon)
    elif os == "eos":
        canon = canon.replace("Port-channel", "Port-Channel")
    elif os == "ios":
        canon = canon.replace("Port-Channel", "Port-channel")
    return canon


def interfaces_in(text: str) -> list[tuple[str, int, int]]:
    """Every interface mentioned, normalised, with its span (to tell roles apart by position)."""
    found = []
    for m in IFACE_RX.finditer(text):
        prefix = m.group("full") or m.group("abbr")
        found.append((normalise_interface(prefix + m.group("num")), m.start(), m.end()))
    found += [(m.group(0).lower(), m.start(), m.end()) for m in _JUNOS_IN_TEXT.finditer(text)]
    return sorted(found, key=lambda f: f[1])


# -- VLAN lists ---------------------------------------------------------------------------------

_VLAN_ITEM = r"\d+(?:\s*(?:-|to)\s*\d+)?"
VLAN_LIST = _VLAN_ITEM + r"(?:(?:\s*(?:,|&|\band\b)\s*|\s+)" + _VLAN_ITEM + r")*"


def parse_vlan_list(value: str | Iterable[int | str]) -> tuple[list[tuple[int, int]], list[str]]:
    """`"110,120,99"` / `"100-200"` / `[99, 110]` -> sorted ranges plus the unparseable bits.

    Hand-written rather than netutils' `vlanconfig_to_list`, which rejects the whole list on the
    first bad piece: here every piece that is not a VLAN is named back to the engineer.
    """
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
    """`[(99, 99), (110, 120)]` -> `"99,110-120"`, compressed as IOS writes it (netutils).

    Out-of-range ids (which the validator reports) are written as given, so the engineer sees
    what was understood next to the problem.
    """
    if ranges and all(1 <= lo and hi <= 4094 for lo, hi in ranges):
        vlans = [vid for lo, hi in ranges for vid in range(lo, hi + 1)]
        return ",".join(vlanlist_to_config(vlans, min_grouping_size=2))
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


# -- AS numbers and masks -----------------------------------------------------------------------


def asn_value(text: str) -> int:
    """asplain stays as is; asdot `1.10` is 1*65536+10 (the form IOS shows with `bgp asnotation dot`)."""
    return asn_to_int(text)


def is_netmask(text: str) -> bool:
    """A contiguous IPv4 netmask (`255.255.0.0`, also `0.0.0.0`); IPv6 masks are not masks here."""
    try:
        value = int(ipaddress.IPv4Address(text))
    except ValueError:
        return False
    return value == 0 or _netutils_is_netmask(text)  # netutils leaves out /0, which default routes use
