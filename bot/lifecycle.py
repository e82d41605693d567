"""A request's life in the store: received, running under a lease, answered or interrupted.

Why leases: a bot killed mid-request (kill -9, a crashed node) cannot say anything itself. Each
running request holds a lease it renews while it works; whoever starts next finds the leases
that ran out, marks those requests interrupted and tells their threads, with a Re-run button.
Slack's retry of the event that started such a request is processed again (the store's
`claim_event` takes over an expired, unfinished claim), while a retry of a live or finished one
is not. Store trouble is logged and never stops the work: the answer matters more than its record.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient

from agents.models import Request
from bot.store import Store

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
    def __init__(self, store: Store, client: AsyncWebClient, lease_s: float) -> None:
        self.store = store
        self.client = client
        self.lease_s = lease_s

    async def _safely(self, what: str, job) -> object:
        try:
            return await job
        except Exception:
            log.error("store: %s failed", what, exc_info=True)
            return None

    async def received(self, request: Request, where: Where, required_role: str) -> None:
        await self._safely("record_received", self.store.record_received(
            request.id, question=request.question, source=where.source, user=where.user, channel=where.channel,
            thread_ts=where.thread_ts, required_role=required_role, event_id=where.event_id, lease_s=self.lease_s))
        await self._safely("mark_running", self.store.mark_running(request.id, lease_s=self.lease_s))

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

    async def finished(self, where: Where) -> None:
        if where.event_id:
            await self._safely("finish_event", self.store.finish_event(where.event_id))

    async def failed(self, request_id: str, error: str) -> None:
        await self._safely("mark_failed", self.store.mark_failed(request_id, error))

    async def interrupted(self, request_id: str, where: Where, reason: str) -> None:
        """Mark one request interrupted (shutdown) and say so in its thread with a Re-run button."""
        await self._safely("mark_interrupted", self.store.mark_interrupted([request_id], reason))
        await self._tell(request_id, where.channel, where.thread_ts)

    async def recover(self) -> int:
        """At start-up: every request whose lease ran out is interrupted; tell each thread once.
        The store's update is atomic, so with several replicas each request is told by one."""
        expired = await self._safely("expire_leases", self.store.expire_leases()) or []
        for req in expired:
            if req.channel and req.thread_ts:
                await self._tell(req.id, req.channel, req.thread_ts)
        if expired:
            log.warning("%d request(s) were interrupted by an earlier stop; their threads were told", len(expired))
        return len(expired)

    async def _tell(self, request_id: str, channel: str, thread_ts: str) -> None:
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {INTERRUPTED_TEXT} (request `{request_id}`)"}},
            {"type": "actions", "elements": [{"type": "button", "action_id": "noc_rerun", "value": request_id,
                                              "text": {"type": "plain_text", "text": ":repeat: Re-run", "emoji": True}}]},
        ]
        try:
            await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=INTERRUPTED_TEXT, blocks=blocks)
        except Exception:
            log.warning("could not tell thread %s/%s that request %s was interrupted", channel, thread_ts, request_id, exc_info=True)
