"""Parse results cached by content, and cold parses run off the event loop.

Why: the engine parses the same text over and over. Device reads are cached for a TTL, so every
request, and every specialist within one, hands the same configuration to hier_config, the same
neighbour table to TextFSM and the same config to the audit rules; that parsing was most of the
offline engine's CPU, and it ran on the event loop, so a Slack ack arriving meanwhile waited.

Keys are a digest of the text plus whatever else the result depends on (OS, command, rule set),
so a changed configuration is a new key and is parsed afresh, and an unchanged one is parsed once
per process however many requests read it. Concurrent misses of one key share one computation.
The cache is bounded (least recently used out). Cached values are shared: callers treat them as
read-only (the tools copy what they hand on).

A miss is computed in a worker thread by default. bench/throughput.py compares the three places a
miss can run (inline, thread, process pool) with the cache on and off: with the cache warm,
threads are cheapest (a process pool ships text, rules and results through a pipe for nothing);
with the cache off, a process pool parses in parallel and keeps the loop freer, so `offload` can
be set to "process" where configurations change faster than they are re-read. Figures in
docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:  # imported when a process pool is first used: multiprocessing costs every `noc` command start-up
    from concurrent.futures import ProcessPoolExecutor

T = TypeVar("T")
Offload = Literal["thread", "process", "inline"]

__all__ = ["ParseCache", "PARSES", "content_key"]


def content_key(*parts: Any) -> tuple[Hashable, ...]:
    """A cache key for `parts`: strings by a digest of their content, other values as they are."""
    return tuple(hashlib.blake2b(p.encode(), digest_size=16).digest() if isinstance(p, str) else p for p in parts)


class ParseCache:
    """A bounded, thread-safe map from (kind, content key) to a parse result."""

    def __init__(self, maxsize: int = 512, offload: Offload = "thread") -> None:
        self.maxsize = maxsize
        # Where a miss is computed: a worker thread (the default), a process pool (real
        # parallelism, but arguments and results cross a pipe) or inline on the event loop.
        self.offload: Offload = offload
        self._processes: ProcessPoolExecutor | None = None
        self._values: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[tuple[Hashable, ...], asyncio.Future[Any]] = {}  # misses being computed
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()

    def _lookup(self, key: tuple[Hashable, ...]) -> tuple[bool, Any]:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits[str(key[0])] += 1
                return True, self._values[key]
        return False, None

    def _store(self, key: tuple[Hashable, ...], value: Any) -> None:
        with self._lock:
            self.misses[str(key[0])] += 1
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.maxsize:
                self._values.popitem(last=False)

    def get_sync(self, kind: str, key: tuple[Hashable, ...], fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` once per key, computed here (for callers that are already off the loop or
        cheap enough to stay on it)."""
        full = (kind, *key)
        found, value = self._lookup(full)
        if found:
            return value  # type: ignore[no-any-return]
        value = fn(*args)
        self._store(full, value)
        return value

    async def get(self, kind: str, key: tuple[Hashable, ...], fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` once per key; a miss runs off the loop (`offload`), concurrent misses share it.

        The computation is a task of its own, so a caller that is cancelled (a step timing out)
        leaves it running for the others that wait on it."""
        full = (kind, *key)
        found, value = self._lookup(full)
        if found:
            return value  # type: ignore[no-any-return]
        task = self._pending.get(full)
        if task is None or task.get_loop() is not asyncio.get_running_loop():  # not one left by a closed loop
            task = asyncio.ensure_future(self._compute(full, fn, args))
            task.add_done_callback(_retrieved)
            self._pending[full] = task
        return await asyncio.shield(task)

    async def _compute(self, full: tuple[Hashable, ...], fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            value = await self._run(fn, args)
            self._store(full, value)
            return value
        finally:
            if self._pending.get(full) is asyncio.current_task():
                del self._pending[full]

    async def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        if self.offload == "inline":
            return fn(*args)
        if self.offload == "process":
            if self._processes is None:
                from concurrent.futures import ProcessPoolExecutor

                self._processes = ProcessPoolExecutor(max_workers=os.cpu_count() or 2)
            return await asyncio.get_running_loop().run_in_executor(self._processes, fn, *args)
        return await asyncio.to_thread(fn, *args)

    def shutdown(self) -> None:
        """Stop the process pool, if one was started."""
        if self._processes is not None:
            self._processes.shutdown(wait=True)
            self._processes = None

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self.hits.clear()
            self.misses.clear()

    def __len__(self) -> int:
        return len(self._values)


def _retrieved(task: asyncio.Future[Any]) -> None:
    """A failed parse whose callers were all cancelled is not an unretrieved-exception warning."""
    if not task.cancelled():
        task.exception()


# One per process: the parse of a text does not depend on who asked for it.
PARSES = ParseCache()
