"""One request's session: what every stage of the supervisor shares while answering it.

The router, planner, analysts, coordinator and synthesiser all receive the session rather than
a growing list of arguments: it carries the request, the progress sink, the usage meter (None
offline), the trace, and what the answer must say beyond the specialists' findings (why parts
fell back to rules, breaker notices, tool calls the requester's role did not allow, the roles of
the data used), and the request's shared memory. The supervisor builds the answer from it once, at the end.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from agents.access import Role
from agents.memory import RequestMemory
from agents.models import Request, TraceEntry
from agents.progress import Notice, ProgressEvent, ProgressSink
from agents.usage import UsageMeter

log = logging.getLogger(__name__)

NoticeLevel = Literal["info", "warning", "degraded"]


class Session:
    """State of one request: its clock, trace, sink, meter and the notes for its answer."""

    def __init__(self, request: Request, sink: ProgressSink, meter: UsageMeter | None, *, started: float | None = None) -> None:
        self.request = request
        self.sink = sink
        self.meter = meter
        self.started = time.monotonic() if started is None else started  # when the request was received
        self.trace: list[TraceEntry] = []
        self.degraded: list[str] = []  # why parts of the Claude path fell back to rules
        self.breaker_notices: list[str] = []  # filled by breaker transitions this request caused
        self.flushed_breaker_notices = 0
        self.data_roles: set[Role] = set()  # roles of the tools whose data this request used (every step shares it)
        self.refused: list[str] = []  # tool calls the requester's role did not allow, as visible notes
        self.memory = RequestMemory()  # device reads, findings and sub-answers every step can read (agents/memory.py)

    def elapsed(self) -> float:
        return round(time.monotonic() - self.started, 3)

    async def emit(self, event: ProgressEvent) -> None:
        event.t = self.elapsed()
        detail = event.model_dump(exclude={"kind", "request_id", "t"}, exclude_none=True)
        self.trace.append(TraceEntry(t=event.t, event=event.kind, detail=", ".join(f"{k}={v}" for k, v in detail.items())))
        try:
            await self.sink.emit(event)
        except Exception:  # a broken progress display must not break the analysis
            log.warning("progress sink failed on %s", event.kind, exc_info=True)

    async def notice(self, level: NoticeLevel, text: str) -> None:
        await self.emit(Notice(request_id=self.request.id, level=level, text=text))

    async def degrade(self, text: str) -> None:
        """A part of the Claude path fell back to rules: said in the answer and live."""
        self.degraded.append(text)
        await self.notice("degraded", text)

    async def flush_breaker_notices(self) -> None:
        new = self.breaker_notices[self.flushed_breaker_notices:]
        self.flushed_breaker_notices = len(self.breaker_notices)
        for text in new:
            await self.notice("warning", text)
