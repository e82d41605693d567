"""Live cost alerts: the day's model cost crossing `report.daily_cost_alert_usd`, and the day's
tokens reaching the hard budget (`resilience.daily_token_budget`).

The morning report tells yesterday's bill; a runaway loop or a burst of questions must be seen
while it is happening. After every stored answer the runtime calls `CostWatch.check`, which
reads the day's totals from the store (so every replica's spending counts) and, when a level is
crossed, claims `(cost-alert | budget-alert, day)` in `report_runs`, the same claim the daily
report makes for its date: exactly one replica of the set posts, once per day per level. The
alert names the top spenders by specialist and by requester (user ids as plain text: an alert
must not ping the people it lists), and is stored in `alerts` like the breaker alerts.

A post that fails keeps its claim (the claim is never taken over, as for the report); the
failure is logged and the stored alert says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from agents.resilience.guard import Resilience
from bot.config.settings import Settings
from bot.report.agent_health import DAY_S, local_midnight
from bot.report.fmt import usd
from bot.slack.blocks import escape
from bot.store import Store

log = logging.getLogger(__name__)

COST = "cost-alert"  # report_runs name of the cost level's claim; also the alerts' source
BUDGET = "budget-alert"  # the hard token budget's


class CostWatch:
    def __init__(self, settings: Settings, client: AsyncWebClient, store: Store, resilience: Resilience, *, clock: Callable[[], float] = time.time) -> None:
        self.channel: str | None = settings.alerts.channel or settings.report.channel
        self.level_usd: float = settings.report.daily_cost_alert_usd
        self.cost_tz = ZoneInfo(settings.report.timezone)  # the report's day: the bill it shows
        self.budget_tz = ZoneInfo(settings.resilience.timezone)  # the budget's own day
        self.client, self.store, self.resilience, self.clock = client, store, resilience, clock
        self._done: set[tuple[str, str]] = set()  # (level, day) this replica already claimed or saw claimed

    async def check(self) -> list[str]:
        """Post what crossed its level today and was not yet claimed; returns the levels posted."""
        now = self.clock()
        posted = []
        try:
            if self.level_usd > 0 and await self._cost_alert(now):
                posted.append(COST)
            if self.resilience.budget.enabled and await self._budget_alert(now):
                posted.append(BUDGET)
        except Exception:  # an answer was already delivered: a failed check is logged, never raised
            log.error("the live cost check failed", exc_info=True)
        return posted

    async def _cost_alert(self, now: float) -> bool:
        day = datetime.fromtimestamp(now, self.cost_tz).date()
        if (COST, day.isoformat()) in self._done:
            return False
        start = local_midnight(day, self.cost_tz)
        totals = await self.store.request_totals(start, now + 1)
        if totals["cost_usd"] < self.level_usd:
            return False
        head = (f":moneybag: *LLM cost today {usd(totals['cost_usd'])}* crossed the {usd(self.level_usd)} alert level "
                f"(`report.daily_cost_alert_usd`) after {totals['requests']} request(s)")
        return await self._claim_and_post(COST, day.isoformat(), head, start, now,
                                          {"cost_usd": totals["cost_usd"], "level_usd": self.level_usd, "requests": totals["requests"]})

    async def _budget_alert(self, now: float) -> bool:
        day = datetime.fromtimestamp(now, self.budget_tz).date()
        if (BUDGET, day.isoformat()) in self._done:
            return False
        limit = self.resilience.budget.limit_tokens
        used = max(self.resilience.budget.used, await self.store.tokens_used(day.isoformat()))
        if used < limit:
            return False
        start = local_midnight(day, self.budget_tz)
        head = (f":no_entry: *Daily token budget spent*: {used:,} of {limit:,} tokens (`resilience.daily_token_budget`). "
                f"Claude is not called again until {self.resilience.budget.resumes_at()}; the offline analysts answer meanwhile.")
        return await self._claim_and_post(BUDGET, day.isoformat(), head, start, now, {"tokens": used, "limit": limit})

    async def _claim_and_post(self, level: str, day: str, head: str, start: float, now: float, facts: dict[str, Any]) -> bool:
        claimed = await self.store.claim_report(level, day)
        self._done.add((level, day))  # claimed here or elsewhere: either way not this replica's to post again
        if not claimed:
            return False
        spenders = await self.store.top_spenders(start, min(now + 1, start + DAY_S + 3600))
        text = head + "\n" + _spenders_text(spenders)
        ts = await self._post(text)
        await self.store.open_alert(source=level, name=day, severity="high" if level == COST else "critical",
                                    fingerprint=f"{level}:{day}", summary=head.replace("*", ""), at=now,
                                    payload=facts | spenders, channel=self.channel if ts else None, thread_ts=ts)
        await self.store.finish_report(level, day, "posted" if ts or self.channel is None else "post-failed")
        return ts is not None

    async def _post(self, text: str) -> str | None:
        if self.channel is None:
            return None
        try:
            response = await self.client.chat_postMessage(channel=self.channel, text=text.splitlines()[0].replace("*", ""),
                                                          blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}])
            return str(response["ts"])
        except Exception:
            log.error("could not post the live cost alert to %s", self.channel, exc_info=True)
            return None


def _spenders_text(spenders: dict[str, list[dict[str, Any]]]) -> str:
    """Top spenders by specialist and by requester, one line each."""
    agents = ", ".join(f"{escape(r['name'])} {usd(r['cost_usd'])}" for r in spenders["specialists"]) or "none recorded"
    people = ", ".join(f"`{escape(str(r['name']))}` {usd(r['cost_usd'])} ({r['requests']} req.)" for r in spenders["requesters"]) or "none recorded"
    return f"Top specialists: {agents}\nTop requesters: {people}"
