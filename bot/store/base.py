"""The store's plumbing: open (checks, migrations), one connection per operation, retried writes.

Reads and writes each check a connection out of the engine's pool for one operation and give
it back; nothing (cursor, transaction, connection) is shared between concurrent tasks, so any
number of coroutines may use one Store. A write that meets a transient condition (SQLite busy,
PostgreSQL serialization failure or dropped connection) is retried as a whole transaction with
jittered backoff, so an answer that was computed is not lost to a lock held for a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, RowMapping
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_random_exponential

from bot.store import direct, schema
from bot.store.engine import (
    BEGIN_OPTION,
    BUSY_OPTION,
    StoreBusy,
    StoreError,
    async_url,
    check_sqlite_file,
    describe,
    is_transient,
    lane_engine,
    make_engine,
    open_error,
    read_engine,
)
from bot.store.group_commit import GroupCommit
from bot.store.migrate import upgrade
from bot.store.read_batch import ReadBatch
from bot.store.threaded import ThreadedSQLite, threaded

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
DAY_S = 86400.0


def default_owner() -> str:
    """Who holds a lease: host, process and a per-Store nonce (two Stores in one process differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class StoreBase:
    """Open/close, the read and write helpers, counting and retention."""

    def __init__(self, url: str, *, clock: Clock = time.time, lease_s: float = 60.0, retention_days: float = 90.0,
                 owner: str | None = None, busy_timeout_s: float = 5.0, write_attempts: int = 10,
                 pool_size: int = 10, ack_patience_s: float = 2.0, write_patience_s: float = 30.0) -> None:
        self.url = url
        self.clock = clock
        self.lease_s = lease_s
        self.retention_days = retention_days
        self.owner = owner or default_owner()
        self.busy_timeout_s = busy_timeout_s
        self.write_attempts = write_attempts
        self.pool_size = pool_size
        # Event claims and access records sit on Slack's 3 s ack path: they give up early. Other
        # writes (answers above all) keep retrying a lock for write_patience_s.
        self.ack_patience_s = ack_patience_s
        self.write_patience_s = write_patience_s
        self.retries = 0  # transient failures retried so far (observability and tests)
        self.revision: str | None = None
        self._url: URL | None = None
        self._engine: AsyncEngine | None = None
        self._sqlite_writer: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
        self._group: GroupCommit | None = None  # set by open()
        # SQLite: the thread that runs the group commit's batches, and those of one-statement reads.
        self._writer: ThreadedSQLite | None = None
        self._readers: ThreadedSQLite | None = None
        self._lanes: AsyncEngine | None = None  # PostgreSQL: the group commit's own connections
        self._reads: AsyncEngine | None = None  # PostgreSQL: autocommit connections for one-statement reads
        self._answer_reads: ReadBatch[tuple[str, str], str | None] | None = None  # set by open() on PostgreSQL
        self._statements: dict[Any, Any] = {}  # bot.store.requests: the hot writes' statements (_built)

    # -- lifecycle --------------------------------------------------------------------------

    async def open(self) -> Any:
        """Connect, create or migrate the schema; a `StoreError` with one line if that fails.

        On failure nothing stays behind: the engine is disposed, so no pooled connection (nor
        aiosqlite's worker thread) keeps the process alive after the caller prints and exits.
        """
        url = async_url(self.url)
        self._url = url
        if url.get_backend_name() == "sqlite":
            check_sqlite_file(url)
        engine = make_engine(url, busy_timeout_s=self.busy_timeout_s, pool_size=self.pool_size)
        try:
            self.revision = await self._with_retry(lambda: self._migrate(engine))
        except BaseException as exc:
            await engine.dispose()
            if isinstance(exc, Exception):
                raise open_error(url, exc) from None
            raise
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        self._sqlite_writer = asyncio.Lock() if sqlite else contextlib.nullcontext()
        if sqlite:
            self._writer = threaded(url, threads=1, busy_timeout_s=self.busy_timeout_s, name="store-writer")
            self._readers = threaded(url, threads=4, busy_timeout_s=self.busy_timeout_s, name="store-reader")
        # PostgreSQL: batches written side by side on connections of their own (half the pool's size).
        lanes = 1 if sqlite else max(1, self.pool_size // 2)
        self._lanes = None if sqlite else lane_engine(url, lanes=lanes)
        self._reads = None if sqlite else read_engine(url, pool_size=self.pool_size)
        # PostgreSQL: the threads' last answers that are asked for together, read in one statement.
        self._answer_reads = None if sqlite else ReadBatch(partial(self._read_direct, direct.last_answers))
        self._group = GroupCommit(self._group_transaction, lanes=lanes, sync_transaction=self._sync_group_transaction,
                                  direct=None if sqlite else self._direct)
        return self

    async def _migrate(self, engine: AsyncEngine) -> str:
        async with engine.connect() as conn:
            conn = await conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            async with conn.begin():
                return await conn.run_sync(upgrade, describe(async_url(self.url)))

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()
        for extra in (self._lanes, self._reads):
            if extra is not None:
                await extra.dispose()
        self._lanes = self._reads = None
        for threads in (self._writer, self._readers):
            if threads is not None:
                await threads.close()
        self._writer = self._readers = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("store is not open")
        return self._engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> str:
        return describe(self._url or async_url(self.url))

    # -- operations -------------------------------------------------------------------------

    async def _with_retry(self, attempt: Callable[[], Awaitable[T]], patience_s: float | None = None) -> T:
        """Retry transient failures with jittered backoff: `write_attempts` times, for at most
        `patience_s` (default `write_patience_s`) seconds; then `StoreBusy`. Other errors
        propagate at once."""
        def transient(exc: BaseException) -> bool:
            if is_transient(exc) or isinstance(exc, PoolTimeout):
                self.retries += 1
                log.warning("store: transient failure, retrying: %s", str(exc).splitlines()[0])
                return True
            return False

        def busy(exc: BaseException) -> StoreBusy:
            return StoreBusy(f"{self.where}: still busy after retrying ({str(exc).splitlines()[0]})")

        patience, started = patience_s or self.write_patience_s, time.monotonic()
        try:  # the first try without the retry machinery: most need none, and its state cost ~40 us a call
            return await attempt()
        except (DBAPIError, PoolTimeout) as exc:
            if not transient(exc):
                raise
            left = patience - (time.monotonic() - started)
            if self.write_attempts <= 1 or left <= 0:
                raise busy(exc) from exc
        await asyncio.sleep(random.uniform(0, 0.02))  # the first of the jittered, growing waits
        stop = stop_after_attempt(self.write_attempts - 1) | stop_after_delay(left)
        try:
            async for trying in AsyncRetrying(retry=retry_if_exception(transient), stop=stop,
                                              wait=wait_random_exponential(multiplier=0.02, max=2.0), reraise=True):
                with trying:
                    return await attempt()
        except (DBAPIError, PoolTimeout) as exc:
            if is_transient(exc) or isinstance(exc, PoolTimeout):
                raise busy(exc) from exc
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _write(self, work: Callable[[AsyncConnection], Awaitable[T]], patience_s: float | None = None) -> T:
        """Run `work` in one write transaction on its own connection, retried whole if transient.

        SQLite admits one writer at a time; writers of this process queue on an asyncio lock
        rather than in SQLite's busy handler, whose sleeps (up to 100 ms each) would add
        latency for nothing. Other processes are still waited out by the busy timeout.
        `patience_s` bounds the whole call, lock waits included, for callers on a deadline.
        """
        options: dict[str, Any] = {BEGIN_OPTION: "IMMEDIATE"}
        if patience_s is not None:
            options[BUSY_OPTION] = max(1, int(min(self.busy_timeout_s, patience_s / 4) * 1000))

        async def attempt() -> T:
            if self._group is not None:  # writes arriving together share a transaction (bot.store.group_commit)
                return await self._group.submit(work)
            async with self._sqlite_writer, self.engine.connect() as conn:
                conn = await conn.execution_options(**options)
                async with conn.begin():
                    if patience_s is not None and conn.dialect.name == "postgresql":
                        await conn.execute(text(f"SET LOCAL lock_timeout = {int(options[BUSY_OPTION])}"))
                    return await work(conn)
        return await self._with_retry(attempt, patience_s)

    async def _group_transaction(self, fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """One write transaction for the group commit: on SQLite the process's writer lock and
        BEGIN IMMEDIATE; on PostgreSQL a pooled connection's transaction. A caller's patience is
        its own deadline (the callers on the ack path wrap their writes in asyncio.wait_for)."""
        async with self._sqlite_writer, (self._lanes or self.engine).connect() as conn:
            conn = await conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            async with conn.begin():
                return await fn(conn)

    async def _write_sync(self, work: Callable[[Connection], T], patience_s: float | None = None) -> T:
        """`_write` for a plain function of a synchronous connection: the group commit runs a batch
        of these in one call (on SQLite in the writer thread, one hop for the whole batch)."""
        async def attempt() -> T:
            if self._group is None:
                raise StoreError("store is not open")
            return await self._group.submit(work, sync=True)
        return await self._with_retry(attempt, patience_s)

    async def _sync_group_transaction(self, fn: Callable[[Connection], T]) -> T:
        """`_group_transaction` for a batch of plain functions: on SQLite the writer lock, then the
        whole transaction in the writer thread; on PostgreSQL (or SQLite in memory) a pooled
        connection's transaction, the functions run in its greenlet (SQLAlchemy's `run_sync`)."""
        if self._writer is None:
            async with self._sqlite_writer, (self._lanes or self.engine).connect() as conn:
                conn = await conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                async with conn.begin():
                    return await conn.run_sync(fn)
        async with self._sqlite_writer:
            return await self._writer.transaction(fn, "IMMEDIATE")

    async def _direct(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """PostgreSQL: `fn(asyncpg connection)` on a lane's connection, outside any transaction
        (bot.store.direct: one statement a kind, atomic alone)."""
        assert self._lanes is not None
        async with direct.driver(self._lanes) as raw:
            return await fn(raw)

    async def _read(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run `work` on its own connection (a consistent snapshot); retried like a write."""
        async def attempt() -> T:
            async with self.engine.connect() as conn:
                async with conn.begin():
                    return await work(conn)
        return await self._with_retry(attempt)

    async def _rows(self, statement: Any, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """One SELECT's rows. On SQLite in a reader thread, in one hop (bot.store.threaded); on
        PostgreSQL on an autocommit connection (`read_engine`): one statement is its own snapshot,
        so no BEGIN and COMMIT around it, nor around the pre-ping."""
        def rows(conn: Connection) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in conn.execute(statement, params).all()]
        if self._readers is not None:
            readers = self._readers
            return await self._with_retry(lambda: readers.transaction(rows))
        if self._reads is None:
            return await self._read(lambda conn: conn.run_sync(rows))
        reads = self._reads

        async def attempt() -> list[dict[str, Any]]:
            async with reads.connect() as conn:
                return await conn.run_sync(rows)
        return await self._with_retry(attempt)

    async def _read_direct(self, fn: Callable[[Any, Any], Awaitable[T]], arg: Any) -> T:
        """PostgreSQL: `fn(asyncpg connection, arg)` on a connection of the autocommit read pool
        (bot.store.direct), for the batched reads (bot.store.read_batch)."""
        assert self._reads is not None
        async with direct.driver(self._reads) as raw:
            return await fn(raw, arg)

    def _insert_ignore(self, table: Table, key: list[str]) -> Any:
        """INSERT ... ON CONFLICT (key) DO NOTHING, in the open backend's dialect."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing(index_elements=key)

    def _upsert(self, table: Table, key: list[str], values: Mapping[str, Any], update: Mapping[str, Any]) -> Any:
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table).values(**values).on_conflict_do_update(index_elements=key, set_=dict(update))

    def _upsert_many(self, table: Table, key: list[str], update: list[str]) -> Any:
        """An INSERT for rows given at execution (executemany: one statement on PostgreSQL); an
        existing row (by `key`) takes the `update` columns of its new row."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        statement = dialect.insert(table)
        return statement.on_conflict_do_update(index_elements=key, set_={c: statement.excluded[c] for c in update})

    def _built(self, key: Any, build: Callable[[], Any]) -> Any:
        """A statement of the hot writes, built once per store (building one costs more than running it)."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    async def _insert(self, table: Table, **values: Any) -> None:
        async def work(conn: AsyncConnection) -> None:
            await conn.execute(insert(table).values(**values))
        await self._write(work)

    # -- inspection and housekeeping --------------------------------------------------------

    async def count(self, table: str) -> int:
        """Rows in one of the store's tables (tests, `noc` diagnostics)."""
        if table not in schema.metadata.tables:
            raise ValueError(table)
        t = schema.metadata.tables[table]

        async def work(conn: AsyncConnection) -> int:
            return int((await conn.execute(select(func.count()).select_from(t))).scalar_one())
        return await self._read(work)

    async def cleanup(self, now: float | None = None) -> dict[str, int]:
        """Delete what is older than the retention period; returns rows deleted per table.

        The newest config snapshot of each device is kept whatever its age: it is the baseline
        the next snapshot is compared with. Leased rows (running requests, claimed events) are
        younger than any sensible retention, so age alone decides.
        """
        cutoff = (self.clock() if now is None else now) - self.retention_days * DAY_S

        async def work(conn: AsyncConnection) -> dict[str, int]:
            deleted: dict[str, int] = {}
            for name, column in schema.TIMESTAMPS.items():
                table = schema.metadata.tables[name]
                statement = delete(table).where(table.c[column] < cutoff)
                if name == "config_snapshots":
                    newest = select(func.max(table.c.id)).group_by(table.c.device).scalar_subquery()
                    statement = statement.where(table.c.id.not_in(newest))
                deleted[name] = (await conn.execute(statement)).rowcount or 0
            return deleted
        result = await self._write(work)
        if any(result.values()):
            log.info("store retention (%g days): deleted %s", self.retention_days, {k: v for k, v in result.items() if v})
        return result

    async def compact(self) -> int:
        """Give back the space retention freed; the file's size in bytes after it (SQLite), else 0.

        SQLite keeps deleted rows' pages in the file: VACUUM rewrites it, then the WAL is
        checkpointed and truncated. PostgreSQL's autovacuum makes dead rows' space reusable on its
        own; VACUUM (ANALYZE) here does it at once and refreshes the planner's statistics. Both
        run outside a transaction; on SQLite the writers wait for it (the daily housekeeping runs
        it off-peak, after `cleanup`, only when that deleted rows)."""
        if self._engine is None:
            raise StoreError("store is not open")
        async with self._sqlite_writer, self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "sqlite":
                await auto.execute(text("VACUUM"))
                await auto.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                pages = (await auto.execute(text("PRAGMA page_count"))).scalar_one()
                size = (await auto.execute(text("PRAGMA page_size"))).scalar_one()
                return int(pages) * int(size)
            await auto.execute(text("VACUUM (ANALYZE)"))
            return 0

    @property
    def db(self) -> "RawSQL":
        """Ad-hoc read-only SQL for tests and diagnostics (rows as mappings)."""
        return RawSQL(self)


class RawSQL:
    """`await store.db.execute_fetchall("SELECT ...")`: the aiosqlite-era helper, on any backend."""

    def __init__(self, store: StoreBase) -> None:
        self._store = store

    async def execute_fetchall(self, sql: str, params: Mapping[str, Any] | None = None) -> list[RowMapping]:
        async def work(conn: AsyncConnection) -> list[RowMapping]:
            return [r._mapping for r in (await conn.execute(text(sql), dict(params or {}))).all()]
        if self._store._engine is None:
            raise StoreError("store is not open")
        return await self._store._read(work)
