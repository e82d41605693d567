"""Slack's pace per channel: one token bucket per channel, shared by every request in the process.

Why: Slack allows about one message per second per channel (short bursts allowed) and answers
429 beyond that; 200 concurrent requests in one channel made 110-221 posts, edits and stream
calls per second. Every call that puts or changes a message in a channel (`PACED_METHODS`) takes
a token from its channel's bucket first (`bot.slack.client.PacedWebClient`). Waiters are served
by priority, then in order: answers (and the final edit of a status message) before progress,
so under load progress waits, is coalesced per message by the sinks and may be dropped, while a
computed answer always gets its token. A 429 for a channel empties its bucket for Retry-After.

Why not aiolimiter (a maintained leaky bucket): it reads time from the running event loop and
wakes waiters with loop timers, so a test could only control its clock by replacing the event
loop that also serves the HTTP app and talks to the loopback Slack; and it has no priorities, so
answers would queue behind progress edits. This bucket takes `clock` and `sleep`, and one
dispatcher per channel is the only sleeper, so with a virtual clock time advances exactly as the
pace requires.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import TypeVar

ANSWER, PROGRESS = 0, 1
# Web API methods that post, change or remove a message in a channel.
PACED_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.delete", "chat.startStream", "chat.appendStream",
                           "chat.stopStream", "files.completeUploadExternal"})
_MAX_IDLE_BUCKETS = 1024  # above this many channels, full and idle buckets are forgotten

T = TypeVar("T")


@dataclass
class Turn:
    """One paced call as its caller sees it: its priority, and whether it may have reached Slack.

    A sink cancels a progress call that has not been made yet or is still queued for its token
    (nothing was sent), and lets one finish that has its token (it may be waiting out a 429)."""

    priority: int = ANSWER
    started: bool = False  # the caller has made the call
    waiting: bool = False  # ... and it is queued for its channel's token
    queued: asyncio.Event = field(default_factory=asyncio.Event)  # set when it had to queue

    @property
    def cancellable(self) -> bool:
        return not self.started or self.waiting


CURRENT_TURN: ContextVar[Turn | None] = ContextVar("slack_turn", default=None)


async def in_turn(turn: Turn, call: Callable[[], Awaitable[T]]) -> T:
    """Make a Slack call as `turn` (its priority; its state for the caller)."""
    token = CURRENT_TURN.set(turn)
    turn.started = True
    try:
        return await call()
    finally:
        CURRENT_TURN.reset(token)


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up; waiters by (priority, arrival)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float], sleep: Callable[[float], Awaitable[None]]) -> None:
        self.rate, self.burst, self.clock, self.sleep = rate, burst, clock, sleep
        self.tokens = float(burst)
        self.updated = clock()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None

    @property
    def idle(self) -> bool:
        self._refill()
        return not self._waiting and self.tokens >= self.burst

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def take(self, turn: Turn | None = None) -> bool:
        """Take a token, waiting for it if need be; True if it had to wait."""
        if not self._waiting:
            self._refill()
            if self.tokens >= 1:
                self.tokens -= 1
                return False
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heappush(self._waiting, (turn.priority if turn else ANSWER, next(self._seq), fut))
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch())
        if turn is not None:
            turn.waiting = True
            turn.queued.set()
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():  # granted, then cancelled before it ran: give it back
                self.tokens = min(float(self.burst), self.tokens + 1)
            raise
        finally:
            if turn is not None:
                turn.waiting = False
        return True

    def pause(self, seconds: float) -> None:
        """Slack said 429: nothing more into this channel for `seconds`, then the pace again."""
        self._refill()
        self.tokens = min(self.tokens, 0.0) - seconds * self.rate

    async def _dispatch(self) -> None:
        """The only sleeper of this bucket: hands out tokens as they accrue, best waiter first."""
        try:
            while True:
                while self._waiting and self._waiting[0][2].done():  # cancelled while waiting
                    heappop(self._waiting)
                if not self._waiting:
                    return
                self._refill()
                if self.tokens >= 1:
                    self.tokens -= 1
                    heappop(self._waiting)[2].set_result(None)
                else:
                    await self.sleep((1 - self.tokens) / self.rate)
        finally:
            self._dispatcher = None

    def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        for _, _, fut in self._waiting:
            fut.cancel()
        self._waiting.clear()


class ChannelPacer:
    """The buckets of all channels (`slack.channel_rate_per_s`, `slack.channel_burst`)."""

    def __init__(self, rate_per_s: float = 1.0, burst: int = 4, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.rate_per_s, self.burst, self.clock, self.sleep = rate_per_s, burst, clock, sleep
        self.buckets: dict[str, TokenBucket] = {}
        self.waited = 0  # calls that had to wait for a token
        self.paused = 0  # 429s that paused a channel

    def bucket(self, channel: str) -> TokenBucket:
        bucket = self.buckets.get(channel)
        if bucket is None:
            if len(self.buckets) >= _MAX_IDLE_BUCKETS:
                for name in [n for n, b in self.buckets.items() if b.idle]:
                    del self.buckets[name]
            bucket = self.buckets[channel] = TokenBucket(self.rate_per_s, self.burst, self.clock, self.sleep)
        return bucket

    async def take(self, channel: str, turn: Turn | None = None) -> None:
        if await self.bucket(channel).take(turn):
            self.waited += 1

    def pause(self, channel: str, seconds: float) -> None:
        self.paused += 1
        self.bucket(channel).pause(seconds)

    def close(self) -> None:
        for bucket in self.buckets.values():
            bucket.close()
