"""Progress events and the one observer interface that carries them out of the agents.

The supervisor and its stages know nothing of terminals or Slack: they emit typed events to an
`Observer` (alias `ProgressSink`). The CLI prints them, Slack edits a status message with them,
the supervisor builds the answer's trace and notes from them (agents/context.py `AnswerNotes`),
tests record them (agents/testing.py `RecordingObserver`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class ProgressEvent(BaseModel):
    kind: str
    request_id: str
    t: float = 0.0  # seconds since the request started


class Routed(ProgressEvent):
    kind: Literal["routed"] = "routed"
    primary: str
    specialists: list[str]
    devices: list[str] = Field(default_factory=list)
    method: str = "keywords"


class Planned(ProgressEvent):
    kind: Literal["planned"] = "planned"
    mode: str
    steps: list[str]  # "id:agent"
    phases: list[list[str]] = Field(default_factory=list)
    priorities: dict[str, int] = Field(default_factory=dict)  # step id -> priority (1 starts first when limits bind)


class TierChosen(ProgressEvent):
    """The model tier a Claude step runs on and why (llm.tier_policy); kept in the trace, not shown as progress."""

    kind: Literal["tier_chosen"] = "tier_chosen"
    agent: str
    tier: str
    model: str
    reason: str


class StepStarted(ProgressEvent):
    kind: Literal["step_started"] = "step_started"
    step: str
    agent: str
    instruction: str = ""


class ToolCalled(ProgressEvent):
    kind: Literal["tool_called"] = "tool_called"
    agent: str
    tool: str
    device: str | None = None
    ok: bool = True
    duration_s: float = 0.0


class StepFinished(ProgressEvent):
    kind: Literal["step_finished"] = "step_finished"
    step: str
    agent: str
    status: str
    duration_s: float
    summary: str = ""


class AgentAsked(ProgressEvent):
    kind: Literal["agent_asked"] = "agent_asked"
    from_agent: str
    to_agent: str
    outcome: str
    instruction: str = ""  # what was asked (cut): the inter-agent message log lives in the trace


class AgentReplied(ProgressEvent):
    """The answer to an AgentAsked: its status and summary, and whether the request's memory had it."""

    kind: Literal["agent_replied"] = "agent_replied"
    from_agent: str  # who answered
    to_agent: str  # who had asked
    status: str
    summary: str = ""
    reused: bool = False


class HandedOff(ProgressEvent):
    """A finding named a domain its specialist cannot judge, so the supervisor added that domain's specialist."""

    kind: Literal["handed_off"] = "handed_off"
    from_agent: str
    to_agent: str
    finding_kind: str
    reason: str


class Notice(ProgressEvent):
    kind: Literal["notice"] = "notice"
    level: Literal["info", "warning", "degraded"] = "info"
    text: str
    # A circuit breaker's transition (the answer repeats it); kept out of dumps, so the trace reads as before.
    breaker: bool = Field(False, exclude=True)


class Withheld(ProgressEvent):
    """A tool call kept out of a step (the requester's role, or its MCP server down): the answer names
    it; kept in the trace, not shown as progress."""

    kind: Literal["withheld"] = "withheld"
    agent: str
    text: str


class Finished(ProgressEvent):
    kind: Literal["finished"] = "finished"
    status: str
    duration_s: float


@runtime_checkable
class Observer(Protocol):
    """Hears every event of a request, in order. An observer's failure is logged, never raised into the engine."""

    async def emit(self, event: ProgressEvent) -> None: ...


ProgressSink = Observer  # the name the bot's sinks (terminal, Slack) know it by


class NullSink:
    async def emit(self, event: ProgressEvent) -> None:
        return None


class RecordingObserver:
    """Keeps every event of a request, in order, for tests and for callers that render at the end;
    `on_event` (optional) hears each one as it arrives, for a test that acts mid-request (drops a
    device when the request is routed, ...). Part of the testing kit (agents/testing.py)."""

    def __init__(self, on_event: Callable[[ProgressEvent], None] | None = None) -> None:
        self.events: list[ProgressEvent] = []
        self.on_event = on_event

    async def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def of(self, kind: str) -> list[ProgressEvent]:
        return [e for e in self.events if e.kind == kind]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def notices(self, level: str | None = None) -> list[str]:
        """The texts of the notices (of one level: info, warning, degraded), in order."""
        return [e.text for e in self.events if isinstance(e, Notice) and (level is None or e.level == level)]


ListSink = RecordingObserver  # its earlier name
