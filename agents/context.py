"""One request's context: what every stage reads while the supervisor answers it, and the one
door through which stages report.

Stages read the request, its clock, its usage meter (None on the rules), its shared memory and
the limits it runs under (the cutoff for model calls, the running step's priority). They report
only by emitting typed events (agents/progress.py) to the request's observer; nothing is
appended to the context. What the answer must say beyond the specialists' findings (the trace,
why parts fell back to rules, breaker transitions, withheld tool calls) is read from those events
by an `AnswerNotes` observer the supervisor puts beside the caller's.

Code that cannot be handed the context, because it sits under a call signature the engine does
not own (the Claude client's concurrency slot, a circuit breaker's transition callback), reads it
with `current_request()`: one context variable carries the whole object, in place of one variable
per piece of request state.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal

from agents.access import Role
from agents.memory import RequestMemory
from agents.models import Request, TraceEntry
from agents.progress import Notice, Observer, ProgressEvent, Withheld
from agents.usage import UsageMeter

log = logging.getLogger(__name__)

NoticeLevel = Literal["info", "warning", "degraded"]
DEFAULT_PRIORITY = 3  # a step's priority when the planner set none (1 starts first when limits bind)


@dataclass
class RequestContext:
    """The state of one request that stages read, and `emit`, the one way they report."""

    request: Request
    observer: Observer
    meter: UsageMeter | None = None
    started: float = field(default_factory=time.monotonic)  # when the request was received
    call_deadline: float | None = None  # monotonic time by which its model calls must have ended
    priority: int = DEFAULT_PRIORITY  # the running step's (a step's copy carries its own: `for_step`)
    memory: RequestMemory = field(default_factory=RequestMemory)  # reads, findings, sub-answers every step can use
    # Roles of the tools whose data the request used: the tool gate records them, every step's gate the same set.
    data_roles: set[Role] = field(default_factory=set)
    # Events raised where no await is possible (a breaker's transition callback); sent by the next `flush`.
    _raised: list[ProgressEvent] = field(default_factory=list)

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def for_step(self, priority: int) -> RequestContext:
        """This request's context for one step: its own priority, everything else shared."""
        return dataclasses.replace(self, priority=priority)

    async def emit(self, event: ProgressEvent) -> None:
        """Stamp the event with the request's clock and hand it to the observer; a broken observer
        (a progress display) is logged and never breaks the analysis."""
        event.t = self.elapsed()
        try:
            await self.observer.emit(event)
        except Exception:
            log.warning("progress observer failed on %s", event.kind, exc_info=True)

    async def notice(self, level: NoticeLevel, text: str) -> None:
        await self.emit(Notice(request_id=self.request.id, level=level, text=text))

    async def degrade(self, text: str) -> None:
        """A stage fell back to rules: said live, and in the answer (`AnswerNotes.degraded`)."""
        await self.notice("degraded", text)

    def raise_soon(self, event: ProgressEvent) -> None:
        """Queue an event from code that cannot await; `flush` emits it."""
        self._raised.append(event)

    async def flush(self) -> None:
        raised, self._raised[:] = list(self._raised), []
        for event in raised:
            await self.emit(event)


class AnswerNotes:
    """An observer that keeps what the answer is built from besides the findings: the trace of
    every event, the degradations, the breaker transitions and the withheld tool calls."""

    def __init__(self) -> None:
        self.trace: list[TraceEntry] = []
        self.degraded: list[str] = []  # why parts of the model path fell back to rules
        self.breakers: list[str] = []  # circuit breaker transitions this request caused
        self.withheld: list[str] = []  # tool calls the requester's role (or a down server) kept out

    async def emit(self, event: ProgressEvent) -> None:
        self.record(event)
        self.note(event)

    def record(self, event: ProgressEvent) -> None:
        """The event in the trace only (an early step's, noted only if the plan adopts it: agents/scheduling.py)."""
        detail = event.model_dump(exclude={"kind", "request_id", "t"}, exclude_none=True)
        self.trace.append(TraceEntry(t=event.t, event=event.kind, detail=", ".join(f"{k}={v}" for k, v in detail.items())))

    def note(self, event: ProgressEvent) -> None:
        """What the answer must say because of the event, beyond the trace."""
        if isinstance(event, Notice) and event.level == "degraded":
            self.degraded.append(event.text)
        elif isinstance(event, Notice) and event.breaker:
            self.breakers.append(event.text)
        elif isinstance(event, Withheld) and event.text not in self.withheld:
            self.withheld.append(event.text)


class Fanout:
    """Several observers as one, in order; each one's failure is its own (logged, the rest still hear)."""

    def __init__(self, *observers: Observer) -> None:
        self.observers = observers

    async def emit(self, event: ProgressEvent) -> None:
        for observer in self.observers:
            try:
                await observer.emit(event)
            except Exception:
                log.warning("progress observer %s failed on %s", type(observer).__name__, event.kind, exc_info=True)


_CURRENT: ContextVar[RequestContext | None] = ContextVar("noc_request", default=None)


def current_request() -> RequestContext | None:
    """The context of the request this task works for (None outside a supervisor's request)."""
    return _CURRENT.get()


def step_priority() -> int:
    """The running step's priority (DEFAULT_PRIORITY outside a step): LLM calls queue by it."""
    request = current_request()
    return request.priority if request is not None else DEFAULT_PRIORITY


@contextmanager
def serving(context: RequestContext) -> Iterator[RequestContext]:
    """Make `context` the current request's for this task and the tasks it starts."""
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)
