"""The daily token budget for Claude, reset at midnight in the configured time zone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


class DailyBudget:
    def __init__(self, limit_tokens: int, timezone: str = "UTC", *, clock: Callable[[], float] = time.time) -> None:
        self.limit_tokens = limit_tokens
        self.tz = ZoneInfo(timezone)
        self.clock = clock
        self._day: date | None = None
        self._used = 0
        self._lock = threading.Lock()

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

    def resumes_at(self) -> str:
        """When Claude is called again: the next midnight in the budget's time zone."""
        now = datetime.fromtimestamp(self.clock(), self.tz)
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), self.tz)
        return midnight.isoformat(timespec="minutes")
