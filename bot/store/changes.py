"""Change proposals and their audit trail in the store.

Decisions are compare-and-set on the `state` column (`transition`): of two clicks, two replicas
or a click racing the expiry, exactly one moves a proposal on, and the other learns it lost.
An apply run holds a lease (`holder`, `lease_until`) that it renews while it works, and stores
each state before the step it names (`advance_change`, only while it still holds the lease); a
change in flight whose lease ran out is claimed by one process (`claim_stranded_changes`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.changes.models import IN_FLIGHT_STATES, ChangeProposal
from bot.store import schema
from bot.store.base import StoreBase


class ChangesMixin(StoreBase):
    async def save_change(self, proposal: ChangeProposal) -> None:
        """Insert or overwrite a proposal (its JSON and the columns decisions read)."""
        row = dict(device=proposal.device, state=proposal.state, requester=proposal.requester,
                   approver=proposal.approver, channel=proposal.channel, thread_ts=proposal.thread_ts,
                   expires_at=proposal.expires_at, diff_hash=proposal.diff_hash,
                   proposal_json=proposal.model_dump_json(), updated_at=self.clock())
        statement = self._upsert(schema.change_proposals, ["id"], {"id": proposal.id, "created_at": self.clock(), **row}, row)

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(statement)
        await self._write(work)

    async def change(self, proposal_id: str) -> ChangeProposal | None:
        rows = await self._rows(select(schema.change_proposals.c.proposal_json).where(schema.change_proposals.c.id == proposal_id))
        return ChangeProposal.model_validate_json(rows[0]["proposal_json"]) if rows else None

    async def changes(self, *, limit: int = 50, state: str | None = None) -> list[ChangeProposal]:
        t = schema.change_proposals
        statement = select(t.c.proposal_json).order_by(t.c.created_at.desc()).limit(limit)
        if state:
            statement = statement.where(t.c.state == state)
        return [ChangeProposal.model_validate_json(r["proposal_json"]) for r in await self._rows(statement)]

    async def transition(self, proposal: ChangeProposal, from_state: str, to_state: str, *, holder: str | None = None,
                         lease_s: float | None = None, **fields: Any) -> bool:
        """Move the proposal from `from_state` to `to_state` only if it is still in `from_state`;
        with `holder`, that process also takes the change's lease for `lease_s`."""
        t = schema.change_proposals
        updated = proposal.model_copy(update={"state": to_state, **fields})
        lease = {} if holder is None else {"holder": holder, "lease_until": self.clock() + (lease_s or self.lease_s)}

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(update(t).where(t.c.id == proposal.id, t.c.state == from_state).values(
                state=to_state, approver=updated.approver, updated_at=self.clock(), proposal_json=updated.model_dump_json(), **lease))
            return bool(result.rowcount)
        moved = await self._write(work)
        if moved:
            proposal.state, proposal.approver = updated.state, updated.approver
        return moved

    async def record_change_event(self, proposal_id: str, step: str, detail: str, *, actor: str | None = None,
                                  diff_hash: str | None = None) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(insert(schema.change_events).values(at=self.clock(), proposal_id=proposal_id, step=step,
                                                                   actor=actor, detail=detail, diff_hash=diff_hash))
        await self._write(work)

    async def change_events(self, proposal_id: str) -> list[dict[str, Any]]:
        t = schema.change_events
        return await self._rows(select(t).where(t.c.proposal_id == proposal_id).order_by(t.c.at, t.c.id))

    async def advance_change(self, proposal: ChangeProposal, holder: str, lease_s: float) -> bool:
        """Store the proposal as it is now (its new state first of all), only while `holder` still
        holds its lease; False means another process took the change over."""
        t = schema.change_proposals
        now = self.clock()
        done = proposal.state not in IN_FLIGHT_STATES

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(update(t).where(t.c.id == proposal.id, t.c.holder == holder).values(
                state=proposal.state, approver=proposal.approver, updated_at=now, proposal_json=proposal.model_dump_json(),
                lease_until=None if done else now + lease_s))
            return bool(result.rowcount)
        return bool(await self._write(work))

    async def renew_change(self, proposal_id: str, holder: str, lease_s: float) -> bool:
        t = schema.change_proposals

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(update(t).where(t.c.id == proposal_id, t.c.holder == holder,
                                                        t.c.state.in_(IN_FLIGHT_STATES)).values(lease_until=self.clock() + lease_s))
            return bool(result.rowcount)
        return bool(await self._write(work))

    async def release_change(self, proposal_id: str, holder: str) -> None:
        """Hand a change over: its lease ends now, so the next start-up or another replica claims it."""
        t = schema.change_proposals

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(update(t).where(t.c.id == proposal_id, t.c.holder == holder,
                                               t.c.state.in_(IN_FLIGHT_STATES)).values(lease_until=0.0))
        await self._write(work)

    async def claim_stranded_changes(self, holder: str, lease_s: float) -> list[ChangeProposal]:
        """Changes in flight whose lease ran out (their process stopped): each is claimed for
        `holder` by a compare-and-set, so with several replicas each change goes to one."""
        t = schema.change_proposals
        now = self.clock()
        expired = or_(t.c.lease_until.is_(None), t.c.lease_until < now)
        rows = await self._rows(select(t.c.id, t.c.state).where(t.c.state.in_(IN_FLIGHT_STATES), expired))
        claimed: list[ChangeProposal] = []
        for row in rows:
            async def work(conn: AsyncConnection, row: dict[str, Any] = row) -> bool:
                result = await conn.execute(update(t).where(t.c.id == row["id"], t.c.state == row["state"], expired).values(
                    holder=holder, lease_until=now + lease_s))
                return bool(result.rowcount)
            if await self._write(work):
                proposal = await self.change(row["id"])
                if proposal is not None:
                    claimed.append(proposal)
        return claimed

    async def due_for_expiry(self, now: float) -> list[ChangeProposal]:
        """Pending proposals whose decision time has passed."""
        t = schema.change_proposals
        rows = await self._rows(select(t.c.proposal_json).where(t.c.state == "pending", t.c.expires_at <= now))
        return [ChangeProposal.model_validate_json(r["proposal_json"]) for r in rows]
