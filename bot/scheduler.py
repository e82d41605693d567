"""Scheduled work of `noc run`: the daily health report, the success-rate watch, housekeeping.

APScheduler 3's `AsyncIOScheduler` runs the jobs on the bot's event loop. The daily report's
`CronTrigger` is read in `report.timezone`, so "0 9 * * *" is 09:00 local on both sides of a
daylight saving change, with `coalesce=True` (several missed runs become one) and
`misfire_grace_time=report.misfire_grace_s` (a run missed by less runs late, once).

Exactly once with replicas: every replica schedules the job, and each run first claims
(report, local date) in the shared store (`claim_report`, one INSERT that only one replica can
win). The winner posts; the others log and stop. The claim is kept even if posting fails, so
a report is never posted twice; a failed run is marked `failed` in `report_runs`.

The inventory refresh (`inventory.refresh_s`) runs on every replica: each serves requests from its
own copy of the source of truth's devices (bot.inventory_ops).

A missed run: APScheduler knows only about misses while the process lives (a blocked loop, a
suspended machine). A bot that was down at 09:00 and starts at 09:20 learns of the miss at
start-up (`catch_up`): the latest fire time is looked up, and if its date is unclaimed it runs
now when within the grace, or is logged as skipped when not. `run_daily` checks the lateness
itself with the injected clock, so both paths follow one rule and tests need no sleeps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config.crontab import crontab_trigger

log = logging.getLogger(__name__)

DAILY = "daily-report"
WATCH = "agent-success-check"
CHANGES_SWEEP_S = 10  # how late a proposal's expiry or a stranded change's lease may be noticed
INVENTORY = "inventory-refresh"
_LOOKBACK = (timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=367))


class ReportSchedule:
    """The configured cron in its time zone: next and previous fire times for any instant."""

    def __init__(self, cron: str, tz: str) -> None:
        self.tz = ZoneInfo(tz)
        self.trigger = crontab_trigger(cron, self.tz)

    def next_fire(self, after: datetime) -> datetime | None:
        """The first fire time at or after `after`."""
        fire: datetime | None = self.trigger.get_next_fire_time(None, after.astimezone(self.tz))
        return fire

    def previous_fire(self, at: datetime) -> datetime | None:
        """The last fire time at or before `at` (None if there was none within a year)."""
        at = at.astimezone(self.tz)
        for back in _LOOKBACK:
            fire, last = self.next_fire(at - back), None
            while fire is not None and fire <= at:
                last = fire
                fire = self.trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            if last is not None:
                return last
        return None


class Scheduler:
    """The jobs, their APScheduler, and the one rule for a late or repeated daily run."""

    def __init__(self, settings: Any, store: Any, post_daily: Callable[[str], Awaitable[Any]], *,
                 watch: Callable[[float], Awaitable[Any]] | None = None, clock: Callable[[], float] = time.time,
                 changes: Callable[[], Awaitable[Any]] | None = None,
                 refresh_inventory: Callable[[], Awaitable[Any]] | None = None) -> None:
        self.settings = settings
        self.changes = changes  # the change desk's sweep: expired proposals, changes a stopped process left
        self.store = store
        self.post_daily = post_daily
        self.watch = watch
        self.refresh_inventory = refresh_inventory  # per replica: each serves requests from its own copy
        self.clock = clock
        self.schedule = ReportSchedule(settings.report.cron, settings.report.timezone)
        self.grace_s = settings.report.misfire_grace_s
        self.scheduler: AsyncIOScheduler | None = None

    @property
    def enabled(self) -> bool:
        return self.settings.report.channel is not None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    def start(self) -> AsyncIOScheduler:
        """Schedule the jobs on the running loop (call from `noc run`'s loop)."""
        scheduler = AsyncIOScheduler(timezone=self.schedule.tz)
        if self.enabled:
            scheduler.add_job(self.run_daily, self.schedule.trigger, id=DAILY, name="daily health report",
                              coalesce=True, misfire_grace_time=max(1, self.grace_s), max_instances=1, replace_existing=True)
        if self.watch is not None:
            scheduler.add_job(self.run_watch, CronTrigger(second=0, timezone=timezone.utc), id=WATCH, name="agent success watch",
                              coalesce=True, misfire_grace_time=30, max_instances=1, replace_existing=True)
        if self.changes is not None:
            scheduler.add_job(self.run_changes, IntervalTrigger(seconds=CHANGES_SWEEP_S), id="changes", name="change sweep",
                              coalesce=True, misfire_grace_time=CHANGES_SWEEP_S, max_instances=1, replace_existing=True)
        refresh_s = getattr(getattr(self.settings, "inventory", None), "refresh_s", 0)
        if self.refresh_inventory is not None and refresh_s > 0:
            scheduler.add_job(self.refresh_inventory, IntervalTrigger(seconds=refresh_s), id=INVENTORY, name="inventory refresh",
                              coalesce=True, misfire_grace_time=max(1, int(refresh_s)), max_instances=1, replace_existing=True)
        scheduler.add_job(self.housekeeping, CronTrigger(hour=3, minute=17, timezone=self.schedule.tz), id="housekeeping",
                          coalesce=True, misfire_grace_time=3600, max_instances=1, replace_existing=True)
        scheduler.start()
        self.scheduler = scheduler
        if self.enabled:
            scheduler.add_job(self.catch_up, id="catch-up", name="missed daily report")  # runs at once
        return scheduler

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None

    # -- the daily report ---------------------------------------------------------------------

    async def run_daily(self) -> str:
        """The job: the latest fire time is the run this call stands for (coalesced); late beyond
        the grace is skipped and logged; otherwise the replica that claims its date posts it."""
        now = self._now()
        fire = self.schedule.previous_fire(now)
        if fire is None:
            return "nothing due"
        day = fire.date().isoformat()
        late = (now - fire).total_seconds()
        if late > self.grace_s:
            log.warning("daily report for %s was due at %s and is %.0f s late, beyond the %d s grace: skipped",
                        day, fire.isoformat(), late, self.grace_s)
            return "skipped"
        if not await self.store.claim_report(DAILY, day):
            log.info("daily report for %s is claimed by another replica (or already posted)", day)
            return "claimed elsewhere"
        if late > 1:
            log.warning("daily report for %s runs %.0f s late (within the %d s grace)", day, late, self.grace_s)
        try:
            await self.post_daily(day)
        except BaseException:
            log.exception("daily report for %s failed", day)
            await self._finish(day, "failed")
            raise
        await self._finish(day, "posted")
        return "posted"

    async def catch_up(self) -> str | None:
        """At start-up: a fire time missed while no process ran, if its date is unclaimed."""
        fire = self.schedule.previous_fire(self._now())
        if fire is None:
            return None
        day = fire.date().isoformat()
        if any(r["day"] == day for r in await self.store.report_runs(DAILY)):
            return None
        return await self.run_daily()

    async def _finish(self, day: str, status: str) -> None:
        try:
            await self.store.finish_report(DAILY, day, status)
        except Exception:
            log.error("could not mark the daily report for %s %s", day, status, exc_info=True)

    # -- the minute watch and housekeeping ----------------------------------------------------

    async def run_watch(self) -> None:
        """Agent success rates, once a minute across all replicas (the minute is claimed)."""
        if self.watch is None:
            return
        now = self.clock()
        minute = datetime.fromtimestamp(now, timezone.utc).strftime("%Y-%m-%dT%H:%M")
        if await self.store.claim_report(WATCH, minute):
            await self.watch(now)

    async def run_changes(self) -> None:
        """Every CHANGES_SWEEP_S on every replica: the store's compare-and-set decides who acts."""
        if self.changes is None:
            return
        try:
            await self.changes()
        except Exception:
            log.error("change sweep failed", exc_info=True)

    async def housekeeping(self) -> None:
        """Retention: rows older than store.retention_days go (claims included); when any went,
        the store gives their space back (`Store.compact`: VACUUM), so the file does not keep
        the size of its busiest period for ever."""
        try:
            deleted = await self.store.cleanup()
        except Exception:
            log.error("store cleanup failed", exc_info=True)
            return
        if not any(deleted.values()):
            return
        try:
            size = await self.store.compact()
            log.info("store compacted after retention%s", f" ({size / 1e6:.1f} MB)" if size else "")
        except Exception:
            log.error("store compaction failed", exc_info=True)
