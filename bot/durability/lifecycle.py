"""A request's life in the store: received, running under a lease, answered or interrupted.

Why leases: a bot killed mid-request (kill -9, a crashed node) cannot say anything itself. Each
running request holds a lease it renews while it works, and each process beats a heartbeat
(bot.durability.heartbeat); whoever sweeps next finds the requests of processes that died or stopped, or
whose leases ran out, marks them interrupted and tells their threads, with a Re-run button.
Writes go through the outbox (bot.durability.outbox), so a store outage delays a record, never drops it.
Slack's retry of the event that started such a request is processed again (the store's
`claim_event` takes over an expired, unfinished claim), while a retry of a live or finished one
is not. Store trouble is logged and never stops the work: the answer matters more than its record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from agents.models import Answer, Request
from bot.durability.outbox import QUEUED, Outbox
from bot.store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)

INTERRUPTED_TEXT = ("This request was interrupted before it finished (the bot restarted or stopped). "
                    "Nothing was lost but the time: press Re-run to ask again.")


@dataclass
class Where:
    """Who asked and the thread the request lives in."""

    source: str
    user: str | None
    channel: str
    thread_ts: str
    event_id: str | None = None


class RequestLedger:
    def __init__(self, store: Store, client: AsyncWebClient, lease_s: float, outbox: Outbox | None = None) -> None:
        self.store = store
        self.client = client
        self.lease_s = lease_s
        self.outbox = outbox or Outbox(store)

    async def _safely(self, what: str, job: Awaitable[T]) -> T | None:
        try:
            return await job
        except Exception:
            log.error("store: %s failed", what, exc_info=True)
            return None

    async def received(self, request: Request, where: Where, required_role: str) -> None:
        """The request's row, running under its lease from the start (its work begins at once: one
        write, not received then running); in the outbox (journalled) when the store is down."""
        await self.outbox.write("record_received", request_id=request.id, question=request.question, source=where.source,
                                user=where.user, channel=where.channel, thread_ts=where.thread_ts, required_role=required_role,
                                event_id=where.event_id, lease_s=self.lease_s, owner=self.store.owner, running=True)

    @asynccontextmanager
    async def leased(self, request_id: str) -> AsyncIterator[None]:
        """Renew the request's lease every third of its length while the body runs."""
        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_s / 3)
                if await self._safely("renew_lease", self.store.renew_lease(request_id, lease_s=self.lease_s)) is False:
                    log.warning("request %s lost its lease (another replica called it interrupted)", request_id)

        task = asyncio.create_task(renew(), name=f"lease:{request_id}")
        try:
            yield
        finally:
            task.cancel()

    async def answered(self, answer: Answer, where: Where, required_role: str) -> bool:
        """Store the answer and finish its event in one write (no `finished` after it); False when it
        waits in the outbox for the store."""
        done = await self.outbox.write("record_answer", answer=answer, source=where.source, user=where.user,
                                       channel=where.channel, thread_ts=where.thread_ts, required_role=required_role,
                                       event_id=where.event_id)
        return done is not QUEUED

    async def finished(self, where: Where) -> None:
        if where.event_id:
            await self.outbox.write("finish_event", event_id=where.event_id)

    async def failed(self, request_id: str, error: str) -> None:
        await self.outbox.write("mark_failed", request_id=request_id, error=error)

    async def interrupted(self, request_id: str, where: Where, reason: str) -> None:
        """Mark one request interrupted (shutdown) and say so in its thread with a Re-run button."""
        await self.outbox.write("mark_interrupted", request_ids=[request_id], reason=reason)
        await self._tell(request_id, where.channel, where.thread_ts)

    async def recover(self, *, cutoff: float = 0.0, judge: bool = False) -> int:
        """Take back the requests of processes that are gone (stopped, or when `judge` silent since
        `cutoff`; leases run out) and tell each thread once: the store hands each out to one sweeper."""
        taken = await self._safely("sweep", self.store.sweep(cutoff=cutoff, judge=judge)) or []
        for req in taken:
            if req.channel and req.thread_ts:
                await self._tell(req.id, req.channel, req.thread_ts)
        if taken:
            log.warning("%d request(s) were interrupted by a process that stopped or died; their threads were told", len(taken))
        return len(taken)

    async def _tell(self, request_id: str, channel: str, thread_ts: str) -> None:
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {INTERRUPTED_TEXT} (request `{request_id}`)"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "noc_rerun", "value": request_id,
                                              "text": {"type": "plain_text", "text": ":repeat: Re-run", "emoji": True}}]},
        ]
        try:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=INTERRUPTED_TEXT, blocks=blocks)
        except Exception:
            log.warning("could not tell thread %s/%s that request %s was interrupted", channel, thread_ts, request_id, exc_info=True)
