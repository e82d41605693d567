"""Engines for the two backends, and the line of text a failed start-up prints.

The configured URL names a database, not a driver (`sqlite:///noc.db`, `postgresql://...`);
the async driver is chosen here so the config file stays driver-neutral. Every operation
checks a connection out of a pool and returns it when done, so no cursor is ever shared
between concurrent tasks (the failure mode of the single aiosqlite connection this replaced).

SQLite runs in WAL mode (readers never block the writer) with a busy timeout, and write
transactions start with `BEGIN IMMEDIATE`: a writer takes the write lock before it reads, so a
lock conflict surfaces as a busy wait at BEGIN (retryable) instead of a deadlock mid-transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config.secret_mask import mask_credentials

# Execution options read by the SQLite BEGIN hook: the BEGIN mode (writes take the lock up
# front), and a busy timeout for callers that cannot wait long (the 3 s Slack ack path).
BEGIN_OPTION = "noc_sqlite_begin"
BUSY_OPTION = "noc_sqlite_busy_ms"

# PostgreSQL SQLSTATEs worth another try: serialization failure, deadlock, lock timeout, and the
# connection-level classes (server restart, admin shutdown, too many connections).
_PG_TRANSIENT = ("40001", "40P01", "55P03", "08", "53300", "57P01", "57P02", "57P03")


class StoreError(Exception):
    """The store cannot be used: one line naming the database and the problem (CLI exit 2).
    A URL password in the message (a driver's error may quote the URL) is masked."""

    def __init__(self, message: str = "") -> None:
        super().__init__(mask_credentials(str(message)))


class StoreBusy(StoreError):
    """A write still met a lock or a lost connection after every retry its caller could afford."""


def async_url(url: str) -> URL:
    """The SQLAlchemy async URL for a configured store URL."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise StoreError(f"store.url {url!r} is not a database URL (use sqlite:///path or postgresql://user@host/db)") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "aiosqlite"):
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "asyncpg"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise StoreError(f"store.url {parsed.render_as_string(hide_password=True)!r}: unsupported database "
                     "(use sqlite:///path or postgresql://user@host/db)")


def sqlite_path(url: str) -> str:
    """The file of an `sqlite:///` URL (relative to the working directory unless absolute)."""
    return url.removeprefix("sqlite:///")


def describe(url: URL) -> str:
    """The database as a person would name it, without the password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    host = (url.host or "localhost").rpartition("@")[2]  # an unencoded "@" in a password leaves its tail in the host
    return f"PostgreSQL {host}:{url.port or 5432}/{url.database or ''}"


def check_sqlite_file(url: URL) -> None:
    """Refuse a file that is not an SQLite database before any pooled connection (and its
    worker thread) exists: the stdlib module is synchronous, so nothing can outlive the check."""
    path = url.database or ""
    if path in ("", ":memory:") or not Path(path).exists():
        return
    if Path(path).is_dir():
        raise StoreError(f"{describe(url)}: is a directory, not a database file")
    if not Path(path).is_file():  # SQLite would wait for ever on a FIFO
        raise StoreError(f"{describe(url)}: is not a regular file (a FIFO, socket or device), not a database file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{describe(url)}: not a database ({exc})") from None


def make_engine(url: URL, *, busy_timeout_s: float, pool_size: int) -> AsyncEngine:
    """A pooled async engine; PostgreSQL connections are checked before use (server restarts)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, busy_timeout_s)
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800,
        connect_args={"timeout": 10, "command_timeout": 60},
    )


def lane_engine(url: URL, *, lanes: int) -> AsyncEngine:
    """PostgreSQL: the group commit's own connections, one per lane, so a batch of writes never
    waits behind a burst of reads for a pooled connection (at 200 concurrent requests the reads
    held the whole pool and each request's row waited 0.6-1.1 s for one). No pre-ping (a round trip
    per batch): a connection the server dropped fails its batch as invalidated, which the store
    retries on a fresh one (`is_transient`)."""
    return create_async_engine(url, pool_size=lanes, max_overflow=0, pool_recycle=1800,
                               connect_args={"timeout": 10, "command_timeout": 60})


def read_engine(url: URL, *, pool_size: int) -> AsyncEngine:
    """PostgreSQL: connections in autocommit for one-statement reads (the store's `_rows`). A read
    on the transactional pool sent six messages: BEGIN, the pre-ping, ROLLBACK (asyncpg's ping
    opens a transaction unless the connection is in autocommit), BEGIN, the SELECT, COMMIT. Every request reads its thread's last answer, so under a burst
    these were most of the process's socket writes. Here one: the SELECT, without pre-ping (a
    connection the server dropped fails its read as invalidated, which the store retries on a
    fresh one, `is_transient`). Opened lazily, like the main pool. No overflow: overflow connections
    are closed when given back to a full pool, so under a burst the reads opened and closed a
    connection again and again (70 connection set-ups, each a server backend's start, the
    authentication and the driver's type set-up, in one 200-request burst; p99 of a request's
    writes 263-318 ms with them, 190-205 ms without, issue 27); past `pool_size` a read waits for
    a connection instead."""
    return create_async_engine(url, isolation_level="AUTOCOMMIT", pool_size=pool_size, max_overflow=0,
                               pool_recycle=1800, connect_args={"timeout": 10, "command_timeout": 60})


def _sqlite_engine(url: URL, busy_timeout_s: float) -> AsyncEngine:
    path = url.database or ""
    if path not in ("", ":memory:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # A small pool: SQLite has one writer at a time, so more connections would only queue in
    # SQLite's busy handler instead of in asyncio. Each aiosqlite connection owns a worker
    # thread; `dispose()` (close, failed open) ends them all.
    engine = create_async_engine(url, pool_size=4, max_overflow=4, pool_timeout=120, connect_args={"timeout": busy_timeout_s})
    sqlite_hooks(engine.sync_engine, busy_timeout_s)
    return engine


def sqlite_hooks(engine: Engine, busy_timeout_s: float) -> None:
    """WAL, the busy timeout and BEGIN issued by us (its mode from BEGIN_OPTION), on every connection."""
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let the BEGIN hook below issue BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            record.info["busy_ms"] = busy_ms
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # no transaction: VACUUM (Store.compact) cannot run inside one
        want = int(options.get(BUSY_OPTION, busy_ms))
        info = conn.connection.info  # lives as long as the pooled connection
        if info.get("busy_ms") != want:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {want}")
            info["busy_ms"] = want
        conn.exec_driver_sql(f"BEGIN {options.get(BEGIN_OPTION, 'DEFERRED')}")


def is_transient(exc: BaseException) -> bool:
    """A lock or a dropped connection: the same transaction may well succeed a moment later."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    message = str(orig).lower()
    if isinstance(exc, OperationalError) and ("database is locked" in message or "database table is locked" in message
                                              or "busy" in message):
        return True
    code = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    return bool(code) and code.startswith(_PG_TRANSIENT)


def open_error(url: URL, exc: BaseException) -> StoreError:
    """One line for anything that stops `Store.open`: what database, and what went wrong."""
    if isinstance(exc, StoreError):
        return exc
    orig = getattr(exc, "orig", None) or exc
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if url.get_backend_name() == "sqlite":
        if "not a database" in reason or "malformed" in reason:
            return StoreError(f"{describe(url)}: not a database ({reason})")
        return StoreError(f"{describe(url)}: cannot open ({reason})")
    if isinstance(orig, (OSError, TimeoutError)) or "connect" in type(orig).__name__.lower():
        return StoreError(f"{describe(url)}: unreachable ({reason})")
    return StoreError(f"{describe(url)}: {reason}")
