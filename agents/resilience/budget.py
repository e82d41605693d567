"""The daily token budget for Claude, reset at midnight in the configured time zone.

Why a ledger: the budget is cost control, so it must survive a restart and be shared by every
replica. The budget keeps a local count (checked synchronously before each call) and, when a
`BudgetLedger` is attached (the bot's store), adds each call's tokens to the shared day total
and takes the returned total as the truth, which includes what other replicas spent. A ledger
that cannot be reached leaves the local count in charge: the budget never blocks on storage.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)


class BudgetLedger(Protocol):
    """Shared storage of tokens spent per budget day (ISO date in the budget's time zone)."""

    async def add_tokens(self, day: str, tokens: int) -> int: ...

    async def tokens_used(self, day: str) -> int: ...


class DailyBudget:
    def __init__(self, limit_tokens: int, timezone: str = "UTC", *, clock: Callable[[], float] = time.time) -> None:
        self.limit_tokens = limit_tokens
        self.tz = ZoneInfo(timezone)
        self.clock = clock
        self._day: date | None = None
        self._used = 0
        self._lock = threading.Lock()
        self.ledger: BudgetLedger | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock(), self.tz).date()

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used = today, 0

    @property
    def used(self) -> int:
        with self._lock:
            self._roll()
            return self._used

    @property
    def enabled(self) -> bool:
        return self.limit_tokens > 0

    def spent(self) -> bool:
        return self.enabled and self.used >= self.limit_tokens

    def add(self, tokens: int) -> None:
        with self._lock:
            self._roll()
            self._used += tokens
            day = self._day
        if self.ledger is not None and tokens and day is not None:
            try:
                task = asyncio.get_running_loop().create_task(self._share(day, tokens))
            except RuntimeError:  # no loop (a synchronous caller): the local count stands
                return
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _share(self, day: date, tokens: int) -> None:
        try:
            total = await self.ledger.add_tokens(day.isoformat(), tokens)  # type: ignore[union-attr]
        except Exception:
            log.warning("could not add %d tokens to the shared budget; counting locally", tokens, exc_info=True)
            return
        self._take(day, total)

    def _take(self, day: date, total: int) -> None:
        with self._lock:
            self._roll()
            if day == self._day:
                self._used = max(self._used, total)

    async def attach(self, ledger: BudgetLedger) -> None:
        """Share the budget through `ledger` and start from what today already spent there."""
        self.ledger = ledger
        await self.refresh()

    async def refresh(self) -> None:
        """Take in what every replica spent today (start-up, and periodically)."""
        if self.ledger is None:
            return
        day = self._today()
        try:
            total = await self.ledger.tokens_used(day.isoformat())
        except Exception:
            log.warning("could not read the shared budget; counting locally", exc_info=True)
            return
        self._take(day, total)

    async def flush(self) -> None:
        """Wait until every addition reached the ledger (shutdown and tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def resumes_at(self) -> str:
        """When Claude is called again: the next midnight in the budget's time zone."""
        now = datetime.fromtimestamp(self.clock(), self.tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), self.tz)
        return midnight.isoformat(timespec="minutes")
