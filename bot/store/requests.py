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
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection

from agents.models import AgentResponse, Answer
from bot.store import direct, schema
from bot.store.base import StoreBase
from bot.store.group_commit import Merged, first_of_each
from bot.store.packing import pack, unpack

STATUSES = ("received", "running", "answered", "failed", "interrupted")
_OPEN = ("received", "running")


class _Answered(NamedTuple):
    """One answer's rows, as `record_answer` hands them to the group commit."""

    request_id: str
    row: dict[str, Any]  # the request's row
    updated: list[str]  # the columns an existing row takes from it
    runs: list[dict[str, Any]]
    calls: list[dict[str, Any]]
    event_id: str | None
    now: float


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
        claim = dict(event_id=event_id, at=now, owner=owner, lease_until=until)
        return await self._write_sync(Merged(self._claim_one, self._claims, claim, direct.claims), patience_s=self.ack_patience_s)

    def _claim_one(self, conn: Connection, claim: dict[str, Any]) -> bool:
        return self._claims(conn, [claim])[0]

    def _claims(self, conn: Connection, claims: list[dict[str, Any]]) -> list[bool]:
        """Claims written together: one INSERT of the new ids; the rest may take an expired claim over."""
        first, _ = first_of_each([c["event_id"] for c in claims])
        fresh = set(conn.execute(self._built("claim", self._claim_statement), [claims[n] for n in first]).scalars())
        firsts = set(first)
        won = [n in firsts and claims[n]["event_id"] in fresh for n in range(len(claims))]
        for n, c in enumerate(claims):
            if not won[n]:
                takeover = dict(b_event=c["event_id"], b_now=c["at"], b_owner=c["owner"], b_until=c["lease_until"])
                won[n] = conn.execute(self._built("takeover", _takeover_statement), takeover).rowcount == 1
        return won

    def _claim_statement(self) -> Any:
        e = schema.processed_events
        return self._insert_ignore(e, ["event_id"]).returning(e.c.event_id)

    async def finish_event(self, event_id: str) -> None:
        """The event's work is done (or needs none): no retry of it is processed again. Its row is
        created if the claim never reached the store (an outage at receipt)."""
        def work(conn: Connection) -> None:
            e, now = schema.processed_events, self.clock()
            conn.execute(self._insert_ignore(e, ["event_id"]).values(event_id=event_id, at=now, owner=self.owner))
            conn.execute(update(e).where(e.c.event_id == event_id).values(finished_at=now))
        await self._write_sync(work)

    # -- request lifecycle ------------------------------------------------------------------

    async def record_received(self, request_id: str, *, question: str, source: str, user: str | None = None,
                              channel: str | None = None, thread_ts: str | None = None, required_role: str = "viewer",
                              event_id: str | None = None, owner: str | None = None, lease_s: float | None = None,
                              running: bool = False) -> bool:
        """Write the request before any work starts (leased to `owner`); False if it exists.
        `running`: its work starts at once, so the row is written running (one write, not two:
        the request ledger's received-then-running, issue 27's store under a burst)."""
        now = self.clock()
        until = now + (self.lease_s if lease_s is None else lease_s)

        row = dict(id=request_id, created_at=now, status="running" if running else "received", source=source,
                   user_id=user, channel=channel, thread_ts=thread_ts, question=question, required_role=required_role,
                   event_id=event_id, owner=owner or self.owner, lease_until=until, started_at=now if running else None)
        return await self._write_sync(Merged(self._receive_one, self._receive, row, direct.received))

    def _receive_one(self, conn: Connection, row: dict[str, Any]) -> bool:
        return self._receive(conn, [row])[0]

    def _receive(self, conn: Connection, rows: list[dict[str, Any]]) -> list[bool]:
        """Requests written together: one INSERT, one executemany linking their events to them."""
        r = schema.requests
        first, _ = first_of_each([row["id"] for row in rows])
        made = set(conn.execute(self._built("receive", lambda: self._insert_ignore(r, ["id"]).returning(r.c.id)),
                                [rows[n] for n in first]).scalars())
        links = [{"b_event": row["event_id"], "b_request": row["id"]} for row in rows if row["event_id"] is not None]
        if links:
            conn.execute(self._built("link", _link_statement), links)
        firsts = set(first)
        return [n in firsts and rows[n]["id"] in made for n in range(len(rows))]

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

        def work(conn: Connection) -> bool:
            r, e = schema.requests, schema.processed_events
            held = conn.execute(update(r).where(r.c.id == request_id, r.c.owner == owner, r.c.status.in_(_OPEN))
                                      .values(lease_until=until))
            if held.rowcount != 1:
                return False
            conn.execute(update(e).where(e.c.request_id == request_id, e.c.finished_at.is_(None))
                               .values(owner=owner, lease_until=until))
            return True
        return await self._write_sync(work)

    async def _update_open(self, request_id: str, values: dict[str, Any]) -> bool:
        def work(conn: Connection) -> bool:
            r = schema.requests
            return (conn.execute(update(r).where(r.c.id == request_id, r.c.status.in_(_OPEN)).values(**values))).rowcount == 1
        return await self._write_sync(work)

    async def mark_failed(self, request_id: str, error: str) -> bool:
        """A request that ended without an answer (the analysis or storing it raised)."""
        return await self._finish(request_id, {"status": "failed", "error": error[:2000]})

    async def mark_interrupted(self, request_ids: list[str], reason: str = "interrupted") -> int:
        """Open requests that will not finish (shutdown, lost lease); returns how many changed."""
        if not request_ids:
            return 0

        def work(conn: Connection) -> int:
            r = schema.requests
            done = conn.execute(update(r).where(r.c.id.in_(request_ids), r.c.status.in_(_OPEN))
                                      .values(status="interrupted", finished_at=self.clock(), lease_until=None, error=reason))
            return done.rowcount or 0
        return await self._write_sync(work)

    async def expire_leases(self, now: float | None = None) -> list[InterruptedRequest]:
        """Mark every open request whose lease ran out as interrupted, and return them. Atomic
        (UPDATE ... RETURNING): when replicas start together each request is returned once."""
        now = self.clock() if now is None else now

        def work(conn: Connection) -> list[InterruptedRequest]:
            r = schema.requests
            stale = conn.execute(select(r.c.id, r.c.status).where(r.c.status.in_(_OPEN), r.c.lease_until < now))
            before = {row.id: row.status for row in stale}
            if not before:
                return []
            done = conn.execute(
                update(r).where(r.c.id.in_(list(before)), r.c.status.in_(_OPEN), r.c.lease_until < now)
                .values(status="interrupted", finished_at=now, lease_until=None, error="lease expired (process stopped)")
                .returning(r.c.id, r.c.question, r.c.source, r.c.user_id, r.c.channel, r.c.thread_ts))
            return [InterruptedRequest(row.id, row.question, row.source, row.user_id, row.channel, row.thread_ts,
                                       before[row.id]) for row in done]
        return await self._write_sync(work)

    async def record_answer(self, answer: Answer, *, source: str, user: str | None, channel: str | None,
                            thread_ts: str | None, required_role: str = "viewer", model: str | None = None,
                            event_id: str | None = None) -> None:
        """Store a computed answer with its agent runs and tool calls in one transaction
        (retried on transient failures); the request becomes answered, or failed. With the Slack
        event that started it (`event_id`), that event is finished in the same write, its row
        created if its claim never reached the store (what `finish_event` would do after it)."""
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

        item = _Answered(answer.request_id, {**first, **result}, list(result), runs, calls, event_id, now)
        await self._write_sync(Merged(self._answer_one, self._answers, item, self._answers_direct))

    async def _answers_direct(self, conn: Any, items: list[_Answered]) -> list[Any]:
        return await direct.answers(conn, items, self.owner)

    def _answer_one(self, conn: Connection, item: _Answered) -> None:
        self._answers(conn, [item])

    def _answers(self, conn: Connection, items: list[_Answered]) -> list[None]:
        """Answers written together: one upsert of their rows, one executemany each for the agent
        runs and the tool calls, one statement finishing their events. A request answered twice in
        the batch is written after the others, as if in turn."""
        r, e = schema.requests, schema.processed_events
        first, rest = first_of_each([item.request_id for item in items])
        for group in [[items[n] for n in first]] + [[items[n]] for n in rest]:
            updated = group[0].updated
            conn.execute(self._built(("answer", *updated), partial(self._upsert_many, r, ["id"], updated)), [item.row for item in group])
            runs = [run for item in group for run in item.runs]
            if runs:
                conn.execute(self._built("runs", lambda: insert(schema.agent_runs)), runs)
            calls = [call for item in group for call in item.calls]
            if calls:
                conn.execute(self._built("calls", lambda: insert(schema.tool_calls)), calls)
            unlinked = [{"b_request": item.request_id, "b_at": item.now} for item in group if item.event_id is None]
            if unlinked:
                conn.execute(self._built("unlinked", _finish_by_request_statement), unlinked)
            events = {item.event_id: dict(event_id=item.event_id, at=item.now, owner=self.owner, finished_at=item.now,
                                          request_id=item.request_id) for item in reversed(group) if item.event_id is not None}
            if events:  # created if the claim never reached the store (what `finish_event` would do)
                conn.execute(self._built("finish", lambda: self._upsert_many(e, ["event_id"], ["finished_at"])), list(events.values())[::-1])
        return [None] * len(items)

    async def _finish(self, request_id: str, values: dict[str, Any]) -> bool:
        def work(conn: Connection) -> bool:
            r, e, now = schema.requests, schema.processed_events, self.clock()
            changed = conn.execute(update(r).where(r.c.id == request_id, r.c.status.in_(_OPEN))
                                         .values(**values, finished_at=now, lease_until=None))
            conn.execute(update(e).where(e.c.request_id == request_id).values(finished_at=now))
            return changed.rowcount == 1
        return await self._write_sync(work)

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
        """The newest answer in a thread: the context of a follow-up question (read for every
        request: its statement is built once; on PostgreSQL concurrent reads are one statement)."""
        if self._answer_reads is not None:  # PostgreSQL: one statement for the reads asked for together
            try:
                stored = await self._answer_reads.read((channel, thread_ts))
            except Exception:  # read again alone, with the store's retries
                pass
            else:
                return Answer.model_validate_json(unpack(stored)) if stored is not None else None
        rows = await self._rows(self._built("last_answer", _last_answer_statement), {"b_channel": channel, "b_thread": thread_ts})
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


def _last_answer_statement() -> Any:
    r = schema.requests
    return (select(r.c.answer_json).where(r.c.channel == bindparam("b_channel"), r.c.thread_ts == bindparam("b_thread"),
                                          r.c.answer_json.is_not(None)).order_by(r.c.created_at.desc()).limit(1))


def _takeover_statement() -> Any:
    """An expired, unfinished claim taken over (an interrupted request never finished either)."""
    e, r = schema.processed_events, schema.requests
    done = select(r.c.id).where(r.c.status.in_(("answered", "failed")))
    return (update(e).where(e.c.event_id == bindparam("b_event"), e.c.finished_at.is_(None), e.c.lease_until < bindparam("b_now"),
                            or_(e.c.request_id.is_(None), e.c.request_id.not_in(done)))
            .values(owner=bindparam("b_owner"), lease_until=bindparam("b_until"), at=bindparam("b_now")))


def _link_statement() -> Any:
    e = schema.processed_events
    return update(e).where(e.c.event_id == bindparam("b_event")).values(request_id=bindparam("b_request"))


def _finish_by_request_statement() -> Any:
    e = schema.processed_events
    return update(e).where(e.c.request_id == bindparam("b_request")).values(finished_at=bindparam("b_at"))


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

