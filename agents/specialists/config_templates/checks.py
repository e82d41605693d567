"""Validation of single values for rendering: each check returns the value in the device's
spelling and records a problem instead of raising, because the engineer should see every
mistake at once, next to the configuration that was understood."""

from __future__ import annotations

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from agents.specialists.config_templates.kinds import MAX_DESCRIPTION
from agents.specialists.config_templates.values import IFACE_RX, IOS_ONLY_NAMES, asn_value, is_netmask, normalise_interface


@dataclass
class Notes:
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


def clean_text(value: Any, limit: int = MAX_DESCRIPTION) -> str:
    """One line of printable text: a newline in a description would inject configuration."""
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", str(value))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


def as_int(value: Any, label: str, notes: Notes) -> int | None:
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


def check_vlan(value: Any, label: str, notes: Notes) -> int | None:
    vlan = as_int(value, label, notes)
    if vlan is not None and not 1 <= vlan <= 4094:
        notes.problem(f"{label} {vlan} is outside 1-4094")
    return vlan


def check_asn(value: Any, label: str, notes: Notes) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"\d+\.\d+", value.strip()):
        value = asn_value(value.strip())
    asn = as_int(value, label, notes)
    if asn is not None and not 1 <= asn <= 4294967295:
        notes.problem(f"{label} {asn} is outside 1-4294967295")
    return asn


def check_ip(value: Any, label: str, notes: Notes) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if value is None:
        return None
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        notes.problem(f"{label} {value} is not a valid IP address")
        return None


def check_prefix(prefix: Any, mask: Any, label: str, notes: Notes) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """`10.50.0.0/16` or `10.50.0.0` + `255.255.0.0`; host bits set or a bad mask are problems."""
    text = str(prefix).strip()
    if mask is not None:
        mask_text = str(mask).strip()
        if not is_netmask(mask_text):
            notes.problem(f"{label} mask {mask_text} is not a valid netmask")
            return None
        text = f"{text}/{mask_text}"
    elif "/" not in text:
        if check_ip(text, label, notes) is not None:
            notes.problem(f"{label} {text} has no prefix length or mask (e.g. {text}/16 or {text} 255.255.0.0)")
        return None
    addr = text.split("/", 1)[0]
    if check_ip(addr, label, notes) is None:
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


def check_interface(name: Any, role: str, notes: Notes) -> str | None:
    """Canonical name in the device's spelling, checked against the device's real interfaces."""
    if name is None:
        return None
    canon = normalise_interface(clean_text(name, 60), notes.os)
    if not IFACE_RX.fullmatch(canon) and not re.fullmatch(r"[A-Za-z][\w-]*\d+(?:/\d+)*(?:\.\d+)?", canon):
        notes.problem(f"{role} {name!r} is not an interface name")
        return canon
    if notes.os == "eos" and IOS_ONLY_NAMES.match(canon):
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


def ospf_area(value: Any, notes: Notes) -> tuple[str, str]:
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


def display_prefix(prefix: Any, mask: Any) -> tuple[str, str, str]:
    """Best-effort (address, netmask, cidr) of an invalid destination, so the engineer sees what
    was understood next to the problem instead of a bare placeholder."""
    text = clean_text(prefix, 45) if prefix is not None else "<prefix>"
    if mask is not None:
        mask_text = clean_text(mask, 45)
        return text, mask_text, f"{text}/{mask_text}"
    if "/" in text:
        addr, _, length = text.partition("/")
        try:
            netmask = str(ipaddress.ip_network(f"0.0.0.0/{length}").netmask)
        except ValueError:
            netmask = "<mask>"
        return addr, netmask, text
    return text, "<mask>", f"{text}/<length>"


def policy_name(value: Any, label: str, notes: Notes) -> str:
    text = clean_text(value, 40)
    if not re.fullmatch(r"[A-Za-z][\w.-]*", text):
        notes.problem(f"{label} {value!r} is not a valid name (letters, digits, _ . -)")
        return re.sub(r"[^\w.-]+", "-", text) or "POLICY"
    return text


def percent(value: Any, label: str, notes: Notes) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and not value.is_integer():
        notes.problem(f"{label} {value}% must be a whole percentage")
        return int(value)
    pct = as_int(value, label, notes)
    if pct is not None and not 1 <= pct <= 100:
        notes.problem(f"{label} {pct}% is outside 1-100")
    return pct


