"""Progress events and the sink protocol that carries them out of the agents.

The supervisor knows nothing of terminals or Slack: it emits typed events to a `ProgressSink`.
The CLI prints them, Slack edits a status message with them, tests collect them.
"""

from __future__ import annotations

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


class Finished(ProgressEvent):
    kind: Literal["finished"] = "finished"
    status: str
    duration_s: float


@runtime_checkable
class ProgressSink(Protocol):
    async def emit(self, event: ProgressEvent) -> None: ...


class NullSink:
    async def emit(self, event: ProgressEvent) -> None:
        return None


class ListSink:
    """Keeps every event; for tests and for callers that render at the end."""

    def __init__(self) -> None:
        self.events: list[ProgressEvent] = []

    async def emit(self, event: ProgressEvent) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[ProgressEvent]:
        return [e for e in self.events if e.kind == kind]
