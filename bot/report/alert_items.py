"""The report's alerts section: what needs a human today, worst first.

Breaker history comes from the store, where every replica records its transitions under
`<breaker>@<replica>` (bot.report.live_alerts), so the report sees a breaker that opened at night in any
process, with when, why and for how long. An episode still open is "open now" only for this
process; for another replica it is the last state that replica recorded (it may have stopped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.severity import Severity
from bot.report.agent_health import DAY_S, local_midnight, per_agent
from bot.report.fmt import duration, local_time, pct, usd
from bot.report.model import AgentRow, AlertItem

HISTORY_S = 7 * DAY_S  # transitions read to find episodes that began before the 24 h window
_KIND_ORDER = {"breaker": 0, "success_rate": 1, "budget": 2, "cost": 3, "requests": 4}


@dataclass
class Episode:
    """One breaker from opening to closing (or to its process stopping)."""

    name: str
    owner: str
    opened_at: float
    reason: str
    state: str = "open"
    ended_at: float | None = None
    ended_by: str | None = None  # closed | stopped
    reopened: int = 0


def episodes(transitions: list[dict[str, Any]]) -> list[Episode]:
    """Fold transitions (oldest first) into open episodes; `half_open -> open` is the same one."""
    current: dict[str, Episode] = {}
    out: list[Episode] = []
    for t in transitions:
        key = t["breaker"]
        name, _, owner = key.partition("@")
        ep, to = current.get(key), t["to_state"]
        if ep is None:
            if to in ("open", "half_open"):
                ep = current[key] = Episode(name=name, owner=owner, opened_at=t["at"], reason=t["reason"] or "", state=to)
                out.append(ep)
            continue
        if to in ("closed", "stopped"):
            ep.state, ep.ended_at, ep.ended_by = to, t["at"], to
            del current[key]
        else:
            ep.reopened += to == "open"
            ep.state = to
    return out


def breaker_items(transitions: list[dict[str, Any]], now: float, tz: ZoneInfo, *, owner: str | None = None,
                  live: dict[str, str] | None = None) -> list[AlertItem]:
    """Episodes open now or that began or ended in the last 24 h; `live` is this process's
    breakers that are not closed (name -> state), in case the store missed a transition."""
    eps = episodes(transitions)
    show_owner = len({e.owner for e in eps}) > 1
    items = []
    for ep in eps:
        if ep.ended_at is not None and ep.opened_at < now - DAY_S and ep.ended_at < now - DAY_S:
            continue
        who = f" (replica {':'.join(ep.owner.split(':')[:2])})" if show_owner and ep.owner else ""
        since = local_time(ep.opened_at, tz, now)
        if ep.ended_at is None:
            mine = owner is not None and ep.owner == owner
            state = (live or {}).get(ep.name, ep.state) if mine else ep.state
            note = "" if mine else "; last recorded state"
            title = (f"Circuit breaker {ep.name}{who} {state.replace('_', '-')} since {since} "
                     f"({duration(now - ep.opened_at)} so far{note})")
            severity = Severity.critical if ep.name == "llm-provider" else Severity.high
        else:
            end = "recovered" if ep.ended_by == "closed" else "ended when its process stopped"
            title = f"Circuit breaker {ep.name}{who} opened {since}, {end} after {duration(ep.ended_at - ep.opened_at)}"
            severity = Severity.medium
        again = f"; trial call failed {ep.reopened} time(s)" if ep.reopened else ""
        items.append(AlertItem(kind="breaker", severity=severity, title=title, detail=f"why: {ep.reason}{again}",
                               subject=ep.name, at=ep.opened_at, ongoing=ep.ended_at is None,
                               duration_s=(ep.ended_at or now) - ep.opened_at))
    known = {e.name for e in eps if e.ended_at is None and e.owner == owner}
    for name, state in sorted((live or {}).items()):
        if state != "closed" and name not in known:
            items.append(AlertItem(kind="breaker", severity=Severity.high, subject=name, ongoing=True,
                                   title=f"Circuit breaker {name} {state.replace('_', '-')} now",
                                   detail="its opening was not recorded in the store"))
    return items


def success_items(rows: list[AgentRow], floor: float, min_runs: int) -> list[AlertItem]:
    items = []
    for agent, w in sorted(per_agent(rows).items()):
        if w.runs >= min_runs and w.success_rate is not None and w.success_rate < floor:
            items.append(AlertItem(kind="success_rate", severity=Severity.high, subject=agent,
                                   title=f"Agent {agent} succeeded in {pct(w.success_rate)} of {w.runs} runs in the last 24 h "
                                         f"(floor {pct(floor)})"))
    return items


async def budget_items(store: Any, settings: Any, now: float, resilience: Any = None) -> list[AlertItem]:
    """Token budget use over 80% today or yesterday, in the budget's own time zone."""
    limit = settings.resilience.daily_token_budget
    if not limit:
        return []
    tz = ZoneInfo(settings.resilience.timezone)
    today = datetime.fromtimestamp(now, tz).date()
    yesterday = today - timedelta(days=1)
    live = resilience.budget.used if resilience is not None else 0
    used_today = max(live, await store.tokens_used(today.isoformat()))
    billed = await store.request_totals(local_midnight(yesterday, tz), local_midnight(today, tz))
    used_yesterday = max(await store.tokens_used(yesterday.isoformat()), billed["tokens"])
    items = []
    for label, used in (("today", used_today), ("yesterday", used_yesterday)):
        if used > 0.8 * limit:
            items.append(AlertItem(kind="budget", severity=Severity.high if used >= limit else Severity.medium, subject=label,
                                   title=f"Token budget {label}: {used:,} of {limit:,} tokens used ({used / limit:.0%})"))
    return items


async def cost_items(store: Any, settings: Any, now: float) -> list[AlertItem]:
    """Yesterday's LLM cost (report time zone) over `report.daily_cost_alert_usd`."""
    tz = ZoneInfo(settings.report.timezone)
    today = datetime.fromtimestamp(now, tz).date()
    totals = await store.request_totals(local_midnight(today - timedelta(days=1), tz), local_midnight(today, tz))
    threshold = settings.report.daily_cost_alert_usd
    if totals["cost_usd"] <= threshold:
        return []
    return [AlertItem(kind="cost", severity=Severity.high, subject="yesterday",
                      title=f"LLM cost yesterday {usd(totals['cost_usd'])} over the {usd(threshold)} alert level "
                            f"({totals['requests']} requests)")]


async def request_items(store: Any, now: float, tz: ZoneInfo) -> list[AlertItem]:
    """Requests that failed or were interrupted in the last 24 h: ids and what failed, never the
    question (a DM's question must not reach a channel)."""
    items = []
    for status in ("failed", "interrupted"):
        rows = await store.requests(status=status, since=now - DAY_S, limit=200)
        if not rows:
            continue
        shown = [f"{r['id']} ({r['source']}, {local_time(r['created_at'], tz, now)}"
                 + (f": {(r.get('error') or '').splitlines()[0][:80]}" if r.get("error") else "") + ")" for r in rows[:5]]
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        items.append(AlertItem(kind="requests", severity=Severity.medium, subject=status,
                               title=f"{len(rows)}{'+' if len(rows) == 200 else ''} request(s) {status} in the last 24 h",
                               detail="; ".join(shown) + more))
    return items


async def alert_items(store: Any, settings: Any, now: float, agents: list[AgentRow], *, resilience: Any = None) -> list[AlertItem]:
    tz = ZoneInfo(settings.report.timezone)
    live = None
    if resilience is not None:
        live = {b.name: b.current_state().value for b in resilience.breakers()}
    items = breaker_items(await store.breaker_transitions(since=now - HISTORY_S), now, tz, owner=store.owner, live=live)
    items += success_items(agents, settings.alerts.min_success_rate, settings.alerts.min_runs)
    items += await budget_items(store, settings, now, resilience)
    items += await cost_items(store, settings, now)
    items += await request_items(store, now, tz)
    items.sort(key=lambda a: (-a.severity.rank, _KIND_ORDER[a.kind], -(a.at or 0)))
    return items
