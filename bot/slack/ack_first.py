"""Acks before work: what a listener does after its ack waits while other Slack requests are
still waiting for theirs.

Why: every request shares one event loop. In a burst (200 mentions and slash commands at once)
the work each listener starts after acking (claiming the event in the store, routing and
authorising the question, starting the analysis) was interleaved with the later requests'
parsing and verification, so the last acks waited for most of the burst's work: ack p99 grew
with the burst. Slack retries an event that is not acked within 3 s, and a user sees "failed"
for a slash command; the work itself loses nothing by starting a few milliseconds later.

`middleware` counts the requests to /slack/events being handled (outermost, so a request counts
while the guard screens it too); `wait()` returns once none has been for `quiet_s` (no request
began in that time either), or after `max_wait_s`, so under a steady stream the work is delayed
at most that long and never starved. The quiet period matters for a burst from many
connections: the count touches zero between arrivals, and work released at such a moment (event
claims in the store's threads, routing a question to decide its role) ran between the later
requests' acks; through a real `noc run` that was most of the ack p99 at 200 concurrent. `handled` keeps how long the last requests took inside the bot,
from the middleware to the response (bench/slack_load.py reports it beside what its client saw).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# When (time.perf_counter()) a request to the events path began, for whoever acks it.
STARTED = web.RequestKey("noc_started", float)


class AckFirst:
    def __init__(self, path: str = "/slack/events", max_wait_s: float = 1.0, quiet_s: float = 0.02) -> None:
        self.path, self.max_wait_s, self.quiet_s = path, max_wait_s, quiet_s
        self.in_flight = 0
        self.started = 0  # requests begun so far: a quiet period is one in which this did not change
        self.last_began = 0.0  # time.monotonic() when the last of them began
        self.waiting = 0  # listeners holding their work back
        self.handled: deque[float] = deque(maxlen=10_000)  # seconds per request, newest last
        # Listener tasks past their ack whose work may not be spawned yet: a graceful stop waits
        # for them too (Runtime.drain), or an acked event could be dropped between its ack and
        # `runtime.spawn` (a rolling restart lost it). The listeners start that work with `start`.
        self.listeners: set[asyncio.Task[Any]] = set()
        # Which requests the listeners ack with nothing before any work, by their parsed body: the
        # front door (bot.server.slack_door) acks those itself and hands them to Bolt after the
        # burst. Set by the composition root (handlers.app), which knows its listeners; None: Bolt
        # acks every request.
        self.acked_empty: Callable[[dict[str, Any]], bool] | None = None
        self._idle: asyncio.Event | None = None
        self._turn = asyncio.Lock()  # released listeners start their work one per loop pass

    def _event(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != self.path:
            return await handler(request)
        self.in_flight += 1
        self.started += 1
        self.last_began = time.monotonic()
        self._event().clear()
        start = request[STARTED] = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.handled.append(time.perf_counter() - start)
            self.in_flight -= 1
            if self.in_flight == 0:
                self._event().set()

    def start(self, work: Coroutine[Any, Any, object], name: str) -> asyncio.Task[Any]:
        """A listener's work after its ack, as a task of its own: the listener returns, its ack
        leaves with the response, and the work (which begins with `wait()`) runs after. Kept in
        `listeners` until done, so a graceful stop waits for it; a failure is logged."""
        task = asyncio.create_task(work, name=name)
        self.listeners.add(task)
        task.add_done_callback(_finished(self.listeners))
        return task

    @property
    def busy(self) -> bool:
        """A request is in flight, or one began within the last `quiet_s`: inside a burst."""
        return self.in_flight > 0 or time.monotonic() - self.last_began < self.quiet_s

    async def wait(self) -> None:
        """Called by a listener after its ack, before its work."""
        task = asyncio.current_task()
        if task is not None and task not in self.listeners:
            self.listeners.add(task)
            task.add_done_callback(self.listeners.discard)
        if not self.busy:
            return
        deadline = time.monotonic() + self.max_wait_s
        while await self._quiet(deadline):
            # One released listener per pass of the event loop: its work begins with synchronous
            # CPU (routing a question), and a hundred released at once ran back to back, about
            # 80 ms in which no new request was read. In turn, each sees whether a request came.
            async with self._turn:
                await asyncio.sleep(0)
                if self.in_flight == 0 or time.monotonic() >= deadline:
                    return

    async def _quiet(self, deadline: float) -> bool:
        """Wait until no request has begun or been in flight for `quiet_s`; False past the deadline."""
        self.waiting += 1
        try:
            while (left := deadline - time.monotonic()) > 0:
                try:
                    await asyncio.wait_for(self._event().wait(), left)
                except TimeoutError:
                    return False
                seen = self.started
                await asyncio.sleep(min(self.quiet_s, max(0.0, deadline - time.monotonic())))
                if self.in_flight == 0 and self.started == seen:
                    return True
            return False
        finally:
            self.waiting -= 1


def _finished(listeners: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        listeners.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("work after the ack of %s failed", task.get_name(), exc_info=task.exception())
    return done
