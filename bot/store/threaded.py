"""SQLite through the stdlib driver in threads of the store's own: a whole transaction in one hop.

Why: through aiosqlite every statement is a hop to the connection's thread and back (cursor,
execute, fetch, BEGIN, COMMIT each), about 0.3 ms of GIL hand-overs apiece on a busy machine;
under a 200-request burst those hops were most of the process's CPU. Here a caller hands a plain
function of a synchronous SQLAlchemy connection to one of these threads and awaits it once: the
group commit's batches (one writer thread, so one writer, as SQLite wants) and one-statement
reads (a few reader threads; the driver lets go of the GIL while SQLite works, and WAL lets
readers run beside the writer). The aiosqlite engine stays for everything else (migrations,
compaction, multi-statement reads).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, Connection

from bot.store.engine import BEGIN_OPTION, sqlite_hooks

T = TypeVar("T")


class ThreadedSQLite:
    """A synchronous engine on an SQLite file and `threads` threads, each with its connection."""

    def __init__(self, url: URL, *, threads: int, busy_timeout_s: float, name: str) -> None:
        # Connections are made and used in these threads; closed from the loop's thread at close().
        self.engine: Engine = create_engine(url.set(drivername="sqlite"), pool_size=threads, max_overflow=0,
                                            connect_args={"timeout": busy_timeout_s, "check_same_thread": False})
        sqlite_hooks(self.engine, busy_timeout_s)
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    async def transaction(self, fn: Callable[[Connection], T], begin: str = "DEFERRED") -> T:
        """`fn(conn)` in one transaction (`BEGIN <begin>`, committed if it returns) in a thread."""
        def run() -> T:
            with self.engine.connect() as conn:
                conn = conn.execution_options(**{BEGIN_OPTION: begin})
                with conn.begin():
                    return fn(conn)
        return await asyncio.get_running_loop().run_in_executor(self._threads, run)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._threads, self.engine.dispose)
        self._threads.shutdown(wait=True)


def threaded(url: URL, *, threads: int, busy_timeout_s: float, name: str) -> ThreadedSQLite | None:
    """None for an in-memory database, which another engine would not share."""
    if (url.database or "") in ("", ":memory:"):
        return None
    return ThreadedSQLite(url, threads=threads, busy_timeout_s=busy_timeout_s, name=name)
