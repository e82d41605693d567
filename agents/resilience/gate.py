"""Global concurrency limits, served by priority. Requests beyond the request limit, and LLM calls
beyond the LLM limit, wait in order of priority (1 first), first come first served within one
priority, and are told their position when they join the queue and again when it reaches one of
`MILESTONES` (or, overtaken, falls back to one).

Why milestones and not every change: each release moves every waiter up one place, so telling
every waiter every change costs n*(n-1)/2 notices for n queued requests (25,224 callbacks for
200). With a fixed set of milestones a release or an insertion tells at most len(MILESTONES)
waiters (those now standing on a milestone), so the total is linear in requests; between
milestones a waiter's last figure stands, and "next in line" is always told.

Why priorities and not plain FIFO: when the limits bind, the step on the critical path (the
primary specialist, and whatever it waits for) should not queue behind a runbook lookup that
nothing waits on. The planner sets each step's priority; the step's LLM calls carry it through
the request's context (agents/context.py `step_priority`), so the Claude client needs no new argument.
"""

from __future__ import annotations

import asyncio
import itertools
from bisect import insort
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from agents.context import DEFAULT_PRIORITY

PositionCallback = Callable[[int], Awaitable[None]]
# Queue positions (1 = next in line) at which a waiter is told again, besides when it joins.
MILESTONES = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    fut: asyncio.Future[None] = field(compare=False)
    callback: PositionCallback | None = field(compare=False, default=None)
    told: int | None = field(compare=False, default=None)  # the last position this waiter was told


class RequestGate:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._notices: set[asyncio.Task[None]] = set()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def slot(self, on_position: PositionCallback | None = None, priority: int = DEFAULT_PRIORITY) -> AsyncIterator[None]:
        if self.active < self.limit and not self._waiting:
            self.active += 1
        else:
            waiter = _Waiter(priority, next(self._seq), asyncio.get_running_loop().create_future(), on_position)
            insort(self._waiting, waiter)
            at = self._waiting.index(waiter)
            waiter.told = at + 1
            self._tell_moved(start=at + 1)  # those it overtook moved back one place
            if on_position is not None:
                await on_position(at + 1)
            try:
                await waiter.fut  # the releaser hands its slot over (active stays the same)
            except asyncio.CancelledError:
                if waiter in self._waiting:
                    gone = self._waiting.index(waiter)
                    del self._waiting[gone]
                    self._tell_moved(start=gone)  # those behind it moved up one place
                elif waiter.fut.done() and not waiter.fut.cancelled():
                    self._release()  # we were handed a slot while being cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        if self._waiting:
            self._waiting.pop(0).fut.set_result(None)
            self._tell_moved(start=0)
        else:
            self.active -= 1

    def _tell_moved(self, start: int) -> None:
        """The waiters from index `start` on have moved one place: tell those now standing on a
        milestone they were not told yet (at most len(MILESTONES) of them, whatever the queue)."""
        for position in MILESTONES:
            if position > len(self._waiting):
                return
            waiter = self._waiting[position - 1]
            if position - 1 < start or waiter.told == position:
                continue
            waiter.told = position
            if waiter.callback is not None:
                task = asyncio.ensure_future(waiter.callback(position))
                self._notices.add(task)
                task.add_done_callback(self._notices.discard)
