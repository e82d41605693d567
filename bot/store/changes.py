"""Change proposals and their audit trail in the store.

Decisions are compare-and-set on the `state` column (`transition`): of two clicks, two replicas
or a click racing the expiry, exactly one moves a proposal on, and the other learns it lost.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from agents.changes.models import ChangeProposal
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

    async def transition(self, proposal: ChangeProposal, from_state: str, to_state: str, **fields: Any) -> bool:
        """Move the proposal from `from_state` to `to_state` only if it is still in `from_state`."""
        t = schema.change_proposals
        updated = proposal.model_copy(update={"state": to_state, **fields})

        async def work(conn: AsyncConnection) -> bool:
            result = await conn.execute(update(t).where(t.c.id == proposal.id, t.c.state == from_state).values(
                state=to_state, approver=updated.approver, updated_at=self.clock(), proposal_json=updated.model_dump_json()))
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
