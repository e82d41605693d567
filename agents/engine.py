"""The engine's one composition root: `build_engine(settings, toolbox)`.

Whether Claude answers (with the rules behind every stage) or the rules alone, which resilience
guard the calls run under, and which pipeline the supervisor drives are decided here, once, and
nowhere else: the supervisor receives a finished pipeline and never names a model. Every caller
(the bot's runtime, `noc ask`, `noc eval`, the MCP server, tests, benches) builds its engine here
or hands the supervisor a pipeline of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from agents.config import EngineConfig, LLMConfig, ResilienceConfig
from agents.llm import provider_enabled
from agents.models import Answer, Request, Specialist
from agents.pipeline import rule_pipeline
from agents.progress import Observer
from agents.resilience.guard import Resilience
from agents.specialists.registry import Analyst, offline_analysts
from agents.supervisor import Supervisor
from agents.tools.network import Toolbox
from agents.tools.roles import ToolRoles

if TYPE_CHECKING:  # the Claude SDK is imported only when a Claude engine is built (offline stays light)
    from anthropic import AsyncAnthropic

    from agents.llm.backend import ClaudeBackend


class EngineSettings(Protocol):
    """What the engine reads of the settings: the bot's `Settings` is one, `EngineOptions` another."""

    @property
    def engine(self) -> EngineConfig: ...

    @property
    def llm(self) -> LLMConfig: ...

    @property
    def resilience(self) -> ResilienceConfig: ...


@dataclass(frozen=True)
class EngineOptions:
    """The engine's settings without the bot's file: for tests, benches and embedding callers."""

    engine: EngineConfig = field(default_factory=EngineConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    resilience: ResilienceConfig = field(default_factory=ResilienceConfig)


@dataclass
class Engine:
    """A built engine: its supervisor, the guard it runs under, and the model client to close."""

    supervisor: Supervisor
    resilience: Resilience
    claude: ClaudeBackend | None = None  # None: the rules answer every stage

    @property
    def name(self) -> str:
        """`anthropic` or `offline`, as the health report and the start-up line say it."""
        return "anthropic" if self.claude is not None else "offline"

    @property
    def toolbox(self) -> Toolbox:
        return self.supervisor.toolbox

    async def run(self, request: Request, observer: Observer | None = None) -> Answer:
        return await self.supervisor.run(request, observer)

    async def aclose(self) -> None:
        """Close the model client (the toolbox belongs to the caller, who built it)."""
        if self.claude is not None:
            await self.claude.aclose()


def build_engine(settings: EngineSettings, toolbox: Toolbox, *, resilience: Resilience | None = None,
                 tool_roles: ToolRoles | None = None, analysts: Mapping[Specialist, Analyst] | None = None,
                 model: AsyncAnthropic | None = None) -> Engine:
    """The engine the settings call for.

    Claude runs when `model` is given (an SDK client: a test's scripted model, a bench's loopback)
    or the provider is enabled (`llm.provider`, or ANTHROPIC_API_KEY with `auto`); every Claude
    stage then falls back to its rule stage. `analysts` replaces the specialists' offline analysts
    (the rules, and Claude's fallback); `resilience` is shared with the caller's metrics and health."""
    guard = resilience or Resilience(settings.resilience)
    offline = analysts or offline_analysts()
    rules = rule_pipeline(toolbox.inventory, offline)
    claude: ClaudeBackend | None = None
    pipeline = rules
    if model is not None or provider_enabled(settings.llm):
        from agents.llm.backend import ClaudeBackend
        from agents.llm.client import ClaudeClient
        from agents.llm.pipeline import claude_pipeline

        claude = ClaudeBackend(ClaudeClient(settings.llm, client=model, resilience=guard), settings.llm)
        pipeline = claude_pipeline(claude, toolbox.inventory, rules, offline)
    supervisor = Supervisor(toolbox, settings.engine, pipeline, resilience=guard, tool_roles=tool_roles)
    return Engine(supervisor, guard, claude)
