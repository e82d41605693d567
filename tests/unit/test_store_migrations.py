"""Schema migrations and start-up errors, on both backends.

A fresh database gets the schema of the newest revision; a database migrated by a newer
release, a file that is not a database, an unreachable server and a failed migration each stop
the open with one line naming the database and the problem, and leave nothing running.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.store import Store, StoreError
from bot.store.migrate import head_revision
from bot.store.schema import metadata


async def test_a_fresh_database_gets_the_whole_schema_of_the_newest_revision(store_url):
    store = await Store(store_url).open()
    try:
        assert store.revision == head_revision()
        async with store.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata))
        assert diff == []  # the migrations create exactly what bot.store.schema describes
        await store.record_audit(user="U1", channel=None, command="ask", outcome="allowed")
    finally:
        await store.close()
    again = await Store(store_url).open()  # a restart: nothing to migrate, nothing lost
    try:
        assert again.revision == head_revision() and await again.count("audit_events") == 1
    finally:
        await again.close()


async def test_replaying_every_revision_builds_what_a_fresh_start_builds(store_url):
    """A fresh database is built from bot.store.schema and stamped (bot.store.migrate); the
    revisions, replayed from the first on an empty database, must build exactly that schema, or a
    database created by an older release would differ from a new one."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from bot.store.engine import async_url
    from bot.store.migrate import upgrade

    engine = create_async_engine(async_url(store_url))
    try:
        async with engine.begin() as conn:
            revision = await conn.run_sync(lambda c: upgrade(c, "the test database", from_scratch=False))
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), metadata))
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    assert revision == head_revision() and diff == []
    assert set(metadata.tables) <= tables


async def test_replicas_starting_together_migrate_once(store_url):
    stores = await asyncio.gather(*(Store(store_url).open() for _ in range(3)))
    try:
        assert {s.revision for s in stores} == {head_revision()}
    finally:
        for s in stores:
            await s.close()


async def _stamp(url: str, revision: str) -> None:
    store = await Store(url).open()
    try:
        async def work(conn):
            await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
        await store._write(work)
    finally:
        await store.close()


async def test_a_schema_newer_than_the_code_stops_the_bot_with_a_clear_message(store_url):
    await _stamp(store_url, "0099_from_the_future")
    with pytest.raises(StoreError) as info:
        await Store(store_url).open()
    message = str(info.value)
    assert "schema revision 0099_from_the_future is newer than this version of noc-chatops knows" in message
    assert f"latest {head_revision()}" in message and "\n" not in message


async def test_a_failed_migration_names_the_revisions(store_url):
    store = await Store(store_url).open()
    async def work(conn):
        await conn.execute(text("DROP TABLE alembic_version"))  # as if a half-made database
    await store._write(work)
    await store.close()
    with pytest.raises(StoreError, match=rf"schema migration from empty to {head_revision()} failed \(.*requests.*\)"):
        await Store(store_url).open()


async def test_a_file_that_is_not_a_database_is_refused_and_nothing_keeps_running(tmp_path):
    junk = tmp_path / "noc.db"
    junk.write_text("these are not the tables you are looking for\n" * 100)
    before = threading.active_count()
    with pytest.raises(StoreError, match=r"^SQLite database .*noc\.db: not a database \(file is not a database\)$"):
        await Store(f"sqlite:///{junk}").open()
    assert threading.active_count() == before
    with pytest.raises(StoreError, match="is a directory"):
        await Store(f"sqlite:///{tmp_path}").open()


async def test_an_unreachable_postgres_is_refused_at_once():
    with pytest.raises(StoreError, match=r"^PostgreSQL 127\.0\.0\.1:1/noc: unreachable \("):
        await Store("postgresql://noc:secret@127.0.0.1:1/noc").open()


@pytest.mark.parametrize("url", ["mysql://db/noc", "not a url", "postgresql+psycopg2://db/noc"])
async def test_unsupported_urls_are_refused(url):
    with pytest.raises(StoreError, match="use sqlite:///path or postgresql://"):
        await Store(url).open()


def test_noc_exits_2_with_one_line_on_a_bad_store_and_does_not_hang(tmp_path):
    junk = tmp_path / "noc.db"
    junk.write_bytes(b"\x00garbage" * 512)
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{junk}\n")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), "requests"], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"Error: store error: SQLite database {junk}: not a database (file is not a database)"
    assert "Traceback" not in done.stderr
