"""The supervisor's stages as interchangeable parts: router, planner, analysts, coordinator and
synthesiser.

Each stage is a protocol with a rule implementation here; the Claude implementations
(agents/llm/pipeline.py) take the rule one as their fallback, so "Claude, or the rules when
Claude cannot" lives inside each stage instead of as branches through the supervisor. Which
parts run is decided once, when the supervisor is built (`rule_pipeline`, or
`agents.llm.pipeline.claude_pipeline`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from agents.catalogue import catalogue
from agents.models import AgentResponse, Answer, ExecutionMode, Plan, RouteDecision, Specialist
from agents.network.inventory import Inventory
from agents.planner import rule_plan
from agents.routing import route
from agents.session import Session
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput
from agents.usage import UsageMeter

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]


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
    async def route(self, session: Session, question: str) -> RouteDecision: ...


class Planner(Protocol):
    async def plan(self, session: Session, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan: ...


class Analysts(Protocol):
    def for_session(self, session: Session) -> Mapping[Specialist, Analyst]:
        """The analyst of every specialist for one request (Claude's share the request's meter)."""
        ...

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        """The analysts to answer a step with when these cannot (None: nothing else to try)."""
        ...


class Coordinator(Protocol):
    async def follow_ups(self, session: Session, responses: list[AgentResponse]) -> list[FollowUp]: ...


class Synthesiser(Protocol):
    async def summarise(self, session: Session, answer: Answer) -> Summary | None:
        """The answer's summary in other words, or None to keep the rule summary."""
        ...


# -- the rule implementations -------------------------------------------------------------------


class RuleRouter:
    """The learned router with the keyword fallback (agents/routing.py)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    async def route(self, session: Session, question: str) -> RouteDecision:
        given = session.request.route  # routed once already, at the front door, on this same text
        return given if given is not None and question == session.request.question else route(question, self.inventory)


class RulePlanner:
    async def plan(self, session: Session, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        return rule_plan(decision, session.request.question, devices, requested, role=session.request.role)


class OfflineAnalysts:
    def __init__(self, analysts: Mapping[Specialist, Analyst]) -> None:
        self.analysts = analysts

    def for_session(self, session: Session) -> Mapping[Specialist, Analyst]:
        return self.analysts

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        return None


class NoCoordinator:
    """Offline, the plan is the whole of the work: no follow-ups."""

    async def follow_ups(self, session: Session, responses: list[AgentResponse]) -> list[FollowUp]:
        return []


class RuleSynthesiser:
    """Offline, the rule summary (agents/synthesis.py) is the answer's summary."""

    async def summarise(self, session: Session, answer: Answer) -> Summary | None:
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


def hand_offs(question: str, responses: list[AgentResponse], limit: int) -> list[FollowUp]:
    """Re-routing mid-investigation: the specialists that findings call for.

    A specialist reports what it sees, including things it cannot judge: diagnosis reads a brute
    force in the log, or a link at 96%. Each specialist's spec declares the finding kinds it
    judges (plan.judges); a finding of such a kind (at least low severity) from another specialist
    brings the judge in, unless it already answered. Each judge comes at most once, the most
    severe finding first, at most `limit` of them, and a hand-off's own findings hand nothing off
    (the supervisor runs this once, after the plan): bounded by construction. Which specialist
    judges what is data in the specs, so adding a specialist adds its hand-offs."""
    if limit <= 0:
        return []
    judge = {kind: Specialist(spec.name) for spec in catalogue().specs.values() for kind in spec.plan.judges}
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
