"""Group commit: the store writes of this process that arrive together share one transaction.

Why: under a burst (200 requests, six writes each) every write paid its own connection checkout,
BEGIN and COMMIT: on SQLite, which admits one writer at a time, each waited for all the writes
queued before it (several hops to the driver's thread apiece); on PostgreSQL each waited for one
of the pool's connections and its pre-ping. One request's writes together took p99 4.1 s
(SQLite) and 3.8 s (PostgreSQL) on a busy 2-core machine. Here a writer that finds the store busy queues
its work; when the current transaction ends, everything queued runs in the next one, in arrival
order, and each caller gets its own result once that transaction has committed (never before:
what a caller was told is written, is).

On PostgreSQL, which runs transactions side by side, several batches may be open at once
(`lanes`, sized from the connection pool): a single lane left every write waiting for the
server's round trips of all the writes ahead of it. SQLite keeps one lane (one writer). Each
caller awaits its write, so one caller's writes still commit in its order; writes of different
callers in different lanes commit in no promised order.

A work is either a coroutine function of an `AsyncConnection` or (`submit(..., sync=True)`) a
plain function of a synchronous `Connection`. A batch holds works of one kind, taken in arrival
order; a batch of plain functions is handed to `sync_transaction` whole, which on SQLite runs it
in the writer thread in one hop (bot.store.base): one hand-over for the batch instead of several
per statement through aiosqlite's thread, which was most of the store's CPU under a burst.

A plain-function work may also be `Merged`: it names a function that writes a list of works of
its kind together (one multi-row INSERT or one executemany instead of a statement per caller).
The works of a batch are grouped by that function; each caller has at most one work waiting, so
grouping reorders only different callers' writes, which no order was promised for.

If any work in a batch raises, the batch is rolled back and each of its works runs again in a
transaction of its own, so one bad write fails alone and the others still commit. A caller
cancelled while queued (a deadline passed) is dropped before its work runs.

On PostgreSQL (`direct`, given by the store) a `Merged` kind may also name `direct`: one
statement writing the kind's works on the driver's own connection outside any transaction
(bot.store.direct; one statement is atomic by itself): one round trip instead of BEGIN, a
statement a table and COMMIT through SQLAlchemy. What that statement leaves `UNDONE`, or all of
its works if it raised (then it wrote nothing), is written the usual way after it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

Work = Callable[[AsyncConnection], Awaitable[Any]]
SyncWork = Callable[[Connection], Any]
Transaction = Callable[[Callable[[AsyncConnection], Awaitable[list[Any]]]], Awaitable[list[Any]]]
SyncTransaction = Callable[[Callable[[Connection], list[Any]]], Awaitable[list[Any]]]
Direct = Callable[[Callable[[Any], Awaitable[Any]]], Awaitable[Any]]  # runs fn(driver connection)

log = logging.getLogger(__name__)

T = TypeVar("T")
A = TypeVar("A")

MAX_BATCH = 64  # works per transaction: bounds how long one transaction holds the write lock


@dataclass(frozen=True)
class Merged(Generic[A, T]):
    """A plain-function work that `many` can write together with others of its kind: `one(conn,
    args)` alone, `many(conn, [args, ...])` for several, results in the same order."""

    one: Callable[[Connection, A], T]
    many: Callable[[Connection, list[A]], list[T]]
    args: A
    # PostgreSQL: the kind's works as one statement on the driver's connection (bot.store.direct).
    direct: Callable[[Any, list[A]], Awaitable[list[Any]]] | None = None

    def __call__(self, conn: Connection) -> T:
        return self.one(conn, self.args)


def first_of_each(keys: list[Any]) -> tuple[list[int], list[int]]:
    """The positions of each key's first occurrence, and the rest (written one by one after the
    merged statement, so a repeated key behaves as if its works had run in turn)."""
    seen: set[Any] = set()
    first: list[int] = []
    rest: list[int] = []
    for n, key in enumerate(keys):
        (rest if key in seen else first).append(n)
        seen.add(key)
    return first, rest


class _Undone:
    """A `direct` result: this work was not written by the statement; write it the usual way."""

    def __repr__(self) -> str:
        return "UNDONE"


UNDONE: Any = _Undone()


class _Rollback(Exception):
    """Raised inside the batch transaction to roll it back after a work failed."""


class GroupCommit:
    def __init__(self, transaction: Transaction, lanes: int = 1, sync_transaction: SyncTransaction | None = None,
                 direct: Direct | None = None) -> None:
        # `transaction(fn)` runs `fn(conn)` in one write transaction (lock, BEGIN IMMEDIATE, commit);
        # `sync_transaction(fn)` the same for a plain function of a synchronous connection;
        # `direct(fn)` runs `fn` on a driver connection outside any transaction (PostgreSQL only).
        self._transaction = transaction
        self._sync_transaction = sync_transaction
        self._direct = direct
        self._queue: list[tuple[Any, asyncio.Future[Any], bool]] = []
        self.lanes = max(1, lanes)
        self._draining = 0  # batches being written now, at most `lanes`

    async def submit(self, work: Callable[[AsyncConnection], Awaitable[T]] | Callable[[Connection], T], *, sync: bool = False) -> T:
        if sync and self._sync_transaction is None:
            raise ValueError("this group commit has no synchronous transaction")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future, sync))
        self._start_lane()
        return await future

    def _start_lane(self) -> None:
        if self._queue and self._draining < self.lanes:
            self._draining += 1
            asyncio.get_running_loop().create_task(self._drain(), name="store-group-commit")

    async def _drain(self) -> None:
        try:
            while self._queue:
                sync = self._queue[0][2]
                size = next((n for n, item in enumerate(self._queue[:MAX_BATCH]) if item[2] != sync), min(MAX_BATCH, len(self._queue)))
                taken, self._queue = self._queue[:size], self._queue[size:]
                batch = [(work, future) for work, future, _ in taken if not future.done()]  # cancelled while queued
                if batch and sync:
                    await self._commit_sync(batch)
                elif batch:
                    await self._commit(batch)
        finally:
            self._draining -= 1
            self._start_lane()  # work that arrived while the last batch was settling its futures

    async def _commit_sync(self, batch: list[tuple[SyncWork, asyncio.Future[Any]]]) -> None:
        assert self._sync_transaction is not None
        if self._direct is not None:
            batch = await self._commit_direct(batch)
        if len(batch) > 1:
            def all_of(conn: Connection) -> list[Any]:
                kinds: dict[Any, list[int]] = {}
                for n, (work, _) in enumerate(batch):
                    kinds.setdefault(work.many if isinstance(work, Merged) else n, []).append(n)
                results: list[Any] = [None] * len(batch)
                for positions in kinds.values():
                    works = [batch[n][0] for n in positions]
                    try:
                        if len(works) > 1:  # all Merged with one `many`
                            merged = [work for work in works if isinstance(work, Merged)]
                            done = merged[0].many(conn, [work.args for work in merged])
                        else:
                            done = [works[0](conn)]
                    except Exception as exc:
                        raise _Rollback from exc
                    for n, result in zip(positions, done, strict=True):
                        results[n] = result
                return results
            if await self._settle(batch, self._sync_transaction(all_of)):
                return
        sync_transaction = self._sync_transaction
        await self._each_alone(batch, lambda work: sync_transaction(functools.partial(_one_sync, work)))

    async def _commit_direct(self, batch: list[tuple[SyncWork, asyncio.Future[Any]]]) -> list[tuple[SyncWork, asyncio.Future[Any]]]:
        """Write the batch's kinds that have a `direct` statement, one statement a kind on one
        driver connection; answer their callers. Returns the works left to write the usual way."""
        assert self._direct is not None
        kinds: dict[Any, list[int]] = {}
        args: dict[Any, list[Any]] = {}
        rest: list[int] = []
        for n, (work, _) in enumerate(batch):
            if isinstance(work, Merged) and work.direct is not None:
                kinds.setdefault(work.direct, []).append(n)
                args.setdefault(work.direct, []).append(work.args)
            else:
                rest.append(n)
        if not kinds:
            return batch

        async def statements(conn: Any) -> dict[Any, list[Any]]:
            done: dict[Any, list[Any]] = {}
            for direct in kinds:
                try:
                    done[direct] = await direct(conn, args[direct])
                except Exception as exc:  # one statement: it wrote nothing, its works go the usual way
                    log.warning("store: a one-statement write of %d failed, written the usual way: %s",
                                len(args[direct]), str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return done
        try:
            written = await self._direct(statements)
        except Exception as exc:  # no connection: every work goes the usual way (and its retries)
            log.warning("store: no connection for one-statement writes, written the usual way: %s", exc)
            written = {}
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(RuntimeError(repr(exc)))
            raise
        for direct, positions in kinds.items():
            results = written.get(direct)
            if results is None:
                rest.extend(positions)
                continue
            for n, result in zip(positions, results, strict=True):
                if result is UNDONE:
                    rest.append(n)
                elif not batch[n][1].done():
                    batch[n][1].set_result(result)
        return [batch[n] for n in sorted(rest)]

    async def _each_alone(self, batch: list[tuple[Any, asyncio.Future[Any]]], transaction_of: Callable[[Any], Awaitable[list[Any]]]) -> None:
        """After a rollback (or for a batch of one): each work in a transaction of its own, so only
        a failing work fails."""
        for work, future in batch:
            if not future.done():
                await self._settle([(work, future)], transaction_of(work))

    async def _settle(self, batch: list[tuple[Any, asyncio.Future[Any]]], transaction: Awaitable[list[Any]]) -> bool:
        """Await the batch's transaction and answer its callers; False when a work failed (rolled back)."""
        try:
            results = await transaction
        except _Rollback:
            return False  # one work failed: each runs alone, so only that one fails
        except BaseException as exc:  # the transaction itself failed (busy, I/O): every caller retries
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
            return True
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        return True

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        if len(batch) > 1:
            async def all_of(conn: AsyncConnection) -> list[Any]:
                results = []
                for work, _ in batch:
                    try:
                        results.append(await work(conn))
                    except Exception as exc:
                        raise _Rollback from exc
                return results
            if await self._settle(batch, self._transaction(all_of)):
                return
        await self._each_alone(batch, lambda work: self._transaction(functools.partial(_one, work)))


async def _one(work: Work, conn: AsyncConnection) -> list[Any]:
    return [await work(conn)]


def _one_sync(work: SyncWork, conn: Connection) -> list[Any]:
    return [work(conn)]
