"""The syslog line formats of each platform, read into one shape (`LineParts`).

Hand-written: ntc-templates has a `show logging` template for IOS only and none for NX-OS
`show logging logfile`, IOS-XR `show logging` or Junos `show log messages`, and NAPALM has no log
getter. Formats, from public captures (see tests/data/realworld/cli/SOURCES.md):

- IOS/IOS-XE: `[seq:] [*]Mon dd hh:mm:ss[.mmm] [TZ]: %FAC-SEV-MNEMONIC: text`, or an uptime stamp.
- EOS: `Mon dd hh:mm:ss host Agent: %FAC-SEV-MNEMONIC: text`, or an ISO-8601 stamp.
- NX-OS: `yyyy Mon dd hh:mm:ss[.mmm] host %FAC-SEV-MNEMONIC: text` (`2019 May 22 16:20:45 N9K %ACLLOG-5-...`).
- IOS-XR: `RP/0/RSP0/CPU0:[yyyy ]Mon dd hh:mm:ss[.mmm] [TZ][ ]: process[pid]: %FAC-SUB-SEV-MNEMONIC : text`
  (facility of several parts: `%ROUTING-BGP-5-ADJCHANGE`, `%PKT_INFRA-LINK-3-UPDOWN`).
- Junos: `Mon dd hh:mm:ss host process[pid]: [TAG: ]text` (`mgd[91373]: UI_COMMIT: User 'x' ...`); a
  message without a tag (`sshd[1]: Failed password for ...`) takes the process as its mnemonic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# `%FAC[-SUB]-SEV-MNEMONIC:` (IOS-XR puts a space before the colon), or `FAC-MNEMONIC:` without a
# severity (IOS debug-style messages)
_MSG = (r"(?:%(?P<facility>[A-Z0-9_]+(?:-[A-Z0-9_]+)*?)-(?P<sev>[0-7])-(?P<mnemonic>[A-Z0-9_]+)"
        r"|(?P<facility2>[A-Z][A-Z0-9_]*)-(?P<mnemonic2>[A-Z0-9_]+))\s?:\s*(?P<text>.*)")
_STAMP = r"(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?:\d{4}\s+)?(?P<time>\d{1,2}:\d{2}:\d{2})(?:\.\d+)?"
_IOS = re.compile(
    r"^[*.]?(?:\d+:\s+)?[*.]?(?:" + _STAMP + r"(?:\s+[A-Z]{2,5})?|(?P<uptime>(?:\d+[ywdh])+(?:\d+[dhm])*|\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)):\s+" + _MSG + "$")
_EOS = re.compile(
    r"^(?:(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<time>\d{1,2}:\d{2}:\d{2})(?:\.\d+)?"
    r"|(?P<iso>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:[+-]\d{2}:?\d{2}|Z)?)"
    r"\s+(?P<host>\S+)\s+(?P<agent>[\w-]+)(?:\[\d+\])?:\s+" + _MSG + "$")
_NXOS = re.compile(r"^\d{4}\s+" + _STAMP + r"(?:\s+[A-Z]{2,5})?\s+(?P<host>\S+)\s+" + _MSG + "$")
_XR_NODE = r"^(?:(?:RP|LC)/)?\d+/[\w]+/(?:CPU|ADMIN)\d+:(?:\d{4}\s+)?" + _STAMP + r"(?:\s+[A-Z]{2,5})?\s?:\s+(?P<agent>[\w.-]+)(?:\[\d+\])?:\s*"
# IOS-XR facilities may have a lower-case part (`%MGBL-exec-3-LOGIN_AUTHEN`) and some messages lack the `%`
# (`SMART_LIC-6-AGENT_READY:...`); a process that logs free text (`spp[113]: Initialized ...`) has no tag at all.
_IOSXR = re.compile(_XR_NODE + r"%?(?P<facility>[A-Z0-9_]+(?:-[A-Za-z0-9_]+)*?)-(?P<sev>[0-7])-(?P<mnemonic>[A-Z0-9_]+)\s?:\s*(?P<text>.*)$")
_IOSXR_PLAIN = re.compile(_XR_NODE + r"(?P<text>.*)$")
# A CLI prompt left at the end of a capture (`RP/0/RP0/CPU0:R2_xr#`, `{master}`, `router1#`) is no message.
PROMPT = re.compile(r"^(?:\S+[#>]|\{\w+(?::\d+)?\})\s*$")
_JUNOS = re.compile(
    r"^(?:<\d+>)?" + _STAMP + r"\s+(?P<host>\S+)\s+(?P<agent>[\w./-]+)(?:\[\d+\])?:\s+"
    r"(?:(?P<tag>[A-Z][A-Z0-9_]{2,}):\s+)?(?P<text>.*)$")

# A line that starts like a log message (sequence number, date, uptime, ISO stamp, NX-OS year,
# IOS-XR node) but did not parse: kept as unparsed, never guessed at.
STAMPED = re.compile(r"^[*.]?(?:\d+:\s|[A-Z][a-z]{2}\s+\d{1,2}\s+\d|\d+[ywdh]\d|\d{1,2}:\d{2}|\d{4}-\d{2}-\d{2}T|\d{4}\s+[A-Z][a-z]{2}\s|(?:RP|LC)/\d)")
# Repeat notices carry no event of their own (Junos, IOS-XR, NX-OS all print them).
REPEATED = re.compile(r"last message repeated \d+ times?|message repeated \d+ times?", re.I)


@dataclass
class LineParts:
    """One line's stamp and message; `mon`/`day`/`time` unset for uptime and ISO stamps."""

    text: str
    facility: str
    mnemonic: str
    severity: int | None = None
    mon: str | None = None
    day: str | None = None
    time: str | None = None
    iso: str | None = None
    uptime: str | None = None


def match_line(os_name: str, line: str) -> LineParts | None:
    """The line read by the platform's format (the Cisco-style formats are tried on every OS,
    since a collector may hand any of them over); None when it is no log message."""
    if os_name == "junos":
        return _junos(line)
    m = _IOS.match(line) or _EOS.match(line) or _NXOS.match(line) or _IOSXR.match(line)
    if m is None and (x := _IOSXR_PLAIN.match(line)) is not None:
        return LineParts(text=x["text"].strip(), facility=x["agent"], mnemonic=x["agent"], mon=x["mon"], day=x["day"], time=x["time"])
    if m is None:
        return _junos(line) if os_name not in {"ios", "eos"} else None
    p = m.groupdict()
    facility: str = p["facility"] or p.get("facility2") or ""
    sev = p["sev"]
    mnemonic = f"{facility}-{sev}-{p['mnemonic']}" if sev else f"{facility}-{p.get('mnemonic2')}"
    return LineParts(text=p["text"].strip(), facility=facility, mnemonic=mnemonic, severity=int(sev) if sev else None,
                     mon=p.get("mon"), day=p.get("day"), time=p.get("time"), iso=p.get("iso"), uptime=p.get("uptime"))


def _junos(line: str) -> LineParts | None:
    m = _JUNOS.match(line)
    if m is None or REPEATED.search(line):
        return None
    agent = m["agent"].strip("/")
    return LineParts(text=m["text"].strip(), facility=agent, mnemonic=m["tag"] or agent, mon=m["mon"], day=m["day"], time=m["time"])
