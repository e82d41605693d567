"""What every specialist shares: its declarative definition and the context an analyst runs in.

`AnalysisContext` is the analyst's only door to the world: tool calls go through it (refused
when the tool is not in the specialist's list, reported to the progress sink, kept as
evidence), and so do requests to other specialists, which the supervisor arbitrates.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from agents.access import Role, allows
from agents.catalogue import PerCatalogue
from agents.config import EngineConfig, InstanceConfig, ThresholdsConfig
from agents.memory import RequestMemory, read_key
from agents.models import AgentResponse, AgentTask, DataRequest, Evidence, Finding, Recommendation, Specialist, SpecialistQuery
from agents.network.inventory import Inventory
from agents.progress import ProgressSink, ToolCalled
from agents.severity import Severity
from agents.tools.declaration import Tool
from agents.tools.mcp_toolsets import McpResult
from agents.tools.network import Toolbox
from agents.tools.registry import TOOL_SPECS, call_tool
from agents.tools.results import ToolError, ToolResult
from agents.tools.roles import ToolRoles

R = TypeVar("R", bound=ToolResult)


class SpecialistDefinition(BaseModel):
    """What the engine needs of a specialist's spec (agents/catalogue.py) while it runs a step."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Specialist
    title: str
    scope: str
    tools: tuple[str, ...]
    system_prompt: str
    # Tool-use turns this specialist gets with Claude. A runbook lookup needs two turns, a root-cause
    # hunt across layers needs more; llm.max_tool_steps stays the ceiling, so an operator can still
    # tighten every specialist at once. None: the global cap.
    max_tool_steps: int | None = Field(None, ge=1, le=20)

    def tool_steps(self, ceiling: int) -> int:
        """Turns for one investigation: the specialist's own cap, never above the global ceiling."""
        return min(self.max_tool_steps or ceiling, ceiling)


_DEFINITIONS: PerCatalogue[Specialist, SpecialistDefinition] = PerCatalogue(lambda cat: {
    Specialist(name): SpecialistDefinition(name=Specialist(name), title=spec.title, scope=spec.scope, tools=spec.tools,
                                           system_prompt=spec.system_prompt, max_tool_steps=spec.max_tool_steps)
    for name, spec in cat.specs.items()})


def definitions() -> Mapping[Specialist, SpecialistDefinition]:
    """Every specialist of the catalogue, in its order (the tie order)."""
    return _DEFINITIONS.current()


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


AskFn = Callable[[AgentTask, Specialist, str, list[str], SpecialistQuery | None], Awaitable[tuple[DataRequest, AgentResponse | None]]]


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
    # The requester's role and the tool gate's table: checked on every tool call (fail closed).
    role: Role = "viewer"
    tool_roles: ToolRoles = field(default_factory=ToolRoles)
    refused: list[str] = field(default_factory=list)  # visible notes for calls the role did not allow
    # Roles of the tools whose data this request used; shared by every context of one request.
    data_roles: set[Role] = field(default_factory=set)
    failures: int = 0  # earlier failed attempts of this step: a retry may run on a stronger model tier
    binding: InstanceConfig | None = None  # the pool instance's model and endpoint (None: not on a pool)
    # Where this step's model tokens and cost are counted besides the request's meter: its pool
    # instance (passed here, not found through a context variable). None: not on a pool.
    llm_usage: Callable[[int, float], None] | None = None
    # The request's shared memory (reads, findings, sub-answers); None outside a supervisor's request.
    memory: RequestMemory | None = None

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

    def has_tool(self, name: str) -> bool:
        """Whether this specialist has the tool: its spec names it, or an MCP server grants it (mcp_servers)."""
        return name in self.definition.tools or self.toolbox.external.granted(self.agent.value, name, self.definition.tools)

    def needed(self, name: str) -> Role:
        """The role a tool needs: an MCP server's tool as configured for it, else the tool gate's table."""
        return self.toolbox.external.needed(name) or self.tool_roles.needed(name)

    def may_use(self, name: str) -> bool:
        """Whether this specialist has the tool and the requester's role allows it."""
        return self.has_tool(name) and allows(self.role, self.needed(name))

    async def call(self, tool: Tool[Any, R], **arguments: Any) -> R:
        """Call a declared tool (`agents.tools.registry`) and get its declared result type, so an
        analyst reads `cfg.running` type-checked; a refusal or a failure is that type with
        `ok=False` and the `error`. The same gate, memory and evidence as `tool`."""
        return tool.typed(await self.tool(tool.name, **arguments))

    async def tool(self, name: str, **arguments: Any) -> ToolResult:
        """Call a tool by name (a declared tool or an MCP server's): the untyped door `call` uses."""
        device = arguments.get("device") if isinstance(arguments.get("device"), str) else None
        if not self.has_tool(name):
            return ToolResult(tool=name, device=device, ok=False, error=ToolError(
                kind="bad_arguments", message=f"the {self.agent.value} specialist may not use {name}"))
        if not allows(self.role, self.needed(name)):
            return self._refuse(name, device)
        t0 = time.monotonic()
        if self.memory is not None:  # once per request: a second step asking the same gets the same result
            result, reused = await self.memory.read(read_key(name, arguments), lambda: call_tool(self.toolbox, name, arguments))
        else:
            result, reused = await call_tool(self.toolbox, name, arguments), False
        if result.ok:
            self.data_roles.add(self.needed(name))
        elif isinstance(result, McpResult) and result.error and result.error.kind in {"unreachable", "timeout"}:
            note = f"{result.error.message}: skipped {name}"  # a down server degrades only its own tools, visibly
            if note not in self.refused:
                self.refused.append(note)
        elapsed = time.monotonic() - t0
        self.evidence.append(Evidence(tool=name, device=result.device, ok=result.ok, summary=_summarise(result),
                                      duration_s=round(elapsed, 3), reused=reused))
        await self.sink.emit(ToolCalled(request_id=self.request_id, t=round(time.monotonic() - self.started, 3),
                                        agent=self.agent.value, tool=name, device=result.device, ok=result.ok,
                                        duration_s=round(elapsed, 3)))
        return result

    def _refuse(self, name: str, device: str | None) -> ToolResult:
        """The tool gate's answer: an error result for the caller and a visible note for the answer."""
        needed = self.needed(name)
        what = TOOL_SPECS[name].withheld if name in TOOL_SPECS else f"the {name} tool"
        note = f"needs {needed}: skipped {what}" + (f" of {device}" if device else "")
        if note not in self.refused:
            self.refused.append(note)
        return ToolResult(tool=name, device=device, ok=False, error=ToolError(kind="needs_role", message=note))

    async def ask(self, agent: Specialist, instruction: str, devices: list[str] | None = None,
                  query: SpecialistQuery | None = None) -> AgentResponse | None:
        """Ask another specialist through the supervisor; None when the request is refused. With a
        `query` the other specialist answers its fields (the instruction is for people and logs)."""
        record, response = await self.ask_fn(self.task, agent, instruction, devices or [], query)
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
    """Calls that failed on the device side (refusals by the tool gate are not evidence)."""
    return [e for e in ctx.evidence if not e.ok]


def failure_findings(ctx: AnalysisContext) -> list[Finding]:
    """One finding per device a tool could not read, so gaps in the evidence are visible."""
    seen: dict[str, str] = {}
    for e in tool_failures(ctx):
        if e.device and e.device not in seen:
            seen[e.device] = e.summary
    return [finding(ctx, f"Could not read {dev}: {msg}", Severity.medium, dev, "tool_error") for dev, msg in seen.items()]
