"""Concurrent use of one store, and writes that meet a lock, on both backends.

The old store shared one aiosqlite connection: a reader's open cursor made a concurrent
`record_answer` fail with sqlite3.InterfaceError, and a locked database lost the answer. Here
200 coroutines read and write at once, and a lock held by another connection is waited out or
retried. Nothing waits on the wall clock: each test holds the lock until the store is seen
waiting (a retry counted, or a lock request queued in pg_locks), then lets go.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store import Store, StoreBusy
from bot.store.engine import async_url, is_transient, sqlite_path
from tests.harness.store import Clock, make_answer
from tests.harness.waiting import until


async def _mixed_load(store: Store, n: int) -> None:
    """n writers and n readers at once."""
    async def write(i: int) -> None:
        await store.record_answer(make_answer(f"r{i:03d}"), source="mention", user="U1", channel="C1", thread_ts=f"{i % 10}.0")

    async def read(i: int) -> None:
        await store.last_answer_in_thread("C1", f"{i % 10}.0")
        await store.answer(f"r{i:03d}")

    # interleaved, so readers keep hitting threads that writers are adding to
    await asyncio.gather(*(job for i in range(n) for job in (write(i), read(i))))


async def test_200_concurrent_readers_and_writers_lose_nothing(store_url):
    store = await Store(store_url, clock=Clock()).open()
    try:
        await _mixed_load(store, 100)
        assert await store.count("requests") == 100
        assert {r["id"] for r in await store.requests(limit=1000)} == {f"r{i:03d}" for i in range(100)}
        for thread in range(10):
            assert (await store.last_answer_in_thread("C1", f"{thread}.0")) is not None
    finally:
        await store.close()


async def test_sqlite_writes_blocked_by_another_connection_are_retried_not_lost(tmp_path):
    url = f"sqlite:///{tmp_path / 'noc.db'}"
    store = await Store(url, clock=Clock(), busy_timeout_s=0.01).open()
    blocker = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        await store.record_answer(make_answer("before"), source="dm", user=None, channel="C1", thread_ts="0.0")
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        blocker.execute("INSERT INTO feedback (request_id, value, at) VALUES ('x', 'helpful', 0)")
        writes = asyncio.gather(*(store.record_answer(make_answer(f"w{i}"), source="dm", user=None, channel="C1",
                                                      thread_ts="1.0") for i in range(50)))
        reads = await asyncio.gather(*(store.last_answer_in_thread("C1", "0.0") for _ in range(20)))
        assert all(a is not None and a.request_id == "before" for a in reads)  # WAL: readers are not blocked
        await until(lambda: store.retries, what="the store to meet the lock and back off")
        blocker.execute("COMMIT")
        await writes
        assert await store.count("requests") == 51 and await store.count("feedback") == 1
    finally:
        blocker.close()
        await store.close()


async def test_a_lock_that_outlasts_the_patience_is_a_store_busy_error(tmp_path):
    """Event claims and access records (Slack's ack path) give up after `ack_patience_s`,
    other writes after `write_patience_s`; the caller decides what to do, the lock is not hidden."""
    url = f"sqlite:///{tmp_path / 'noc.db'}"
    # SQLite's own busy wait kept short too (as in the test above): each attempt meets the lock at once
    store = await Store(url, clock=Clock(), ack_patience_s=0.05, write_patience_s=0.1, busy_timeout_s=0.01).open()
    blocker = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy, match="still busy after retrying .*database is locked"):
            await store.claim_event("Ev1")
        with pytest.raises(StoreBusy):
            await store.record_audit(user="U1", channel="C1", command="ask", outcome="allowed")
        with pytest.raises(StoreBusy):
            await store.record_answer(make_answer("r1"), source="dm", user=None, channel=None, thread_ts=None)
        blocker.execute("ROLLBACK")
        assert await store.claim_event("Ev1")  # nothing half-written: the claim is still free
        assert await store.count("requests") == 0
    finally:
        blocker.close()
        await store.close()


async def test_postgres_writes_queued_behind_a_table_lock_all_land(pg_url):
    store_url = pg_url
    store = await Store(store_url, clock=Clock()).open()
    blocker = create_async_engine(async_url(store_url))
    try:
        async with blocker.connect() as conn:
            tx = await conn.begin()
            await conn.execute(text("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE"))
            writes = asyncio.gather(*(store.record_answer(make_answer(f"w{i}"), source="dm", user=None, channel="C1",
                                                          thread_ts="1.0") for i in range(50)))
            waiting = 0
            while waiting == 0:  # until a writer is seen queued on the lock
                await asyncio.sleep(0.005)
                async with blocker.connect() as probe:
                    waiting = (await probe.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))).scalar_one()
            await tx.rollback()
        await writes
        assert await store.count("requests") == 50
    finally:
        await blocker.dispose()
        await store.close()


async def test_postgres_connections_killed_under_the_store_are_replaced(pg_url):
    store_url = pg_url
    store = await Store(store_url, clock=Clock()).open()
    admin = create_async_engine(async_url(store_url))
    try:
        await _mixed_load(store, 20)  # fills the pool
        async with admin.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        assert (await store.last_answer_in_thread("C1", "1.0")) is not None  # a one-statement read (its own pool, no pre-ping)
        await store.record_answer(make_answer("after"), source="dm", user=None, channel="C1", thread_ts="1.0")
        # one-statement writes on the driver's connection (bot.store.direct) meet killed connections too
        assert await asyncio.gather(*(store.claim_event(f"Ev-after-{n}") for n in range(5))) == [True] * 5
        await store.record_answer(make_answer("after-2"), source="mention", user=None, channel="C1", thread_ts="1.0",
                                  event_id="Ev-after-0")
        assert await store.count("requests") == 22
    finally:
        await admin.dispose()
        await store.close()


class _Orig(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(("exc", "transient"), [
    (OperationalError("BEGIN", {}, _Orig("database is locked")), True),
    (OperationalError("UPDATE", {}, _Orig("could not serialize access", "40001")), True),
    (OperationalError("UPDATE", {}, _Orig("deadlock detected", "40P01")), True),
    (OperationalError("SELECT", {}, _Orig("terminating connection due to administrator command", "57P01")), True),
    (IntegrityError("INSERT", {}, _Orig("duplicate key", "23505")), False),
    (OperationalError("SELECT", {}, _Orig("no such table: requests")), False),
    (ValueError("not a database error"), False),
])
def test_which_failures_are_retried(exc, transient):
    assert is_transient(exc) is transient
