"""What every specialist shares: its declarative definition and the context an analyst runs in.

`AnalysisContext` is the analyst's only door to the world: tool calls go through it (refused
when the tool is not in the specialist's list, reported to the progress sink, kept as
evidence), and so do requests to other specialists, which the supervisor arbitrates.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from agents.config import EngineConfig, ThresholdsConfig
from agents.models import AgentResponse, AgentTask, DataRequest, Evidence, Finding, Recommendation, Specialist
from agents.network.inventory import Inventory
from agents.progress import ProgressSink, ToolCalled
from agents.severity import Severity
from agents.tools.network import Toolbox
from agents.tools.registry import call_tool
from agents.tools.results import ToolError, ToolResult

_DEFINITIONS_FILE = Path(__file__).parent / "specialists.yaml"


class SpecialistDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Specialist
    scope: str
    tools: tuple[str, ...]
    system_prompt: str


@cache
def definitions() -> dict[Specialist, SpecialistDefinition]:
    raw = yaml.safe_load(_DEFINITIONS_FILE.read_text())
    return {Specialist(name): SpecialistDefinition(name=name, **body) for name, body in raw.items()}


class AnalystOutput(BaseModel):
    """What an offline analyst concludes; the runner adds evidence, timing and status."""

    summary: str
    findings: list[Finding] = []
    recommendations: list[Recommendation] = []
    confidence: float
    result: BaseModel | None = None
    partial: bool = False
    engine: str = "offline"
    degraded: str | None = None  # why a better engine could not be used


AskFn = Callable[[AgentTask, Specialist, str, list[str]], Awaitable[tuple[DataRequest, AgentResponse | None]]]


@dataclass
class AnalysisContext:
    task: AgentTask
    definition: SpecialistDefinition
    toolbox: Toolbox
    sink: ProgressSink
    request_id: str
    started: float
    ask_fn: AskFn
    engine: EngineConfig = field(default_factory=EngineConfig)
    evidence: list[Evidence] = field(default_factory=list)
    requests: list[DataRequest] = field(default_factory=list)

    @property
    def agent(self) -> Specialist:
        return self.definition.name

    @property
    def inventory(self) -> Inventory:
        return self.toolbox.inventory

    @property
    def thresholds(self) -> ThresholdsConfig:
        return self.toolbox.thresholds

    @property
    def devices(self) -> list[str]:
        """Devices this task is about; every inventory device when none was resolved."""
        return list(self.task.devices) or self.inventory.names

    async def tool(self, name: str, **arguments: Any) -> ToolResult:
        if name not in self.definition.tools:
            return ToolResult(tool=name, device=arguments.get("device"), ok=False, error=ToolError(
                kind="bad_arguments", message=f"the {self.agent.value} specialist may not use {name}"))
        t0 = time.monotonic()
        result = await call_tool(self.toolbox, name, arguments)
        elapsed = time.monotonic() - t0
        self.evidence.append(Evidence(tool=name, device=result.device, ok=result.ok, summary=_summarise(result), duration_s=round(elapsed, 3)))
        await self.sink.emit(ToolCalled(request_id=self.request_id, t=round(time.monotonic() - self.started, 3),
                                        agent=self.agent.value, tool=name, device=result.device, ok=result.ok,
                                        duration_s=round(elapsed, 3)))
        return result

    async def ask(self, agent: Specialist, instruction: str, devices: list[str] | None = None) -> AgentResponse | None:
        """Ask another specialist through the supervisor; None when the request is refused."""
        record, response = await self.ask_fn(self.task, agent, instruction, devices or [])
        self.requests.append(record)
        return response

    def context_findings(self, *agents: Specialist) -> list[Finding]:
        wanted = {a.value for a in agents}
        return [f for f in self.task.context if not wanted or f.agent in wanted]


def _summarise(result: ToolResult) -> str:
    if not result.ok:
        return f"error ({result.error.kind}): {result.error.message}" if result.error else "error"
    notable = [o for o in result.observations if o.severity.rank >= Severity.medium.rank]
    if notable:
        return "; ".join(o.message for o in notable[:3]) + (f" (+{len(notable) - 3} more)" if len(notable) > 3 else "")
    return "no issues observed"


def finding(ctx: AnalysisContext, text: str, severity: Severity = Severity.info, device: str | None = None, kind: str | None = None) -> Finding:
    return Finding(agent=ctx.agent.value, text=text, severity=severity, device=device, kind=kind)


def recommendation(ctx: AnalysisContext, text: str, commands: list[str] | None = None, device: str | None = None, priority: int = 3) -> Recommendation:
    return Recommendation(agent=ctx.agent.value, text=text, commands=commands or [], device=device, priority=priority)


def tool_failures(ctx: AnalysisContext) -> list[Evidence]:
    return [e for e in ctx.evidence if not e.ok]


def failure_findings(ctx: AnalysisContext) -> list[Finding]:
    """One finding per device a tool could not read, so gaps in the evidence are visible."""
    seen: dict[str, str] = {}
    for e in tool_failures(ctx):
        if e.device and e.device not in seen:
            seen[e.device] = e.summary
    return [finding(ctx, f"Could not read {dev}: {msg}", Severity.medium, dev, "tool_error") for dev, msg in seen.items()]
