"""Writes of one kind that reach the store together are written together (issue 27: a store that
keeps up): claims, request rows, answers and access records of one group-commit batch become one
statement of each kind, with the results each caller would have had in turn, on both backends.
Writes started in one `asyncio.gather` are queued before the batch's task first runs, so they
share its transaction; the spies count how the store wrote them. On PostgreSQL a kind's batch is
first one statement on the driver's connection (bot.store.direct), and what it leaves undone (a
repeated id, a claim to take over, an answer without an event) is written by the merged writer."""

from __future__ import annotations

import asyncio

import pytest

from agents.models import Specialist
from bot.store import Store, direct
from tests.harness.store import Clock, make_answer, response


@pytest.fixture
async def store(store_url):
    s = await Store(store_url, clock=Clock(), lease_s=60).open()
    yield s
    await s.close()


def spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """The sizes of the lists the store's merged writer `name` was handed."""
    sizes: list[int] = []
    real = getattr(Store, name)

    def counting(self: Store, conn, items):
        sizes.append(len(items))
        return real(self, conn, items)
    monkeypatch.setattr(Store, name, counting)
    return sizes


def spy_direct(monkeypatch: pytest.MonkeyPatch, store: Store, name: str) -> list[int]:
    """The sizes of the lists PostgreSQL's one-statement writer `name` (bot.store.direct) was handed."""
    sizes: list[int] = []
    real = getattr(direct, name)

    async def counting(conn, items, *rest):
        sizes.append(len(items))
        return await real(conn, items, *rest)
    monkeypatch.setattr(direct, name, counting)
    return sizes


def batches(store: Store, merged: list[int], statement: list[int], undone: list[int]) -> bool:
    """SQLite: the merged writer had the whole batch; PostgreSQL: the statement had it, and the
    merged writer what it left undone."""
    if store.dialect == "postgresql":
        return statement == [4] and merged == undone
    return merged == [4] and not statement


async def test_claims_written_together_win_as_if_in_turn(store, monkeypatch):
    other = await Store(store.url, clock=store.clock, lease_s=60, owner="gone").open()
    try:
        assert await other.claim_event("Ev0")  # a claim whose holder went away ...
        store.clock.advance(61)  # ... and whose lease ran out: it may be taken over
        sizes, statement = spy(monkeypatch, "_claims"), spy_direct(monkeypatch, store, "claims")
        won = await asyncio.gather(*(store.claim_event(e) for e in ("Ev1", "Ev2", "Ev1", "Ev0")))
        assert won == [True, True, False, True]
        assert batches(store, sizes, statement, undone=[2])  # the repeat, the takeover
        assert not await store.claim_event("Ev2")  # alone, after the batch
    finally:
        await other.close()


async def test_request_rows_written_together_link_their_events(store, monkeypatch):
    await asyncio.gather(store.claim_event("Ev1"), store.claim_event("Ev2"))
    sizes, statement = spy(monkeypatch, "_receive"), spy_direct(monkeypatch, store, "received")
    made = await asyncio.gather(*(store.record_received(rid, question="q", source="mention", channel="C1", thread_ts="1.0",
                                                        event_id=event, running=True)
                                  for rid, event in (("r1", "Ev1"), ("r2", "Ev2"), ("r1", "Ev1"), ("r3", None))))
    assert made == [True, True, False, True]
    assert batches(store, sizes, statement, undone=[1])  # the repeat
    rows = await store.db.execute_fetchall("SELECT event_id, request_id FROM processed_events ORDER BY event_id")
    assert [(r["event_id"], r["request_id"]) for r in rows] == [("Ev1", "r1"), ("Ev2", "r2")]
    assert {r["id"]: r["status"] for r in await store.requests()} == {"r1": "running", "r2": "running", "r3": "running"}


async def test_answers_written_together_finish_their_events(store, monkeypatch):
    await store.claim_event("Ev1")
    await store.record_received("r1", question="q", source="mention", channel="C1", thread_ts="1.0", event_id="Ev1")
    await store.record_received("r3", question="q", source="dm", channel="C1", thread_ts="3.0", event_id="Ev3")  # its claim never reached the store
    sizes, statement = spy(monkeypatch, "_answers"), spy_direct(monkeypatch, store, "answers")
    runs = [response(Specialist.diagnosis), response(Specialist.performance)]
    where = dict(source="mention", user="U1", channel="C1", thread_ts="1.0")
    await asyncio.gather(store.record_answer(make_answer("r1", responses=runs), **where, event_id="Ev1"),
                         store.record_answer(make_answer("r2", responses=runs[:1]), **where),
                         store.record_answer(make_answer("r3", status="failed"), **where, event_id="Ev3"),
                         store.record_answer(make_answer("r1", responses=runs), **where, event_id="Ev1"))  # twice: written in turn
    assert batches(store, sizes, statement, undone=[2])  # the answer without an event, the repeat
    assert {r["id"]: r["status"] for r in await store.requests()} == {"r1": "answered", "r2": "answered", "r3": "failed"}
    assert [await store.count(t) for t in ("agent_runs", "tool_calls")] == [5, 5]
    events = await store.db.execute_fetchall("SELECT event_id, request_id, finished_at FROM processed_events ORDER BY event_id")
    assert [(e["event_id"], e["request_id"], e["finished_at"] is not None) for e in events] == [("Ev1", "r1", True), ("Ev3", "r3", True)]
    assert not await store.claim_event("Ev1") and not await store.claim_event("Ev3")  # finished: a retry is not answered twice


async def test_access_records_written_together(store):
    await asyncio.gather(*(store.record_audit(user=f"U{i}", channel="C1", command="@noc", outcome="allowed") for i in range(5)))
    assert [e["user_id"] for e in await store.audit_events()] == [f"U{i}" for i in range(5)]
