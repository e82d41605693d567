"""Housekeeping gives the space of deleted rows back: the scheduler's daily job runs retention and
then `Store.compact` (VACUUM), on both backends; the SQLite file shrinks."""

from __future__ import annotations

from pathlib import Path

from agents.models import Specialist
from bot.config.settings import Settings
from bot.scheduler import Scheduler
from bot.store import Store
from tests.harness.store import DAY, Clock, make_answer, response


async def _fill(store: Store, prefix: str, n: int) -> None:
    for i in range(n):
        answer = make_answer(f"{prefix}{i}", question=f"why is the branch office slow? ({i}) " + "x" * 400,
                             responses=[response(Specialist.diagnosis)])
        await store.record_answer(answer, source="dm", user="U1", channel="C1", thread_ts=f"{i}.0")


def _on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # the file, its WAL and shm


async def test_housekeeping_deletes_old_rows_and_shrinks_the_sqlite_file(tmp_path):
    clock, db = Clock(), tmp_path / "noc.db"
    store = await Store(f"sqlite:///{db}", clock=clock, retention_days=90).open()
    try:
        await _fill(store, "old", 300)
        clock.advance(91 * DAY)
        await _fill(store, "new", 10)
        before = _on_disk(db)
        await Scheduler(Settings(), store, post_daily=_never, clock=clock).housekeeping()
        assert await store.count("requests") == 10
        assert _on_disk(db) < before / 2  # the old rows' pages are gone from the file, not just free inside it
        assert {r["id"] for r in await store.requests()} == {f"new{i}" for i in range(10)}
        await _fill(store, "later", 5)  # still writable after the compaction
        assert await store.count("requests") == 15
    finally:
        await store.close()


async def test_compact_runs_on_each_backend_and_keeps_every_row(store_url):
    store = await Store(store_url, clock=Clock(), retention_days=90).open()
    try:
        await _fill(store, "r", 20)
        size = await store.compact()
        assert (size > 0) == store_url.startswith("sqlite")
        assert await store.count("requests") == 20 and await store.count("agent_runs") == 20
    finally:
        await store.close()


async def _never(_: str) -> None:
    raise AssertionError("housekeeping posts nothing")


