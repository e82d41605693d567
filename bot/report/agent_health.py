"""Agent health for the report: per specialist and instance over 24 h and 7 days, and per day.

Read from the store's agent runs, not from the pools in memory: a restart, or a report posted
by another replica, must still see yesterday's failures. Days are local days in the report's
time zone, so the chart's "Tuesday" is the NOC's Tuesday.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.report.model import AgentRow, AgentsSection, AgentWindow, ConfidenceRow, DailyPoint

DAY_S = 86400.0
CHART_DAYS = 7
# Confidence bands of the report; the /metrics histogram (noc_answer_confidence_ratio) has finer buckets.
# Named in words: "<" and ">" would be Slack markup in a report line.
CONFIDENCE_BANDS = ((0.5, "under 0.5"), (0.7, "0.5-0.7"), (0.9, "0.7-0.9"), (math.inf, "0.9 and up"))


def _window(stat: dict[str, Any] | None) -> AgentWindow:
    if stat is None:
        return AgentWindow()
    return AgentWindow(runs=stat["runs"], success_rate=round(stat["success_rate"], 4),
                       latency_p50_s=round(stat["latency_p50_s"], 3), latency_p95_s=round(stat["latency_p95_s"], 3),
                       failures=dict(stat["failures"]), tokens=int(stat["tokens"]), cost_usd=round(float(stat["cost_usd"]), 6))


def _p95(values: list[float]) -> float | None:
    """Nearest rank, like the store's percentiles: a latency that was really observed."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def local_midnight(day: date, tz: ZoneInfo) -> float:
    return datetime.combine(day, time.min, tz).timestamp()


def chart_days(now: float, tz: ZoneInfo, days: int = CHART_DAYS) -> list[date]:
    """The last `days` local dates, today included, oldest first."""
    today = datetime.fromtimestamp(now, tz).date()
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def daily_points(runs: list[dict[str, Any]], days: list[date], tz: ZoneInfo) -> list[DailyPoint]:
    """Success rate and p95 latency per agent and local day (None on days without runs)."""
    buckets: dict[tuple[str, date], list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        buckets[(run["agent"], datetime.fromtimestamp(run["at"], tz).date())].append(run)
    agents = sorted({agent for agent, _ in buckets})
    points = []
    for agent in agents:
        for day in days:
            chunk = buckets.get((agent, day), [])
            ok = sum(1 for r in chunk if r["status"] == "success")
            p95 = _p95([float(r["duration_s"] or 0.0) for r in chunk])
            points.append(DailyPoint(agent=agent, day=day.isoformat(), runs=len(chunk),
                                     success_rate=round(ok / len(chunk), 4) if chunk else None,
                                     latency_p95_s=round(p95, 3) if p95 is not None else None))
    return points


def confidence_rows(runs: list[dict[str, Any]], since: float) -> list[ConfidenceRow]:
    """Per specialist: answers since `since`, their median and 10th-percentile confidence, and the
    count per band. Failed runs carry no answer, so no confidence; they are left out."""
    per_agent: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        if run["at"] >= since and run["status"] in ("success", "partial") and run.get("confidence") is not None:
            per_agent[run["agent"]].append(float(run["confidence"]))
    rows = []
    for agent, values in sorted(per_agent.items()):
        ordered = sorted(values)
        bands = {label: 0 for _, label in CONFIDENCE_BANDS}
        for v in ordered:
            bands[next(label for upper, label in CONFIDENCE_BANDS if v < upper)] += 1
        middle = len(ordered) // 2
        median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
        low = ordered[max(0, math.ceil(0.1 * len(ordered)) - 1)]
        rows.append(ConfidenceRow(agent=agent, answers=len(ordered), median=round(median, 3), low=round(low, 3), bands=bands))
    return rows


async def agents_section(store: Any, now: float, tz: ZoneInfo) -> AgentsSection:
    last_day = {(s["agent"], s["instance"]): s for s in await store.agent_stats(since=now - DAY_S)}
    last_week = {(s["agent"], s["instance"]): s for s in await store.agent_stats(since=now - 7 * DAY_S)}
    rows = [AgentRow(agent=agent, instance=instance, last_24h=_window(last_day.get((agent, instance))),
                     last_7d=_window(last_week.get((agent, instance))))
            for agent, instance in sorted(last_week, key=lambda k: (k[0], k[1] or ""))]
    days = chart_days(now, tz)
    runs = await store.agent_runs_between(local_midnight(days[0], tz), now + 1)
    return AgentsSection(rows=rows, days=[d.isoformat() for d in days], daily=daily_points(runs, days, tz),
                         confidence=confidence_rows(runs, now - DAY_S))


def per_agent(rows: list[AgentRow], window: str = "last_24h") -> dict[str, AgentWindow]:
    """Instances summed per specialist: the success rate the alert floor is about."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"runs": 0, "ok": 0})
    for row in rows:
        w: AgentWindow = getattr(row, window)
        totals[row.agent]["runs"] += w.runs
        totals[row.agent]["ok"] += round((w.success_rate or 0.0) * w.runs)
    return {agent: AgentWindow(runs=int(t["runs"]), success_rate=(t["ok"] / t["runs"]) if t["runs"] else None)
            for agent, t in totals.items()}
