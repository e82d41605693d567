"""What the store remembers, for the terminal: `noc requests` and `noc audit-log`.

Kept apart from the CLI so the rendering can be tested without a store and the CLI stays a thin
layer of options. Times are shown in UTC so two operators in different zones read the same line.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_since(text: str, now: float) -> float:
    """`24h`, `30m`, `7d`, `2w`, `90s`, or a date/time (`2026-11-01`, `2026-11-01T08:00`, UTC
    unless it names a zone) -> a POSIX timestamp. ValueError with a message a person can act on."""
    match = _DURATION.match(text)
    if match:
        return now - float(match.group(1)) * _UNITS[match.group(2).lower()]
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--since {text!r}: use a duration such as 24h, 30m, 7d, or a date such as 2026-11-01") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_json(row: dict[str, Any]) -> dict[str, Any]:
    """One request as JSON: times as ISO strings next to the raw seconds."""
    out = {k: v for k, v in row.items() if k not in ("route_json",)}
    for key in ("created_at", "started_at", "finished_at", "lease_until"):
        if key in out:
            out[f"{key}_iso"] = iso(out[key])
    return out


def render_requests(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No requests match."
    lines = [f"{'received':20}  {'status':11}  {'id':12}  {'user':10}  {'channel':10}  {'took':>6}  {'tokens':>7}  question"]
    for r in rows:
        took = f"{r['duration_s']:.1f}s" if r.get("duration_s") is not None else "-"
        question = " ".join(str(r.get("question") or "").split())
        if len(question) > 60:
            question = question[:59] + "…"
        lines.append(f"{iso(r['created_at']):20}  {r['status']:11}  {str(r['id'])[:12]:12}  {str(r.get('user_id') or '-')[:10]:10}  "
                     f"{str(r.get('channel') or '-')[:10]:10}  {took:>6}  {int(r.get('tokens') or 0):>7}  {question}")
        if r["status"] in ("failed", "interrupted") and r.get("error"):
            lines.append(f"{'':20}  ↳ {r['error']}")
    return "\n".join(lines)


def render_audit(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No audit events match."
    lines = [f"{'when':20}  {'outcome':8}  {'user':12}  {'channel':12}  {'command':20}  reason"]
    for e in rows:
        lines.append(f"{iso(e['at']):20}  {e['outcome']:8}  {str(e.get('user_id') or '-'):12}  {str(e.get('channel') or '-'):12}  "
                     f"{e['command']:20}  {e.get('reason') or ''}".rstrip())
    return "\n".join(lines)


def audit_json(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "at_iso": iso(row["at"])}
