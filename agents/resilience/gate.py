"""Global concurrency limits. Requests beyond the limit wait in FIFO order and are told their
position (and told again as it improves); LLM calls share a plain semaphore."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager

PositionCallback = Callable[[int], Awaitable[None]]


class RequestGate:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._waiting: list[tuple[asyncio.Future, PositionCallback | None]] = []
        self._notices: set[asyncio.Task] = set()

    @property
    def queued(self) -> int:
        return len(self._waiting)

    @asynccontextmanager
    async def slot(self, on_position: PositionCallback | None = None):
        if self.active < self.limit and not self._waiting:
            self.active += 1
        else:
            fut: asyncio.Future = asyncio.get_running_loop().create_future()
            entry = (fut, on_position)
            self._waiting.append(entry)
            if on_position is not None:
                await on_position(len(self._waiting))
            try:
                await fut  # the releaser hands its slot over (active stays the same)
            except asyncio.CancelledError:
                if entry in self._waiting:
                    self._waiting.remove(entry)
                elif fut.done() and not fut.cancelled():
                    self._release()  # we were handed a slot while being cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        if self._waiting:
            fut, _ = self._waiting.pop(0)
            fut.set_result(None)
            for position, (_, callback) in enumerate(self._waiting, start=1):
                if callback is not None:
                    task = asyncio.ensure_future(callback(position))
                    self._notices.add(task)
                    task.add_done_callback(self._notices.discard)
        else:
            self.active -= 1
