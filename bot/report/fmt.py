"""Small formatting shared by the report's Slack, text and alert renderings."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def duration(seconds: float) -> str:
    """`45 s`, `4 min`, `2 h 5 min`, `3 d 4 h`: as precise as a reader needs, no more."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{round(s / 60)} min"
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(round(s / 3600), 24)
    return f"{d} d {h} h" if h else f"{d} d"


def local_time(ts: float, tz: ZoneInfo, ref: float | None = None) -> str:
    """`08:12`, or `Mar 28 23:10` when `ts` is on another local day than `ref`."""
    at = datetime.fromtimestamp(ts, tz)
    if ref is not None and datetime.fromtimestamp(ref, tz).date() == at.date():
        return at.strftime("%H:%M")
    return at.strftime("%b %d %H:%M")


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def usd(value: float) -> str:
    return f"${value:,.2f}"
