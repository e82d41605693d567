"""Global concurrency limits, served by priority. Requests beyond the request limit, and LLM calls
beyond the LLM limit, wait in order of priority (1 first), first come first served within one
priority, and are told their position (and told again as it changes).

Why priorities and not plain FIFO: when the limits bind, the step on the critical path (the
primary specialist, and whatever it waits for) should not queue behind a runbook lookup that
nothing waits on. The planner sets each step's priority; the step's LLM calls carry it through
`STEP_PRIORITY`, a context variable, so the Claude client needs no new argument.
"""

from __future__ import annotations

import asyncio
import itertools
from bisect import insort
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

PositionCallback = Callable[[int], Awaitable[None]]
DEFAULT_PRIORITY = 3
# The priority of the plan step running in this task (set by the supervisor around each step).
STEP_PRIORITY: ContextVar[int] = ContextVar("step_priority", default=DEFAULT_PRIORITY)


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    fut: asyncio.Future = field(compare=False)
    callback: PositionCallback | None = field(compare=False, default=None)


class RequestGate:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._notices: set[asyncio.Task] = set()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def slot(self, on_position: PositionCallback | None = None, priority: int = DEFAULT_PRIORITY):
        if self.active < self.limit and not self._waiting:
            self.active += 1
        else:
            waiter = _Waiter(priority, next(self._seq), asyncio.get_running_loop().create_future(), on_position)
            insort(self._waiting, waiter)
            at = self._waiting.index(waiter)
            if on_position is not None:
                await on_position(at + 1)
            self._tell_positions(start=at + 1)  # those it overtook moved back one place
            try:
                await waiter.fut  # the releaser hands its slot over (active stays the same)
            except asyncio.CancelledError:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
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
            self._tell_positions(start=0)
        else:
            self.active -= 1

    def _tell_positions(self, start: int) -> None:
        for position, waiter in enumerate(self._waiting[start:], start=start + 1):
            if waiter.callback is not None:
                task = asyncio.ensure_future(waiter.callback(position))
                self._notices.add(task)
                task.add_done_callback(self._notices.discard)
