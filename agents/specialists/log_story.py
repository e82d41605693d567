"""A question about the logs, answered from the events: what happened, when, who changed what,
and what followed.

Why apart from log_evidence.py: that module folds log patterns into causes (a timeline for a down
session, a login attack); this one tells the log itself, for "what happened recently in the logs
of X?", where a quiet network with a busy log is not "No fault found". The events shown are the
device's own lines (time, mnemonic, message), so the evidence is in the answer.
"""

from __future__ import annotations

import re

from agents.network.parsers import canonical_interface
from agents.tools.logs import LogEvent
from agents.tools.results import LogSearch

_NOTABLE_KINDS = {"adjacency", "link", "cpu", "environment", "config", "login_failed", "login_blocked", "login_success"}
_SHOWN = 4  # notable events quoted per device; the rest are counted
_INTERFACE_TOKEN = re.compile(r"\b[a-z][a-z-]*\d+(?:/\d+)+(?:\.\d+)?\b|\b[a-z]+ethernet ?\d+\b", re.IGNORECASE)  # Gi2/0/3, Ethernet1


def _notable(e: LogEvent) -> bool:
    return e.kind in _NOTABLE_KINDS or (e.severity is not None and e.severity <= 3) or "RESTART" in e.mnemonic or "COLDSTART" in e.mnemonic


_MESSAGE_CHARS = 160  # a restart banner runs to several hundred characters: its first words say it


def _line(e: LogEvent) -> str:
    message = e.message if len(e.message) <= _MESSAGE_CHARS else e.message[:_MESSAGE_CHARS].rsplit(" ", 1)[0] + " ..."
    return f"{e.time} {e.mnemonic}: {message}".strip()


def _change(e: LogEvent) -> str:
    who = f" by {e.user}" if e.user else ""
    where = f" from {e.source}" if e.source else ""
    return f"configuration changed{who}{where} at {e.time}"


def logged_changes(logs: dict[str, LogSearch]) -> list[tuple[str, str]]:
    """(device, "configuration changed by USER from ADDR at TIME") for every change the logs hold, newest last."""
    return [(d, _change(e)) for d in sorted(logs) for e in logs[d].events if e.kind == "config"]


def device_story(device: str, search: LogSearch) -> str:
    """One sentence group for one device's log, or '' when it logged nothing readable."""
    events = search.events
    if not events:
        return ""
    total = max(search.total_events, len(events))
    parts = [f"Log of {device}: {total} event(s), {events[0].time} to {events[-1].time}"]
    changes = [e for e in events if e.kind == "config"]
    if changes:
        last = changes[-1]
        after = [e for e in events[events.index(last) + 1:] if _notable(e) and e.kind != "config"]
        followed = f", followed by {_line(after[0])}" if after else "; nothing notable logged after it"
        more = f" ({len(changes)} configuration changes in all)" if len(changes) > 1 else ""
        parts.append(f"{_change(last)}{more}{followed}")
    notable = [e for e in events if _notable(e) and e.kind != "config"]
    if notable:
        shown = notable[-_SHOWN:]
        extra = f" (and {len(notable) - len(shown)} earlier)" if len(notable) > len(shown) else ""
        parts.append("recent notable events: " + "; ".join(_line(e) for e in shown) + extra)
    elif not changes:
        parts.append("nothing above notice level; latest: " + _line(events[-1]))
    return ". ".join(parts) + "."


def log_story(logs: dict[str, LogSearch]) -> str:
    """The story of every device's log, devices in name order ('' when no device logged anything)."""
    return " ".join(s for s in (device_story(d, logs[d]) for d in sorted(logs)) if s)


def link_changes(logs: dict[str, LogSearch], subjects: frozenset[str], question: str = "") -> str:
    """'MgmtEth0/RP0/CPU0/0 went down at T and came back up at T2 (ncs-pe1)' for the links the logs saw
    change state, when the question is about interfaces or names the interface ('' otherwise, or
    when none did).

    Why: "did the management interface go down?" is answered by the log even when the link is up
    now and flapped too few times to be a pattern; a healthy interface table alone says "no"."""
    named = {canonical_interface(t) for t in _INTERFACE_TOKEN.findall(question)}
    parts = []
    for device in sorted(logs):
        changes: dict[str, list[LogEvent]] = {}
        for e in logs[device].events:
            if e.kind == "link" and e.interface and e.state in ("up", "down") and ("interface" in subjects or canonical_interface(e.interface) in named):
                changes.setdefault(e.interface, []).append(e)
        for name, events in list(changes.items())[-_SHOWN:]:
            downs = [e for e in events if e.state == "down"]
            if not downs:
                continue
            back = next((e for e in events[events.index(downs[-1]) + 1:] if e.state == "up"), None)
            again = f" ({len(downs)} down events)" if len({e.time for e in downs}) > 1 else ""
            parts.append(f"{name} went down at {downs[0].time}{again}" + (f" and came back up at {back.time}" if back else " and the log shows no recovery")
                         + f" ({device})")
    return "; ".join(parts)
