"""Reads of one kind that arrive together are answered by one statement (PostgreSQL).

Why (issue 27, the store under a burst): every request reads its thread's last answer while its
row is written, so a burst of 200 requests sent 200 one-row SELECTs, each a socket write, a
wake-up of a server backend and a reply to parse; on a busy 2-core machine those sends were the
largest single cost of the process's CPU over the burst, and the store's writes waited for it.
Here a read queues its key; a batch task takes every key queued (each distinct key once) and
reads them all in one statement, then answers each caller. A batch is started only after its
callers called, so each read still sees every write committed before it was asked for.

Like the group commit's lanes, at most `lanes` batches are read at once; a key that arrives
while they are busy waits for the next. If a batch's statement fails, each of its callers gets
the error and reads again its own way (the store's single read, with its retries).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

MAX_KEYS = 256  # distinct keys a statement: bounds the statement's parameter and its reply


class ReadBatch(Generic[K, R]):
    def __init__(self, read_many: Callable[[list[K]], Awaitable[list[R]]], lanes: int = 2) -> None:
        # `read_many(keys)` returns one result a key, in order.
        self._read_many = read_many
        self._queue: dict[K, list[asyncio.Future[R]]] = {}
        self.lanes = max(1, lanes)
        self._reading = 0

    async def read(self, key: K) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.setdefault(key, []).append(future)
        self._start_lane()
        return await future

    def _start_lane(self) -> None:
        if self._queue and self._reading < self.lanes:
            self._reading += 1
            asyncio.get_running_loop().create_task(self._drain(), name="store-read-batch")

    async def _drain(self) -> None:
        try:
            while self._queue:
                keys = list(self._queue)[:MAX_KEYS]
                waiting = {key: [f for f in self._queue.pop(key) if not f.done()] for key in keys}  # cancelled callers dropped
                keys = [key for key in keys if waiting[key]]
                if keys:
                    await self._answer(keys, waiting)
        finally:
            self._reading -= 1
            self._start_lane()

    async def _answer(self, keys: list[K], waiting: dict[K, list[asyncio.Future[R]]]) -> None:
        try:
            results = await self._read_many(keys)
        except BaseException as exc:
            for key in keys:
                for future in waiting[key]:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, Exception):
                raise
            return
        for key, result in zip(keys, results, strict=True):
            for future in waiting[key]:
                if not future.done():
                    future.set_result(result)

