"""A circuit breaker with weighted failure kinds, a sliding window and an injectable clock.

Written here rather than taken from pybreaker/purgatory/aiobreaker because none of them weighs
failures by kind (a rate limit should count less than an invalid answer, an auth error should
open at once) or counts them within a time window; the whole state machine is ~80 lines:

    closed --(weighted failures in window >= threshold, or an open-at-once kind)--> open
    open --(recovery timeout elapsed)--> half-open: exactly one trial call is let through
    half-open --success--> closed;  half-open --failure--> open (timer restarts)

Every transition calls `on_change(breaker, old, new, reason)`: logs, metrics and progress
notices hang off that one hook.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from agents.config import BreakerConfig

log = logging.getLogger(__name__)


class BreakerState(str, Enum):
    closed = "closed"
    half_open = "half_open"
    open = "open"

    @property
    def level(self) -> int:
        return {"closed": 0, "half_open": 1, "open": 2}[self.value]


ChangeHook = Callable[["CircuitBreaker", BreakerState, BreakerState, str], None]


class CircuitBreaker:
    def __init__(self, name: str, config: BreakerConfig, *, clock: Callable[[], float] = time.monotonic,
                 on_change: ChangeHook | None = None) -> None:
        self.name = name
        self.config = config
        self.clock = clock
        self.on_change = on_change
        self.state = BreakerState.closed
        self.opened_at: float | None = None
        self.transitions = 0
        self._failures: deque[tuple[float, float]] = deque()  # (time, weight)
        self._trial_in_flight = False
        self._lock = threading.Lock()

    def _set(self, new: BreakerState, reason: str) -> None:
        old, self.state = self.state, new
        if old == new:
            return
        self.transitions += 1
        self.opened_at = self.clock() if new == BreakerState.open else self.opened_at
        if new == BreakerState.closed:
            self._failures.clear()
            self.opened_at = None
        log.warning("breaker %s: %s -> %s (%s)", self.name, old.value, new.value, reason)
        if self.on_change is not None:
            self.on_change(self, old, new, reason)

    def _weighted_failures(self, now: float) -> float:
        while self._failures and now - self._failures[0][0] > self.config.window_s:
            self._failures.popleft()
        return sum(w for _, w in self._failures)

    def current_state(self) -> BreakerState:
        """The state, moving open -> half-open once the recovery timeout has passed."""
        with self._lock:
            self._maybe_half_open()
            return self.state

    def _maybe_half_open(self) -> None:
        if self.state == BreakerState.open and self.opened_at is not None and self.clock() - self.opened_at >= self.config.recovery_timeout_s:
            self._set(BreakerState.half_open, f"recovery timeout of {self.config.recovery_timeout_s:g}s elapsed")
            self._trial_in_flight = False

    def allow(self) -> bool:
        """May a call go through now? In half-open exactly one trial call is allowed at a time."""
        with self._lock:
            self._maybe_half_open()
            if self.state == BreakerState.closed:
                return True
            if self.state == BreakerState.half_open and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def would_allow(self) -> bool:
        """Like `allow` but without taking the half-open trial slot (for choosing instances)."""
        with self._lock:
            self._maybe_half_open()
            return self.state == BreakerState.closed or (self.state == BreakerState.half_open and not self._trial_in_flight)

    def record_success(self) -> None:
        with self._lock:
            self._trial_in_flight = False
            if self.state != BreakerState.closed:
                self._set(BreakerState.closed, "trial call succeeded")

    def record_failure(self, kind: str) -> None:
        with self._lock:
            now = self.clock()
            self._trial_in_flight = False
            if self.state == BreakerState.half_open:
                self._set(BreakerState.open, f"trial call failed ({kind})")
                return
            if self.state == BreakerState.open:
                return
            if kind in self.config.open_at_once:
                self._set(BreakerState.open, f"{kind} failure opens at once")
                return
            # weights is keyed by the known kinds; any other kind (a new error class) weighs 1.0
            self._failures.append((now, next((w for k, w in self.config.weights.items() if k == kind), 1.0)))
            total = self._weighted_failures(now)
            if total >= self.config.failure_threshold:
                self._set(BreakerState.open, f"weighted failures {total:g} >= {self.config.failure_threshold:g} within {self.config.window_s:g}s (last: {kind})")

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a trial call through (0 when not open)."""
        if self.state != BreakerState.open or self.opened_at is None:
            return 0.0
        return max(0.0, self.config.recovery_timeout_s - (self.clock() - self.opened_at))
