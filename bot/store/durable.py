"""Process heartbeats, the sweep that takes back a dead process's work, and the alert inbox.

Why heartbeats: a lease alone is recognised only once it runs out, and only by whoever looks.
Each process beats its `processes` row every `store.heartbeat_s`; a process that has missed
`dead_after_beats` beats in a row, or that stopped, is dead, and `sweep` takes back its
requests (interrupted, returned once so exactly one replica tells each thread), its claimed
Slack events (the next retry is processed) and its alert notifications (claimed again).

A sweeper judges others only after it has itself beaten without a gap for the whole dead window
(`judge`): after a store outage every process missed beats, and none must call the others dead.
Requests whose owner never had a heartbeat row (an older version) still need their lease to run out.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema
from bot.store.base import StoreBase
from bot.store.requests import InterruptedRequest

_OPEN = ("received", "running")
ALERT_STATES = ("accepted", "posted", "investigating", "done")
STUCK_S = 60.0  # a row its own live process holds but is not working on (a step failed, then the store) is taken again after this


class DurableMixin(StoreBase):
    # -- heartbeats ---------------------------------------------------------------------------

    async def beat(self, started_at: float, owner: str | None = None) -> None:
        """This process is alive now (creates its row on the first beat)."""
        owner, now = owner or self.owner, self.clock()
        p = schema.processes

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(self._upsert(p, ["owner"], dict(owner=owner, started_at=started_at, beat_at=now),
                                            dict(beat_at=now, stopped_at=None)))
        await self._write(work)

    async def process_stopped(self, owner: str | None = None) -> None:
        """A process that ended (a graceful stop, or found dead by its successor): dead at once."""
        owner = owner or self.owner
        p = schema.processes

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(self._upsert(p, ["owner"], dict(owner=owner, started_at=self.clock(), beat_at=0.0,
                                                                stopped_at=self.clock()), dict(stopped_at=self.clock())))
        await self._write(work)

    async def processes(self) -> list[dict[str, Any]]:
        p = schema.processes
        return await self._rows(select(p).order_by(p.c.started_at))

    async def sweep(self, *, cutoff: float, judge: bool, now: float | None = None) -> list[InterruptedRequest]:
        """Take back the work of dead processes; returns the requests now interrupted (each once).

        Dead: stopped, or (when `judge`) last beat before `cutoff`. An open request is taken back
        when its owner is dead, or its lease ran out and its owner has no live heartbeat."""
        now = self.clock() if now is None else now
        me = self.owner

        async def work(conn: AsyncConnection) -> list[InterruptedRequest]:
            p, r, e, i = schema.processes, schema.requests, schema.processed_events, schema.alert_inbox
            rows = (await conn.execute(select(p.c.owner, p.c.beat_at, p.c.stopped_at))).all()
            dead = {row.owner for row in rows if row.owner != me and
                    (row.stopped_at is not None or (judge and row.beat_at < cutoff))}
            live = {row.owner for row in rows if row.owner not in dead} | {me}
            gone = or_(r.c.owner.in_(dead), and_(r.c.lease_until < now, or_(r.c.owner.is_(None), r.c.owner.not_in(live))))
            stale = await conn.execute(select(r.c.id, r.c.status).where(r.c.status.in_(_OPEN), gone))
            before = {row.id: row.status for row in stale}
            taken: list[InterruptedRequest] = []
            if before:
                done = await conn.execute(
                    update(r).where(r.c.id.in_(list(before)), r.c.status.in_(_OPEN))
                    .values(status="interrupted", finished_at=now, lease_until=None, error="its process stopped or died")
                    .returning(r.c.id, r.c.question, r.c.source, r.c.user_id, r.c.channel, r.c.thread_ts))
                taken = [InterruptedRequest(row.id, row.question, row.source, row.user_id, row.channel, row.thread_ts,
                                            before[row.id]) for row in done]
            if dead:
                # Slack's next retry of an event a dead process held is processed, not refused as held.
                await conn.execute(update(e).where(e.c.owner.in_(dead), e.c.finished_at.is_(None), e.c.lease_until >= now)
                                   .values(lease_until=now - 0.001))
            orphaned = or_(i.c.owner.in_(dead), i.c.owner.not_in(live))
            await conn.execute(update(i).where(i.c.state != "done", i.c.owner.is_not(None), orphaned)
                               .values(owner=None, retry_at=now))
            return taken
        return await self._write(work)

    # -- the alert inbox -----------------------------------------------------------------------

    async def accept_alert(self, key: str, group: dict[str, Any]) -> int:
        """Store a notification before it is answered 202, held by this process; its inbox id.
        On the alert sender's clock like an ack: bounded by `ack_patience_s` (`StoreBusy`)."""
        now = self.clock()  # retry_at: when this process's own row, if it is not working on it, is taken again
        values = dict(at=now, key=key, group_json=json.dumps(group, default=str), state="accepted",
                      owner=self.owner, attempts=0, retry_at=now + STUCK_S)

        async def work(conn: AsyncConnection) -> int:
            i = schema.alert_inbox
            return int((await conn.execute(i.insert().values(**values).returning(i.c.id))).scalar_one())
        return await self._write(work, patience_s=self.ack_patience_s)

    async def claim_alerts(self, limit: int = 20, active: frozenset[int] = frozenset()) -> list[dict[str, Any]]:
        """Notifications nobody holds whose retry time has come, and this process's own that it
        is not working on (`active`: a step failed and could not even give the row back), now
        held by this process (oldest first). Atomic: of racing replicas each row goes to one."""
        now = self.clock()

        async def work(conn: AsyncConnection) -> list[dict[str, Any]]:
            i = schema.alert_inbox
            unheld = and_(i.c.owner.is_(None), i.c.retry_at <= now)
            mine = and_(i.c.owner == self.owner, i.c.retry_at <= now)
            stuck = and_(mine, i.c.id.not_in(list(active))) if active else mine
            free = or_(i.c.owner.is_(None), i.c.owner == self.owner)
            ids = [row.id for row in await conn.execute(
                select(i.c.id).where(i.c.state != "done", or_(unheld, stuck)).order_by(i.c.id).limit(limit))]
            if not ids:
                return []
            got = await conn.execute(update(i).where(i.c.id.in_(ids), free).values(owner=self.owner, retry_at=now + STUCK_S)
                                     .returning(*i.c))
            rows = sorted((dict(row._mapping) for row in got), key=lambda row: row["id"])
            for row in rows:
                row["group"] = json.loads(row.pop("group_json"))
            return rows
        return await self._write(work)

    async def advance_alert(self, inbox_id: int, state: str, **values: Any) -> None:
        """The next state of a notification this process holds (alert_id, request_id, outcome)."""
        assert state in ALERT_STATES
        extra = {k: v for k, v in values.items() if k in ("alert_id", "request_id", "outcome")}
        if state == "done":
            extra.update(owner=None, finished_at=self.clock())

        async def work(conn: AsyncConnection) -> None:
            i = schema.alert_inbox
            await conn.execute(update(i).where(i.c.id == inbox_id).values(state=state, **extra))
        await self._write(work)

    async def release_alert(self, inbox_id: int, retry_at: float) -> None:
        """Give a notification back to be tried again (by any process) from `retry_at`."""
        async def work(conn: AsyncConnection) -> None:
            i = schema.alert_inbox
            await conn.execute(update(i).where(i.c.id == inbox_id, i.c.owner == self.owner)
                               .values(owner=None, retry_at=retry_at, attempts=i.c.attempts + 1))
        await self._write(work)

    async def alert_by_id(self, alert_id: int) -> dict[str, Any] | None:
        a = schema.alerts
        rows = await self._rows(select(a.c.id, a.c.status, a.c.channel, a.c.thread_ts, a.c.payload_json).where(a.c.id == alert_id))
        if not rows:
            return None
        raw = rows[0].pop("payload_json")
        return {**rows[0], "payload": json.loads(raw) if raw else {}}

    async def alert_inbox(self) -> list[dict[str, Any]]:
        i = schema.alert_inbox
        return await self._rows(select(i.c.id, i.c.at, i.c.key, i.c.state, i.c.owner, i.c.attempts, i.c.alert_id,
                                       i.c.request_id, i.c.outcome).order_by(i.c.id))
