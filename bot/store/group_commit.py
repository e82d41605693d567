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

If any work in a batch raises, the batch is rolled back and each of its works runs again in a
transaction of its own, so one bad write fails alone and the others still commit. A caller
cancelled while queued (a deadline passed) is dropped before its work runs.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

Work = Callable[[AsyncConnection], Awaitable[Any]]
Transaction = Callable[[Callable[[AsyncConnection], Awaitable[list[Any]]]], Awaitable[list[Any]]]

T = TypeVar("T")

MAX_BATCH = 64  # works per transaction: bounds how long one transaction holds the write lock


class _Rollback(Exception):
    """Raised inside the batch transaction to roll it back after a work failed."""


class GroupCommit:
    def __init__(self, transaction: Transaction, lanes: int = 1) -> None:
        # `transaction(fn)` runs `fn(conn)` in one write transaction (lock, BEGIN IMMEDIATE, commit).
        self._transaction = transaction
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self.lanes = max(1, lanes)
        self._draining = 0  # batches being written now, at most `lanes`

    async def submit(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        self._start_lane()
        return await future

    def _start_lane(self) -> None:
        if self._queue and self._draining < self.lanes:
            self._draining += 1
            asyncio.get_running_loop().create_task(self._drain(), name="store-group-commit")

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                batch = [(work, future) for work, future in batch if not future.done()]  # cancelled while queued
                if batch:
                    await self._commit(batch)
        finally:
            self._draining -= 1
            self._start_lane()  # work that arrived while the last batch was settling its futures

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
            try:
                results = await self._transaction(all_of)
            except _Rollback:
                pass  # one work failed: each runs alone below, so only that one fails
            except BaseException as exc:  # the transaction itself failed (busy, I/O): every caller retries
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
                if not isinstance(exc, Exception):
                    raise
                return
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
                return
        for work, future in batch:
            if future.done():
                continue
            try:
                [result] = await self._transaction(functools.partial(_one, work))
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(result)


async def _one(work: Work, conn: AsyncConnection) -> list[Any]:
    return [await work(conn)]
