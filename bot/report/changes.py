"""What changed since the last report: configuration drift, neighbour states, findings.

The comparison is with the previous report's sweep as stored (so it survives restarts and
works across replicas). Drift is summarised from the stored snapshots, which are redacted
already, and the summary says only how many lines moved and in which top-level sections: the
channel is readable by viewers and configuration needs the operator role, so no configuration
line is ever shown. Section names pass `redact` once more and are cut to their keywords.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from agents.severity import Severity
from agents.tools.redact import REDACTED, redact
from bot.report.model import ChangesSection, DeviceRow, DriftItem, FindingChange, NeighborChange, TriagedAlert

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAX_SECTIONS = 6


def _top_level(lines: list[str], index: int) -> int:
    """Index of the top-level line a (possibly indented) line belongs to."""
    i = index
    while i > 0 and lines[i][:1] in (" ", "\t"):
        i -= 1
    return i


def _section_name(lines: list[str], top: int) -> str:
    """Keywords of a section: two words for a block ('interface Gi0/1', 'router bgp'), one for a
    single command ('snmp-server', 'ntp'), so no value or secret can appear."""
    words = lines[top].replace("{", " ").split()
    if not words:
        return ""
    has_children = top + 1 < len(lines) and lines[top + 1][:1] in (" ", "\t")
    name = " ".join(words[:2] if has_children else words[:1])
    try:
        cleaned = redact(name)
    except Exception:  # fail closed: a name that cannot be checked is not shown
        return "(section)"
    return "(section)" if cleaned != name or REDACTED in cleaned else name


def drift_summary(device: str, at: float, old_text: str, new_text: str) -> DriftItem:
    """Lines added and removed between two redacted snapshots, and the sections they are in."""
    old, new = old_text.splitlines(), new_text.splitlines()
    added = removed = 0
    sections: dict[str, None] = {}
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed += i2 - i1
        added += j2 - j1
        for lines, start, end in ((old, i1, i2), (new, j1, j2)):
            for index in range(start, end):
                if lines[index].strip() and lines[index].strip() != "!":
                    name = _section_name(lines, _top_level(lines, index))
                    if name:
                        sections[name] = None
    return DriftItem(device=device, at=at, added=added, removed=removed, sections=list(sections)[:_MAX_SECTIONS])


def _finding_key(device: str, kind: str, message: str) -> tuple[str, str, str]:
    # Numbers change from one sweep to the next (CPU 91% -> 93%); the finding is the same one.
    return device, kind, _NUMBER.sub("#", message)


def _findings(row: dict[str, Any]) -> dict[tuple[str, str, str], tuple[str, Severity, str]]:
    out: dict[tuple[str, str, str], tuple[str, Severity, str]] = {}
    for p in row.get("problems", []):
        out[_finding_key(row["device"], p["kind"], p["message"])] = ("health", Severity(p["severity"]), p["message"])
    for rule_id, title in (row.get("audit_titles") or {}).items():
        severity, _, text = title.partition(": ")
        out[(row["device"], "audit", rule_id)] = ("audit", Severity(severity) if severity in Severity.__members__ else Severity.info,
                                                  f"audit: {text or rule_id}")
    return out


def _neighbor_changes(device: str, before: dict[str, Any], after: dict[str, Any]) -> list[NeighborChange]:
    old = {(n["protocol"], n["address"]): n for n in before.get("neighbors", [])}
    new = {(n["protocol"], n["address"]): n for n in after.get("neighbors", [])}
    changes = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        was, now = (a["state"] if a else "absent"), (b["state"] if b else "absent")
        if was != now:
            peer = (b or a or {}).get("peer_device")
            changes.append(NeighborChange(device=device, protocol=key[0], address=key[1], peer_device=peer, before=was, after=now))
    return changes


def compare(previous: dict[str, Any] | None, rows: list[DeviceRow], drift: list[DriftItem]) -> ChangesSection:
    """Changes between the stored previous sweep (`{"at", "result": {"devices": [...]}}`) and now."""
    if previous is None:
        return ChangesSection(since=None, drift=drift)
    before = {r["device"]: r for r in previous["result"].get("devices", [])}
    neighbors: list[NeighborChange] = []
    findings: list[FindingChange] = []
    for row in rows:
        old = before.get(row.device)
        if old is None:
            continue
        now = row.model_dump(mode="json")
        if old.get("reachable", True) != row.reachable:
            findings.append(FindingChange(device=row.device, change="resolved" if row.reachable else "new", source="health",
                                          severity=Severity.high, text=f"{row.device} unreachable"))
            continue
        if not row.reachable:
            continue
        neighbors += _neighbor_changes(row.device, old, now)
        was, is_ = _findings(old), _findings(now)
        for key in is_.keys() - was.keys():
            source, severity, text = is_[key]
            findings.append(FindingChange(device=row.device, change="new", source=source, severity=severity, text=text))
        for key in was.keys() - is_.keys():
            source, severity, text = was[key]
            findings.append(FindingChange(device=row.device, change="resolved", source=source, severity=severity, text=text))
    findings.sort(key=lambda f: (f.change != "new", -f.severity.rank, f.device, f.text))
    return ChangesSection(since=previous["at"], drift=drift, neighbors=neighbors, findings=findings)


async def triaged_alerts(store: Any, since: float) -> list[TriagedAlert]:
    """Monitoring alerts (bot.triage) since `since`, each with its investigation's outcome."""
    out = []
    for row in await store.alerts(since=since):
        if row["source"] not in ("alertmanager", "generic"):
            continue
        payload = row.get("payload") or {}
        found = await store.answer(payload["request_id"]) if payload.get("request_id") else None
        outcome = (f"{found[0].severity.value} severity, confidence {found[0].confidence:.2f}: {found[0].summary.splitlines()[0][:160]}"
                   if found else "no answer stored")
        out.append(TriagedAlert(at=row["at"], name=row["name"], device=payload.get("device"), status=row["status"],
                                flaps=int(payload.get("flaps", 0)), outcome=outcome))
    return out
