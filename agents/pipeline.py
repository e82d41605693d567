"""The supervisor's stages as interchangeable parts: router, planner, analysts, coordinator and
synthesiser.

Each stage is a protocol with a rule implementation here; the model implementations
(agents/llm/pipeline.py) take the rule one as their fallback through one wrapper, `falling_back`,
so "the model, or the rules when it cannot" is said once instead of as a try/except per stage or
branches through the supervisor. Which parts run is decided once, by agents/engine.py
`build_engine` (`rule_pipeline`, or `agents.llm.pipeline.claude_pipeline`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from agents.access import Role, allows
from agents.catalogue import catalogue
from agents.context import RequestContext
from agents.failures import LLMUnavailable
from agents.models import AgentResponse, Answer, ExecutionMode, Plan, RouteDecision, Specialist
from agents.network.inventory import Inventory
from agents.planner import rule_plan
from agents.routing import route
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput
from agents.usage import UsageMeter

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]
T = TypeVar("T")


@dataclass(frozen=True)
class FollowUp:
    """One more task the coordinator wants: which specialist, what to find out, and why."""

    agent: Specialist
    instruction: str
    reason: str
    devices: tuple[str, ...] = ()  # what it is about (empty: the request's devices)
    source: str | None = None  # a hand-off: the specialist whose finding asked for it ...
    finding_kind: str | None = None  # ... and that finding's kind


@dataclass(frozen=True)
class Summary:
    """The synthesiser's wording of the answer, and the conflicts it resolved."""

    text: str
    conflicts: list[str]


class Router(Protocol):
    async def route(self, context: RequestContext, question: str) -> RouteDecision: ...


class Planner(Protocol):
    async def plan(self, context: RequestContext, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan: ...


class Analysts(Protocol):
    def for_request(self, context: RequestContext) -> Mapping[Specialist, Analyst]:
        """The analyst of every specialist for one request (a model's share the request's meter)."""
        ...

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        """The analysts to answer a step with when these cannot (None: nothing else to try)."""
        ...

    def fell_back(self, agent: Specialist, reason: str) -> str:
        """What the answer says of a step the fallback analysts answered, and why."""
        ...


class Coordinator(Protocol):
    async def follow_ups(self, context: RequestContext, responses: list[AgentResponse]) -> list[FollowUp]: ...


class Synthesiser(Protocol):
    async def summarise(self, context: RequestContext, answer: Answer) -> Summary | None:
        """The answer's summary in other words, or None to keep the rule summary."""
        ...


async def falling_back(context: RequestContext, attempt: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]],
                       degraded: Callable[[Exception], str], *,
                       failures: tuple[type[Exception], ...] = (LLMUnavailable,)) -> T:
    """A model stage's result, or, when the model cannot give one (`failures`), the rule stage's.

    The one place a stage falls back: the reason (`degraded(exc)`) is emitted as a degraded
    notice, so it is shown live, kept in the trace and said in the answer (agents/context.py
    `AnswerNotes`); any other exception is the stage's own bug and propagates."""
    try:
        return await attempt()
    except failures as exc:
        await context.degrade(degraded(exc))
        return await fallback()


# -- the rule implementations -------------------------------------------------------------------


class RuleRouter:
    """The learned router with the keyword fallback (agents/routing.py)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    async def route(self, context: RequestContext, question: str) -> RouteDecision:
        given = context.request.route  # routed once already, at the front door, on this same text
        return given if given is not None and question == context.request.question else route(question, self.inventory)


class RulePlanner:
    async def plan(self, context: RequestContext, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        return rule_plan(decision, context.request.question, devices, requested, role=context.request.role)


class OfflineAnalysts:
    def __init__(self, analysts: Mapping[Specialist, Analyst]) -> None:
        self.analysts = analysts

    def for_request(self, context: RequestContext) -> Mapping[Specialist, Analyst]:
        return self.analysts

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        return None

    def fell_back(self, agent: Specialist, reason: str) -> str:
        return f"{agent.value}: answered by the offline analyst ({reason})"  # never said: the rules have no fallback


class NoCoordinator:
    """Offline, the plan is the whole of the work: no follow-ups."""

    async def follow_ups(self, context: RequestContext, responses: list[AgentResponse]) -> list[FollowUp]:
        return []


class RuleSynthesiser:
    """Offline, the rule summary (agents/synthesis.py) is the answer's summary."""

    async def summarise(self, context: RequestContext, answer: Answer) -> Summary | None:
        return None


@dataclass(frozen=True)
class Pipeline:
    router: Router
    planner: Planner
    analysts: Analysts
    coordinator: Coordinator
    synthesiser: Synthesiser
    # A usage meter per request when the stages spend tokens (None offline).
    meter: Callable[[], UsageMeter | None] = lambda: None
    # Whether confident specialists may start while a model routes and plans (agents/scheduling.py):
    # only a pipeline whose router and planner are model calls has anything to overlap.
    early_starts: bool = False


def hand_offs(question: str, responses: list[AgentResponse], limit: int, role: Role = "admin") -> list[FollowUp]:
    """Re-routing mid-investigation: the specialists that findings call for.

    A specialist reports what it sees, including things it cannot judge: diagnosis reads a brute
    force in the log, or a link at 96%. Each specialist's spec declares the finding kinds it
    judges (plan.judges); a finding of such a kind (at least low severity) from another specialist
    brings the judge in, unless it already answered. Each judge comes at most once, the most
    severe finding first, at most `limit` of them, and a hand-off's own findings hand nothing off
    (the supervisor runs this once, after the plan): bounded by construction. Which specialist
    judges what is data in the specs, so adding a specialist adds its hand-offs. A judge joins
    unasked, so, as in a workflow, only when `role` allows what its data needs (the strictest
    `plan.phases.*.role` of its spec): config would only come back partial to a viewer."""
    if limit <= 0:
        return []
    judge = {kind: Specialist(spec.name) for spec in catalogue().specs.values() for kind in spec.plan.judges
             if allows(role, spec.plan.joins_for)}
    answered = {r.agent for r in responses}
    found = [(f, r) for r in responses for f in r.findings
             if f.kind in judge and f.severity.rank >= Severity.low.rank and judge[f.kind].value != f.agent]
    found.sort(key=lambda fr: -fr[0].severity.rank)  # stable: the report order among equals
    wanted: dict[Specialist, FollowUp] = {}
    for f, r in found:
        target = judge[f.kind or ""]
        if target in answered or target in wanted:
            continue
        where = f" on {f.device}" if f.device else ""
        reason = f"{r.agent.value} found {f.kind}{where}, which {target.value} judges: {f.text}"
        wanted[target] = FollowUp(agent=target, instruction=f"{question}\n{r.agent.value} found{where}: {f.text}", reason=reason,
                                  devices=(f.device,) if f.device else (), source=r.agent.value, finding_kind=f.kind)
        if len(wanted) == limit:
            break
    return list(wanted.values())


def rule_pipeline(inventory: Inventory, analysts: Mapping[Specialist, Analyst]) -> Pipeline:
    return Pipeline(router=RuleRouter(inventory), planner=RulePlanner(), analysts=OfflineAnalysts(analysts),
                    coordinator=NoCoordinator(), synthesiser=RuleSynthesiser())
