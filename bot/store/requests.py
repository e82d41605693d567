"""Requests from receipt to answer, their leases, and Slack event de-duplication.

A request is written when it is received, so a crash can never make it vanish: its status goes
received -> running -> answered | failed, or interrupted when its lease ran out (the process
that held it died or was stopped). The lease is renewed while the request works; at start-up
`expire_leases` hands back the requests whose holder is gone, so their threads can be told.

An event claim carries a lease too: Slack's retry of an event whose first delivery died with
its process is processed again, while a retry of a live or finished one is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.models import AgentResponse, Answer
from bot.store import schema
from bot.store.base import StoreBase
from bot.store.packing import pack, unpack

STATUSES = ("received", "running", "answered", "failed", "interrupted")
_OPEN = ("received", "running")


@dataclass(frozen=True)
class InterruptedRequest:
    """A request whose holder went away: enough to post a note in its thread."""

    id: str
    question: str
    source: str
    user_id: str | None
    channel: str | None
    thread_ts: str | None
    status_before: str


class RequestsMixin(StoreBase):
    # -- Slack events -----------------------------------------------------------------------

    async def claim_event(self, event_id: str, owner: str | None = None, lease_s: float | None = None) -> bool:
        """True when this delivery should be processed: the id is new, or its holder's lease
        expired and the work it started never finished. Exactly one of racing claimers wins.
        Bounded by `ack_patience_s` (Slack wants its ack in 3 s): `StoreBusy` past that."""
        owner, now = owner or self.owner, self.clock()
        until = now + (self.lease_s if lease_s is None else lease_s)

        async def work(conn: AsyncConnection) -> bool:
            fresh = self._insert_ignore(schema.processed_events, ["event_id"]).values(
                event_id=event_id, at=now, owner=owner, lease_until=until)
            if (await conn.execute(fresh)).rowcount == 1:
                return True
            e, r = schema.processed_events, schema.requests
            # An interrupted request never finished either: its event may be taken over.
            done = select(r.c.id).where(r.c.status.in_(("answered", "failed")))
            takeover = update(e).where(e.c.event_id == event_id, e.c.finished_at.is_(None), e.c.lease_until < now,
                                       or_(e.c.request_id.is_(None), e.c.request_id.not_in(done)))
            return (await conn.execute(takeover.values(owner=owner, lease_until=until, at=now))).rowcount == 1
        return await self._write(work, patience_s=self.ack_patience_s)

    async def finish_event(self, event_id: str) -> None:
        """The event's work is done (or needs none): no retry of it is processed again. Its row is
        created if the claim never reached the store (an outage at receipt)."""
        async def work(conn: AsyncConnection) -> None:
            e, now = schema.processed_events, self.clock()
            await conn.execute(self._insert_ignore(e, ["event_id"]).values(event_id=event_id, at=now, owner=self.owner))
            await conn.execute(update(e).where(e.c.event_id == event_id).values(finished_at=now))
        await self._write(work)

    # -- request lifecycle ------------------------------------------------------------------

    async def record_received(self, request_id: str, *, question: str, source: str, user: str | None = None,
                              channel: str | None = None, thread_ts: str | None = None, required_role: str = "viewer",
                              event_id: str | None = None, owner: str | None = None, lease_s: float | None = None) -> bool:
        """Write the request before any work starts (leased to `owner`); False if it exists."""
        now = self.clock()
        until = now + (self.lease_s if lease_s is None else lease_s)

        async def work(conn: AsyncConnection) -> bool:
            row = dict(id=request_id, created_at=now, status="received", source=source, user_id=user, channel=channel,
                       thread_ts=thread_ts, question=question, required_role=required_role, event_id=event_id,
                       owner=owner or self.owner, lease_until=until)
            created = (await conn.execute(self._insert_ignore(schema.requests, ["id"]).values(**row))).rowcount == 1
            if event_id is not None:
                e = schema.processed_events
                await conn.execute(update(e).where(e.c.event_id == event_id).values(request_id=request_id))
            return created
        return await self._write(work)

    async def mark_running(self, request_id: str, owner: str | None = None, lease_s: float | None = None, *,
                           route: dict[str, Any] | None = None, plan: dict[str, Any] | None = None) -> bool:
        """received -> running with a fresh lease; False if the request is no longer open."""
        now = self.clock()
        values: dict[str, Any] = dict(status="running", started_at=now, owner=owner or self.owner,
                                      lease_until=now + (self.lease_s if lease_s is None else lease_s))
        if route is not None:
            values["route_json"] = json.dumps(route)
        if plan is not None:
            values["plan_json"] = pack(json.dumps(plan))
        return await self._update_open(request_id, values)

    async def renew_lease(self, request_id: str, owner: str | None = None, lease_s: float | None = None) -> bool:
        """Extend the lease of a request (and of the event that started it) this owner holds.
        False means the lease was lost: another replica declared the request interrupted."""
        owner, now = owner or self.owner, self.clock()
        until = now + (self.lease_s if lease_s is None else lease_s)

        async def work(conn: AsyncConnection) -> bool:
            r, e = schema.requests, schema.processed_events
            held = await conn.execute(update(r).where(r.c.id == request_id, r.c.owner == owner, r.c.status.in_(_OPEN))
                                      .values(lease_until=until))
            if held.rowcount != 1:
                return False
            await conn.execute(update(e).where(e.c.request_id == request_id, e.c.finished_at.is_(None))
                               .values(owner=owner, lease_until=until))
            return True
        return await self._write(work)

    async def _update_open(self, request_id: str, values: dict[str, Any]) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            r = schema.requests
            return (await conn.execute(update(r).where(r.c.id == request_id, r.c.status.in_(_OPEN)).values(**values))).rowcount == 1
        return await self._write(work)

    async def mark_failed(self, request_id: str, error: str) -> bool:
        """A request that ended without an answer (the analysis or storing it raised)."""
        return await self._finish(request_id, {"status": "failed", "error": error[:2000]})

    async def mark_interrupted(self, request_ids: list[str], reason: str = "interrupted") -> int:
        """Open requests that will not finish (shutdown, lost lease); returns how many changed."""
        if not request_ids:
            return 0

        async def work(conn: AsyncConnection) -> int:
            r = schema.requests
            done = await conn.execute(update(r).where(r.c.id.in_(request_ids), r.c.status.in_(_OPEN))
                                      .values(status="interrupted", finished_at=self.clock(), lease_until=None, error=reason))
            return done.rowcount or 0
        return await self._write(work)

    async def expire_leases(self, now: float | None = None) -> list[InterruptedRequest]:
        """Mark every open request whose lease ran out as interrupted, and return them. Atomic
        (UPDATE ... RETURNING): when replicas start together each request is returned once."""
        now = self.clock() if now is None else now

        async def work(conn: AsyncConnection) -> list[InterruptedRequest]:
            r = schema.requests
            stale = await conn.execute(select(r.c.id, r.c.status).where(r.c.status.in_(_OPEN), r.c.lease_until < now))
            before = {row.id: row.status for row in stale}
            if not before:
                return []
            done = await conn.execute(
                update(r).where(r.c.id.in_(list(before)), r.c.status.in_(_OPEN), r.c.lease_until < now)
                .values(status="interrupted", finished_at=now, lease_until=None, error="lease expired (process stopped)")
                .returning(r.c.id, r.c.question, r.c.source, r.c.user_id, r.c.channel, r.c.thread_ts))
            return [InterruptedRequest(row.id, row.question, row.source, row.user_id, row.channel, row.thread_ts,
                                       before[row.id]) for row in done]
        return await self._write(work)

    async def record_answer(self, answer: Answer, *, source: str, user: str | None, channel: str | None,
                            thread_ts: str | None, required_role: str = "viewer", model: str | None = None) -> None:
        """Store a computed answer with its agent runs and tool calls in one transaction
        (retried on transient failures); the request becomes answered, or failed."""
        now = self.clock()
        u = answer.usage
        result = dict(
            status="failed" if answer.status == "failed" else "answered", finished_at=now, lease_until=None,
            answer_status=answer.status, severity=answer.severity.value, confidence=answer.confidence,
            summary=answer.summary, devices=json.dumps(answer.devices), duration_s=answer.duration_s,
            llm_calls=u.llm_calls, input_tokens=u.input_tokens, output_tokens=u.output_tokens,
            tokens=u.input_tokens + u.output_tokens, cost_usd=u.cost_usd, answer_json=pack(answer.model_dump_json()),
            route_json=json.dumps({"primary": answer.primary.value, "specialists": [s.value for s in answer.specialists],
                                   "devices": answer.devices}),
            plan_json=pack(answer.plan.model_dump_json()) if answer.plan else None,
        )
        first = dict(id=answer.request_id, created_at=now - answer.duration_s, source=source, user_id=user,
                     channel=channel, thread_ts=thread_ts, question=answer.question, required_role=required_role)
        runs = [_agent_run(answer.request_id, now, r, model) for r in answer.responses]
        calls = [dict(request_id=answer.request_id, at=now, agent=r.agent.value, tool=e.tool, device=e.device, ok=e.ok,
                      duration_s=e.duration_s, summary=e.summary) for r in answer.responses for e in r.evidence]

        async def work(conn: AsyncConnection) -> None:
            r = schema.requests
            await conn.execute(self._upsert(r, ["id"], {**first, **result}, result))
            if runs:
                await conn.execute(insert(schema.agent_runs), runs)
            if calls:
                await conn.execute(insert(schema.tool_calls), calls)
            e = schema.processed_events
            await conn.execute(update(e).where(e.c.request_id == answer.request_id).values(finished_at=now))
        await self._write(work)

    async def _finish(self, request_id: str, values: dict[str, Any]) -> bool:
        async def work(conn: AsyncConnection) -> bool:
            r, e, now = schema.requests, schema.processed_events, self.clock()
            changed = await conn.execute(update(r).where(r.c.id == request_id, r.c.status.in_(_OPEN))
                                         .values(**values, finished_at=now, lease_until=None))
            await conn.execute(update(e).where(e.c.request_id == request_id).values(finished_at=now))
            return changed.rowcount == 1
        return await self._write(work)

    # -- reading ----------------------------------------------------------------------------

    async def answer(self, request_id: str) -> tuple[Answer, dict[str, Any]] | None:
        """The stored answer and who/where it was for (re-runs, details and feedback buttons)."""
        r = schema.requests
        rows = await self._rows(select(r.c.answer_json, r.c.user_id, r.c.channel, r.c.thread_ts, r.c.source,
                                       r.c.required_role).where(r.c.id == request_id))
        if not rows or rows[0]["answer_json"] is None:
            return None
        row = rows[0]
        return Answer.model_validate_json(unpack(row.pop("answer_json"))), row

    async def request_row(self, request_id: str) -> dict[str, Any] | None:
        """Who asked what, where, and its status, answered or not (re-run of an interrupted request)."""
        r = schema.requests
        rows = await self._rows(select(r.c.id, r.c.question, r.c.user_id, r.c.channel, r.c.thread_ts, r.c.source,
                                       r.c.required_role, r.c.status).where(r.c.id == request_id))
        return rows[0] if rows else None

    async def last_answer_in_thread(self, channel: str, thread_ts: str) -> Answer | None:
        """The newest answer in a thread: the context of a follow-up question."""
        r = schema.requests
        rows = await self._rows(select(r.c.answer_json).where(r.c.channel == channel, r.c.thread_ts == thread_ts,
                                                              r.c.answer_json.is_not(None))
                                .order_by(r.c.created_at.desc()).limit(1))
        return Answer.model_validate_json(unpack(rows[0]["answer_json"])) if rows else None

    async def requests(self, *, status: str | None = None, since: float | None = None, user: str | None = None,
                       limit: int = 100) -> list[dict[str, Any]]:
        """Requests newest first, without the answer document (`noc requests`; one user's for App Home)."""
        r = schema.requests
        columns = [c for c in r.c if c.name not in ("answer_json", "plan_json")]
        query = select(*columns).order_by(r.c.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(r.c.status == status)
        if user is not None:
            query = query.where(r.c.user_id == user)
        if since is not None:
            query = query.where(r.c.created_at >= since)
        return await self._rows(query)

    async def open_requests(self, owner: str | None = None) -> list[dict[str, Any]]:
        """Requests still received or running (this owner's, if given): what a shutdown leaves."""
        r = schema.requests
        query = select(r.c.id, r.c.status, r.c.owner, r.c.channel, r.c.thread_ts, r.c.lease_until).where(r.c.status.in_(_OPEN))
        if owner is not None:
            query = query.where(r.c.owner == owner)
        return await self._rows(query)


def _agent_run(request_id: str, now: float, r: AgentResponse, model: str | None) -> dict[str, Any]:
    usage = r.usage
    return dict(request_id=request_id, at=now, agent=r.agent.value, instance=r.instance, engine=r.engine,
                model=model or (r.result.get("model") if isinstance(r.result, dict) else None),
                status=r.status, failure_kind=failure_kind(r), degraded=r.degraded, confidence=r.confidence,
                duration_s=r.duration_s, llm_calls=usage.llm_calls, input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens, tokens=usage.input_tokens + usage.output_tokens,
                cost_usd=usage.cost_usd, error=r.error)


def failure_kind(r: AgentResponse) -> str | None:
    """A coarse, countable reason for a run that did not fully succeed."""
    if r.status == "success":
        return None
    if r.status == "partial":
        return "partial"
    error = (r.error or "").lower()
    if "deadline" in error or "timeout" in error or "timed out" in error:
        return "timeout"
    if "could not answer" in error or "unavailable" in error:
        return "unavailable"
    return "error"

