"""One request's shared memory: the device reads, findings and sub-answers every step can read.

Without it the steps of a request shared nothing but `depends_on`: two specialists asking config
the same QoS question ran config twice, and two steps reading the same device's counters read
them twice (the gateway's TTL cache helps only while its entries live, and not at all with
`network.cache_ttl_s: 0`). Here:

- `read` runs a tool call once per request per (tool, arguments); later and concurrent callers
  get the same result, marked reused. The tool gate runs before (a role that may not call a tool
  never sees its memorised result).
- `answer` runs a sub-question to another specialist once per request per (specialist, question
  or typed query, devices). A caller that would wait on an answer whose computation is (directly or
  through others) waiting on the caller's own answer computes its own instead: the memory never
  turns two chains of asks into a deadlock. A failed sub-answer is not kept, so a later ask retries.
- `findings` collects every step's findings as it finishes; `messages` is the inter-agent log
  (who asked whom what, the outcome, the reply), which the supervisor also writes to the trace.

Everything runs on the request's event loop, so the bookkeeping needs no locks.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from pydantic import BaseModel

from agents.models import Finding

T = TypeVar("T")

# The sub-answer (memory key) whose computation the current task is running; None in a plan step.
_COMPUTING: ContextVar[str | None] = ContextVar("noc_memory_computing", default=None)


class Message(BaseModel):
    """One inter-agent message of the request: a sub-question and what came back."""

    from_agent: str
    to_agent: str
    instruction: str
    outcome: str  # answered | reused | refused-loop | refused-depth | failed
    reply: str = ""  # the reply's summary (or error), cut


def read_key(tool: str, arguments: dict[str, Any]) -> str:
    return tool + json.dumps(arguments, sort_keys=True, default=str)


def answer_key(agent: str, instruction: str, devices: list[str], query: BaseModel | None) -> str:
    asked = query.model_dump_json() if query is not None else " ".join(instruction.lower().split())
    return json.dumps([agent, asked, sorted(devices)])


class RequestMemory:
    def __init__(self) -> None:
        self._reads: dict[str, asyncio.Future[Any]] = {}
        self._answers: dict[str, asyncio.Future[Any]] = {}
        self._waits: defaultdict[str, set[str]] = defaultdict(set)  # answer key -> answer keys it is waiting on
        self.findings: list[Finding] = []
        self.messages: list[Message] = []
        self.reused: Counter[str] = Counter()  # "reads" / "answers" served from memory
        self._private = 0  # answers computed apart to break a cycle of waits (numbered for their keys)

    @property
    def reads(self) -> list[str]:
        """Keys of the reads made so far (tool + arguments)."""
        return list(self._reads)

    def add_findings(self, findings: list[Finding]) -> None:
        for f in findings:
            if f not in self.findings:
                self.findings.append(f)

    async def read(self, key: str, compute: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """(result, reused): the tool call's result, computed on first use."""
        held = self._reads.get(key)
        if held is not None:
            self.reused["reads"] += 1
            try:
                return await asyncio.shield(held), True
            except asyncio.CancelledError:
                if not _computer_cancelled(held):
                    raise
                self.reused["reads"] -= 1  # the step computing it was cancelled, not this one: compute it here
        return await self._compute(self._reads, key, compute, keep=lambda _: True), False

    async def answer(self, key: str, compute: Callable[[], Awaitable[T]], keep: Callable[[T], bool]) -> tuple[T, bool]:
        """(response, reused): the sub-answer, computed on first use (see the module docstring)."""
        mine = _COMPUTING.get()
        held = self._answers.get(key)
        if held is not None and held.done() and not held.cancelled() and held.exception() is None:
            self.reused["answers"] += 1
            return held.result(), True
        cyclic = held is not None and mine is not None and self._reaches(key, mine)
        self._private += cyclic
        running = f"{key}#private-{self._private}" if cyclic else key  # what this caller now waits on

        async def run() -> T:
            token = _COMPUTING.set(running)
            try:
                return await compute()
            finally:
                _COMPUTING.reset(token)
        if mine is not None:
            self._waits[mine].add(running)
        try:
            if held is not None and not cyclic:
                try:
                    result = await asyncio.shield(held)
                    self.reused["answers"] += 1
                    return result, True
                except asyncio.CancelledError:
                    if not _computer_cancelled(held):
                        raise  # this caller itself was cancelled; else the one computing it was: compute it here
                    return await self._compute(self._answers, key, run, keep=keep), False
            if cyclic:  # waiting would close a cycle of waits: compute this one for this caller alone
                return await run(), False
            return await self._compute(self._answers, key, run, keep=keep), False
        finally:
            if mine is not None:
                self._waits[mine].discard(running)

    def _reaches(self, start: str, target: str) -> bool:
        """Whether the computation of `start` is waiting, directly or through others, on `target`."""
        seen, stack = set(), [start]
        while stack:
            key = stack.pop()
            if key == target:
                return True
            if key not in seen:
                seen.add(key)
                stack += self._waits.get(key, ())
        return False

    @staticmethod
    async def _compute(table: dict[str, asyncio.Future[Any]], key: str, compute: Callable[[], Awaitable[T]],
                       keep: Callable[[T], bool]) -> T:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        table[key] = future
        try:
            result = await compute()
        except BaseException as exc:
            table.pop(key, None)
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: waiters that care see it
            raise
        future.set_result(result)
        if not keep(result):
            table.pop(key, None)  # later callers compute again; those already waiting share this one
        return result


def _computer_cancelled(held: asyncio.Future[Any]) -> bool:
    """Whether a shared computation was cancelled by its own caller (an early-started step the plan
    cancelled, agents/scheduling.py) while the current task, which waited on it, was not."""
    task = asyncio.current_task()
    return held.cancelled() and (task is None or task.cancelling() == 0)
