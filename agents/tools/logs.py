"""Device syslog as timestamped events, and what a log analyst reads from them.

Why: some faults leave nothing in state or configuration but are plain in the log: a BGP session
that flapped three times before it stayed down, a port bouncing, a CPU hog, and above all the
management plane under attack (bursts of failed logins, then a login from an address nobody
expected). The text comes from `show logging` on real devices and from fixtures in the lab.

Formats (`log_formats`): IOS/IOS-XE, EOS, NX-OS `show logging logfile`, IOS-XR `show logging` and
Junos `show log messages`. Lines before `Log Buffer` are the header; a line after it that cannot
be read is kept as unparsed, never guessed at. A configuration change keeps its acting user (IOS
`by giri on console`, NX-OS `by admin on 10.1.1.1@pts/0`, IOS-XR `committed by user 'x'`, Junos
`UI_COMMIT: User 'x' requested 'commit'`).

Every line passes `redact_prose` before it is kept: logs quote commands (`%PARSER-5-CFGLOG_LOGGEDCMD`
carries whatever was typed, keys included).
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from agents.severity import Severity
from agents.tools.log_formats import PROMPT, REPEATED, STAMPED, match_line
from agents.tools.redact import redact_prose

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}

# kind -> mnemonic/text patterns, first match wins (what an engineer would grep for).
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("login_failed", re.compile(r"LOGIN_FAILED|AUTHEN_FAIL|authentication .*\bfail|Login failed|Failed password", re.I)),
    ("login_blocked", re.compile(r"QUIET_MODE_ON|BLOCK_FOR", re.I)),
    ("login_success", re.compile(r"LOGIN_SUCCESS|Login Success|AUTHEN_SUCCESS|authentication .*\bsucceeded|Accepted (?:password|publickey|keyboard)", re.I)),
    ("adjacency", re.compile(r"ADJCHANGE|ADJCHG|ADJACENCY|NOTIFICATION|BGP_SESSION|NBRSTATE|BGP_NEIGHBOR_STATE_CHANGED|OSPF_NBR(?:UP|DOWN)", re.I)),
    ("link", re.compile(r"(?:^|-)(?:LINK|LINEPROTO)-\d-UPDOWN$|(?:^|-)(?:ETH|ETHPORT)-\d-IF_(?:UP|DOWN)|^SNMP_TRAP_LINK_(?:UP|DOWN)$", re.I)),
    ("cpu", re.compile(r"CPUHOG|CPURISINGTHRESHOLD|CPU_?HIGH", re.I)),
    ("environment", re.compile(r"ENVMON|TEMP_?(?:ALARM|CRIT|HIGH|WARN)|OVERTEMP|CHASSISD_(?:FRU|PSU|FAN|TEMP|BLOWERS)|PS_?FAIL|FAN_?FAIL", re.I)),
    ("config", re.compile(r"CONFIG_I$|CFGLOG_LOGGEDCMD|CONFIG_E|DB_COMMIT$|^UI_COMMIT$|VSHD_SYSLOG_CONFIG_I$", re.I)),
)
# A message without a tag that still reports a BGP OPEN rejected (Junos `rpd`): matched case-sensitively.
_UNTAGGED_ADJACENCY = re.compile(r"\bNOTIFICATION (?:sent to|received from)\b")
_IP = r"(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:]+)"
_SOURCE = re.compile(rf"\[Source: {_IP}\]|\bfrom (?:host )?'?{_IP}|\(({_IP.strip('()')})\)|\brhost={_IP}|\bon {_IP}@")
# The acting user: IOS `by giri on console` / `on vty0`, NX-OS `by admin on 10.1.1.1@pts/0`, IOS-XR
# `committed by user 'x'` and `Configured from console by x`, Junos `User 'x' requested 'commit'`, sshd `for x from`.
_USER = re.compile(r"\[user: ([^\]\s]+)\]|\b[Uu]ser '([^']+)'|\bfor (?:user )?'?([\w.@-]+)'? from\b|\bby (\S+) on \S|\bfrom \S+ by ([\w.@-]+)\s*$")
_PEER = re.compile(rf"\b(?:neighbor|peer|Nbr) {_IP}|\bNOTIFICATION (?:sent to|received from) {_IP}")
_INTERFACE = re.compile(r"\bInterface ([\w./-]+)|\bifName ([\w./-]+)|\bon ((?:[A-Za-z]+-?)+\d[\w./]*) (?:in area|went|from)")
# (mnemonic, text) -> the state a session or interface reached: "up", "down", or "down" for a
# rejected attempt while it is down (a BGP NOTIFICATION); None when the line says neither.
_STATES: tuple[tuple[re.Pattern[str], re.Pattern[str], dict[str, str]], ...] = (
    (re.compile(r"(?:^|-)OSPF\S*-\d-ADJCHG$"), re.compile(r"\bfrom \S+ to (FULL|DOWN)\b"), {"FULL": "up", "DOWN": "down"}),
    (re.compile(r"(?:^|-)BGP-\d-ADJCHANGE$"), re.compile(r"\b(Up|Down)\b|\bnew state (\w+)"), {"Up": "up", "Down": "down", "Established": "up"}),
    (re.compile(r"(?:^|-)BGP-\d-NOTIFICATION$"), re.compile(r"(\w)"), {}),
    (re.compile(r"(?:^|-)(?:LINK|LINEPROTO)-\d-UPDOWN$"), re.compile(r"changed state to (up|down|administratively down)", re.I),
     {"up": "up", "Up": "up"}),
    (re.compile(r"(?:^|-)ETH(?:PORT)?-\d-IF_(?:UP|DOWN)"), re.compile(r"\bis (up|down)\b"), {"up": "up"}),
    # Junos: `changed state from Established to Idle`, `state changed from Full to Down`, SNMP link traps
    (re.compile(r"^BGP_NEIGHBOR_STATE_CHANGED$"), re.compile(r"\bto (\w+)"), {"Established": "up"}),
    (re.compile(r"^RPD_OSPF_NBR(?:UP|DOWN)$"), re.compile(r"\bto (\w+)"), {"Full": "up"}),
    (re.compile(r"^SNMP_TRAP_LINK_(UP|DOWN)$"), re.compile(r"ifOperStatus (up|down)"), {"up": "up"}),
    (re.compile(r"^rpd$"), re.compile(r"\b(NOTIFICATION) (?:sent|received)"), {}),  # Junos: an OPEN rejected
)

BURST_WINDOW_S = 600  # failed logins from one source this close together are one attempt
BURST_MIN = 5
FLAP_MIN = 3


class LogEvent(BaseModel):
    """One syslog message; `t` orders events (seconds within a year, None for uptime stamps)."""

    time: str
    t: float | None = None
    facility: str
    severity: int | None = None
    mnemonic: str
    kind: str = "other"
    message: str
    source: str | None = None
    user: str | None = None
    peer: str | None = None
    interface: str | None = None
    state: str | None = None  # "up" / "down" for session and link changes, else None


class ParsedLog(BaseModel):
    events: list[LogEvent] = Field(default_factory=list)
    unparsed: list[str] = Field(default_factory=list)


def parse_log(os_name: str, text: str) -> ParsedLog:
    """Events in the order the device logged them; unreadable lines after the header kept apart."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((i + 1 for i, line in enumerate(lines) if line.strip().startswith("Log Buffer")), 0)
    out = ParsedLog()
    year_offset, last_t = 0.0, None
    for raw in lines[start:]:
        line = raw.strip()
        if not line:
            continue
        if REPEATED.search(line) or PROMPT.match(line):
            continue
        event = _event(os_name, line)
        if event is None:
            if out.events and not STAMPED.match(line):  # the rest of a multi-line message
                out.events[-1].message += " " + redact_prose(line)
            elif start or "%" in line:
                out.unparsed.append(redact_prose(line))
            continue
        if event.t is not None:
            if last_t is not None and event.t + year_offset < last_t - 180 * 86400:
                year_offset += 366 * 86400  # Dec -> Jan: the log crossed a year boundary
            event.t += year_offset
            last_t = event.t
        out.events.append(event)
    return out


def _event(os_name: str, line: str) -> LogEvent | None:
    parts = match_line(os_name, line)
    if parts is None:
        return None
    text = redact_prose(parts.text)
    if parts.iso:
        stamp = datetime.fromisoformat(parts.iso)
        time, t = stamp.strftime("%b %d %H:%M:%S"), _seconds(stamp.month, stamp.day, stamp.strftime("%H:%M:%S"))
    elif parts.mon in _MONTHS and parts.day and parts.time:
        time = f"{parts.mon} {int(parts.day):02d} {parts.time}"
        t = _seconds(_MONTHS[parts.mon], int(parts.day), parts.time)
    else:
        time, t = parts.uptime or "", None
    mnemonic = parts.mnemonic
    kind = next((k for k, rx in _KINDS if rx.search(mnemonic)), None)
    if kind is None and mnemonic == parts.facility and _UNTAGGED_ADJACENCY.search(text):  # Junos rpd logs OPEN rejections untagged
        kind = "adjacency"
    kind = kind or next((k for k, rx in _KINDS if k.startswith("login") and rx.search(text)), "other")
    source = next((g for g in _first(_SOURCE, text) if g), None)
    user = next((g for g in _first(_USER, text) if g), None)
    peer = _first(_PEER, text)
    interface = _first(_INTERFACE, text + " ")
    return LogEvent(time=time, t=t, facility=parts.facility, severity=parts.severity, mnemonic=mnemonic, kind=kind,
                    message=text, source=source, user=user, peer=peer[0] if peer else None,
                    interface=interface[0] if interface else None, state=_state(mnemonic, text))


def _state(mnemonic: str, text: str) -> str | None:
    """Up or down from the message; anything not listed (an EOS state other than Established) is down."""
    for mnemonic_rx, text_rx, states in _STATES:
        if mnemonic_rx.search(mnemonic) and (m := text_rx.search(text)) is not None:
            word = next(g for g in m.groups() if g)
            return states.get(word, "down")
    return None


def _first(rx: re.Pattern[str], text: str) -> tuple[str, ...]:
    m = rx.search(text)
    return tuple(g for g in m.groups() if g) if m else ()


def _seconds(month: int, day: int, hms: str) -> float:
    h, mi, s = (int(x) for x in hms.split(":"))
    return float((((month - 1) * 31 + day - 1) * 24 + h) * 3600 + mi * 60 + s)


# -- what the analyst reads from the events ----------------------------------------------------


class LogFinding(BaseModel):
    """A pattern in the log with the facts behind it (for observations and timelines)."""

    kind: str
    severity: Severity
    message: str
    data: dict[str, Any] = Field(default_factory=dict)


def _expected(address: str | None) -> bool:
    """Management sessions come from inside: private, loopback or link-local addresses."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return True  # no address to judge
    return ip.is_private or ip.is_loopback or ip.is_link_local


def analyse_events(device: str, events: list[LogEvent]) -> list[LogFinding]:
    """Failed-login bursts, logins from unexpected sources, adjacency and link flaps, CPU hogs."""
    return [*_logins(device, events), *_flaps(device, events, "adjacency", "peer"), *_flaps(device, events, "link", "interface"),
            *_cpu(device, events)]


def _logins(device: str, events: list[LogEvent]) -> list[LogFinding]:
    failures: dict[str, list[LogEvent]] = defaultdict(list)
    out: list[LogFinding] = []
    for e in events:
        if e.kind == "login_failed" and e.source:
            failures[e.source].append(e)
    for source, failed in failures.items():
        burst = _largest_burst(failed)
        if len(burst) < BURST_MIN:
            continue
        users = sorted({e.user for e in burst if e.user})
        after = [e for e in events if e.kind == "login_success" and e.source == source and _after(e, burst[-1])]
        data = {"source": source, "failures": len(burst), "first": burst[0].time, "last": burst[-1].time, "users": users,
                "external": not _expected(source), "blocked": any(e.kind == "login_blocked" for e in events)}
        if after:
            data["success_at"], data["success_user"] = after[0].time, after[0].user
            changed = next((e for e in events if e.kind == "config" and e.source == source and _after(e, after[0])), None)
            then = f", and changed the configuration at {changed.time}" if changed else ""
            if changed:
                data["config_changed_at"] = changed.time
            out.append(LogFinding(kind="login_after_failures", severity=Severity.critical, data=data, message=(
                f"{device}: {len(burst)} failed logins from {source} between {burst[0].time} and {burst[-1].time} "
                f"(users tried: {', '.join(users) or 'unknown'}), then a successful login as {after[0].user or 'unknown'} "
                f"at {after[0].time}{then}: a brute-force attempt on the VTY lines that succeeded")))
        else:
            out.append(LogFinding(kind="login_failures", severity=Severity.high, data=data, message=(
                f"{device}: {len(burst)} failed logins from {source} between {burst[0].time} and {burst[-1].time} "
                f"(users tried: {', '.join(users) or 'unknown'}): a brute-force attempt on the VTY lines")))
    seen: set[str] = set()
    for e in events:
        if e.kind == "login_success" and e.source and not _expected(e.source) and e.source not in failures and e.source not in seen:
            seen.add(e.source)
            out.append(LogFinding(kind="login_unexpected_source", severity=Severity.high, data={"source": e.source, "user": e.user, "at": e.time},
                                  message=f"{device}: login as {e.user or 'unknown'} from {e.source} at {e.time}, outside the management networks"))
    return out


def _largest_burst(failed: list[LogEvent]) -> list[LogEvent]:
    """The most failures that fit in one BURST_WINDOW_S window (all of them when times are unknown)."""
    if any(e.t is None for e in failed):
        return failed
    best: list[LogEvent] = []
    lo = 0
    for hi, e in enumerate(failed):
        while e.t - failed[lo].t > BURST_WINDOW_S:  # type: ignore[operator]
            lo += 1
        if hi - lo + 1 > len(best):
            best = failed[lo:hi + 1]
    return best


def _after(e: LogEvent, ref: LogEvent) -> bool:
    return e.t is None or ref.t is None or e.t >= ref.t


def _flaps(device: str, events: list[LogEvent], kind: str, key: str) -> list[LogFinding]:
    """Per session or interface: how often it went from up to down, and whether it is down now.

    A down while already down is a failed attempt (an OSPF retry from EXSTART, a BGP OPEN rejected
    with a NOTIFICATION), not another flap: "went down at 02:09 and 4 attempts failed since" is
    what the engineer needs, not "flapped 5 times".
    """
    history: dict[str, list[LogEvent]] = defaultdict(list)
    for e in events:
        name = getattr(e, key)
        if e.kind == kind and name and e.state:
            history[name].append(e)
    out = []
    for name, changes in history.items():
        what = f"{_protocol(changes[0])} session with" if kind == "adjacency" else "interface"
        flaps: list[LogEvent] = []
        retries: list[LogEvent] = []
        state = None
        for e in changes:
            if e.state == "down":
                (retries if state == "down" else flaps).append(e)
            state = e.state
        still_down = state == "down"
        if not flaps or (len(flaps) < FLAP_MIN and not still_down):
            continue
        last = flaps[-1]
        earlier = f" after {len(flaps) - 1} earlier flap(s) since {flaps[0].time}" if len(flaps) > 1 else ""
        if still_down:
            tried = f"; {len(retries)} attempt(s) to re-establish failed since, the last at {retries[-1].time}" if retries else ""
            reason = _reason(retries[-1] if retries else last)
            message = f"{device}: the {what} {name} went down at {last.time}{earlier} and has not come back{tried}{reason}"
        else:
            message = f"{device}: the {what} {name} flapped {len(flaps)} times between {flaps[0].time} and {last.time}; up again since"
        out.append(LogFinding(kind=f"{kind}_flaps", severity=Severity.high if still_down else Severity.medium, message=message,
                              data={key: name, "flaps": len(flaps), "failed_attempts": len(retries), "first": flaps[0].time,
                                    "last_down": last.time, "still_down": still_down}))
    return out


def _protocol(event: LogEvent) -> str:
    """BGP or OSPF from the message (Junos names the process, `rpd`, not the protocol)."""
    said = f"{event.mnemonic} {event.message}".upper()
    return next((p for p in ("BGP", "OSPF") if p in said), event.facility.split("_")[0])


def _reason(event: LogEvent) -> str:
    """The cause a message states: `(peer in wrong AS)`, `Neighbor Down: Dead timer expired`, `Down Remote AS changed`."""
    m = re.search(r"\(([a-z][^)]*)\)|Neighbor Down: ([^,]+)|\bDown (\S.*)$", event.message)
    return f" ({next(g for g in m.groups() if g).strip()})" if m else ""


def _cpu(device: str, events: list[LogEvent]) -> list[LogFinding]:
    hogs = [e for e in events if e.kind == "cpu"]
    if not hogs:
        return []
    process = next((m.group(1) for e in reversed(hogs) if (m := re.search(r"process\s*=\s*([^,.]+)", e.message))), None)
    who = f" (process {process.strip()})" if process else ""
    return [LogFinding(kind="cpu_hog", severity=Severity.medium, data={"events": len(hogs), "first": hogs[0].time, "last": hogs[-1].time, "process": process},
                       message=f"{device}: {len(hogs)} CPU hog/threshold message(s) between {hogs[0].time} and {hogs[-1].time}{who}")]


# Words people (and models) use for what the kinds are called.
_QUERY_ALIASES = {
    "login": ("login",), "logins": ("login",), "auth": ("login",), "authentication": ("login",), "brute": ("login_failed",),
    "password": ("login",), "ssh": ("login", "ssh"), "telnet": ("login", "telnet"), "vty": ("login", "vty"),
    "flap": ("updown", "adjchg", "adjchange"), "flaps": ("updown", "adjchg", "adjchange"), "flapping": ("updown", "adjchg", "adjchange"),
    "cpu": ("cpu",), "config": ("config",), "changes": ("config",),
}


def select_events(events: list[LogEvent], query: str | None, limit: int) -> list[LogEvent]:
    """The most recent `limit` events matching any word of `query` (all events without one)."""
    words = [w for w in re.findall(r"[\w.:/-]+", (query or "").lower()) if len(w) >= 3]
    if words:
        needles = {n for w in words for n in _QUERY_ALIASES.get(w, (w,))}
        events = [e for e in events if any(n in f"{e.kind} {e.mnemonic} {e.message} {e.source or ''}".lower() for n in needles)]
    return events[-limit:]
