"""The handler of /slack/events: the ack first, Bolt's dispatch after it (issue 27).

Why: inside the bot a request took 1.0-1.8 ms of CPU before its ack, almost all of it Bolt's
dispatch (its request context, keyword arguments found by inspection for each middleware and the
listener, its middleware chain, the access line), and the requests of a burst are handled one
after another on one event loop, so the last ack of a burst of 200 left after about 200 times
that. Most requests' acks are known before any listener runs: an event, `/noc <question>`,
`/noc-health` are acked with an empty 200 (handlers.app says which: `AckFirst.acked_empty`).
For those, nothing but the front door's screening (bot.slack.http_guard: the signature and its
timestamp, the body's shape, Bolt's request built once) stands between a request and its ack:
the handler journals a question (bot.durability.recovery), answers 200, and queues the request
for Bolt's own dispatch, which one task of `AckFirst` starts once no request is in flight or has
just begun (bot.slack.ack_first). Bolt stays the dispatcher: its middleware,
listeners and acks run as before, the listener's ack simply goes nowhere (as a replayed event's,
or a Socket Mode envelope's already acknowledged).

What an ack promised is kept: a question is journalled before its 200 leaves, as before (a
crash before its dispatch replays it at the next start); the task that empties the queue and
each dispatch are `AckFirst.listeners`, which a graceful stop waits for (Runtime.drain); a Slack retry is acked
the same way and dropped by the event claim after it. Bolt does not verify the signature a
second time: the request is marked as Socket Mode's are, which Bolt's verification skips (the
guard checked it, and a dispatch held past five minutes would otherwise be refused as stale).
At most `MAX_DEFERRED` requests wait for their dispatch; past that a request takes Bolt's
ordinary path and its ack waits for its listener, which slows the senders instead of growing
the queue. Requests whose ack carries a body (help, a usage answer, url_verification, view
submissions) take that path always.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.durability.recovery import journal_question
from bot.server.access_log import ACK_MS
from bot.slack.ack_first import STARTED
from bot.slack.http_guard import BOLT_REQUEST

log = logging.getLogger(__name__)

MAX_DEFERRED = 1000  # requests acked and waiting for Bolt's dispatch; Slack's are a few KB each


class SlackDoor:
    """The POST handler of the events path (`handle`). `queue`: requests acked and waiting for
    their dispatch, which one task (`_release`) starts once the burst is over; `deferred`: those
    and the dispatches still running."""

    def __init__(self, app: AsyncApp, runtime: Any) -> None:
        self.app, self.runtime = app, runtime
        self.queue: deque[tuple[float, AsyncBoltRequest]] = deque()  # (time.monotonic() of the ack, request)
        self.deferred, self.max_deferred = 0, MAX_DEFERRED
        self.releaser: asyncio.Task[Any] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        bolt_request = request.get(BOLT_REQUEST)
        if bolt_request is None:  # not screened (no guard in front): build it as Bolt's server does
            bolt_request = await to_bolt_request(request)
        acks = self.runtime.acks
        acked_empty = acks.acked_empty
        if acked_empty is not None and self.deferred < self.max_deferred and acked_empty(bolt_request.body):
            journal_question(self.runtime.journal, bolt_request.body, bolt_request.raw_body)
            bolt_request.mode = "socket_mode"  # verified by the guard: Bolt's verification skips it
            started = request.get(STARTED)
            bolt_request.context[ACK_MS] = round((time.perf_counter() - started) * 1000, 1) if started else 0.0
            self.deferred += 1
            self.queue.append((time.monotonic(), bolt_request))
            if self.releaser is None:
                self.releaser = acks.start(self._release(), name="slack door: dispatch after the acks")
            return web.Response(status=200)
        response = await self.app.async_dispatch(bolt_request)
        if response.status == 200:
            journal_question(self.runtime.journal, bolt_request.body, bolt_request.raw_body)
        return await to_aiohttp_response(response)

    async def _release(self) -> None:
        """Hand the queued requests to Bolt once no request is in flight or has just begun, one
        per pass of the event loop, and wait again as soon as another request comes; a request
        acked `max_wait_s` ago goes even then, so a steady stream delays the work, never starves
        it. One task waits for the quiet, not one per request (200 waiters woke at every gap of
        a burst)."""
        acks = self.runtime.acks
        try:
            while self.queue:
                if time.monotonic() - self.queue[0][0] < acks.max_wait_s:
                    await acks.wait()
                while self.queue:
                    acked_at, bolt_request = self.queue[0]
                    if acks.busy and time.monotonic() - acked_at < acks.max_wait_s:
                        break
                    self.queue.popleft()
                    acks.start(self._dispatch(bolt_request), name=f"dispatch:{_name(bolt_request.body)}")
                    await asyncio.sleep(0)
        finally:
            self.releaser = None

    async def _dispatch(self, bolt_request: AsyncBoltRequest) -> None:
        try:
            response = await self.app.async_dispatch(bolt_request)
            if response.status != 200:
                log.warning("Bolt answered %s to a request acked at the door (%s)", response.status, _name(bolt_request.body))
        finally:
            self.deferred -= 1


def _name(body: dict[str, Any]) -> str:
    if body.get("command"):
        return str(body["command"])
    event = body.get("event")
    return str(event.get("type")) if isinstance(event, dict) else str(body.get("type"))


DOOR_KEY = web.AppKey("slack_door", SlackDoor)  # the web app's door, for tests and inspection
