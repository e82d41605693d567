"""Request records that could not be written: kept in order and written when the store is back.

Why: during a store outage a request was answered but its row stayed `running` (and a sweep
later called it interrupted, which was false), and a request received during the outage had
no row at all. Every write the request ledger makes goes through here: it is tried at once; if
the store refuses it (after the store's own retries), it is queued and journalled (bot.durability.journal,
so a kill does not lose it either), and so is every write after it until the queue is flushed,
so a request's rows are written in the order they happened. `flush` runs on every heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from agents.models import Answer
from bot.durability.journal import Journal

log = logging.getLogger(__name__)

# The store methods a queued write may name; `answer` is queued (and journalled) as JSON, and
# written at once as the object it is (no JSON round trip for a write that needs no queue).
QUEUED = object()  # what `write` returns for a write that waits for the store
OPERATIONS = ("record_received", "mark_running", "record_answer", "mark_failed", "mark_interrupted", "finish_event")


class Outbox:
    def __init__(self, store: Any, journal: Journal | None = None) -> None:
        self.store = store
        self.journal = journal
        self.pending: deque[tuple[int | None, str, dict[str, Any]]] = deque()
        self.queued_total = 0  # writes that had to wait for the store (observability and tests)
        self._flushing = asyncio.Lock()

    async def write(self, name: str, **kwargs: Any) -> Any:
        """Write now if nothing waits before this; else (or on failure) queue it and return QUEUED."""
        if not self.pending:
            try:
                return await self._call(name, kwargs)
            except Exception as exc:
                log.error("store: %s failed (%s); kept to be written when the store is back", name,
                          str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        self.queue(name, kwargs)
        return QUEUED

    def queue(self, name: str, kwargs: dict[str, Any], *, journal: bool = True) -> None:
        if name not in OPERATIONS:
            raise ValueError(name)
        if isinstance(kwargs.get("answer"), Answer):
            kwargs = {**kwargs, "answer": kwargs["answer"].model_dump_json()}
        seq = self.journal.append({"kind": "write", "op": name, "kw": kwargs}) if journal and self.journal else None
        self.pending.append((seq, name, kwargs))
        self.queued_total += 1

    async def flush(self) -> int:
        """Write what is queued, oldest first, stopping at the first failure; how many were written."""
        written = 0
        async with self._flushing:
            while self.pending:
                seq, name, kwargs = self.pending[0]
                try:
                    await self._call(name, kwargs)
                except Exception as exc:
                    log.warning("store still refuses writes (%d waiting): %s", len(self.pending), str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
                    return written
                self.pending.popleft()
                written += 1
                if seq is not None and self.journal is not None:
                    self.journal.settle(seq)
        if written:
            log.info("store is back: %d delayed write(s) done in order", written)
        return written

    async def _call(self, name: str, kwargs: dict[str, Any]) -> Any:
        args = dict(kwargs)
        if name == "record_answer":
            answer = args.pop("answer")
            return await self.store.record_answer(answer if isinstance(answer, Answer) else Answer.model_validate_json(answer), **args)
        if name == "mark_interrupted":
            return await self.store.mark_interrupted(args["request_ids"], args.get("reason", "interrupted"))
        request_id = args.pop("request_id", None)
        method = getattr(self.store, name)
        return await (method(request_id, **args) if request_id is not None else method(**args))
