"""The supervisor's stages on Claude, each with the rule stage as its fallback.

A Claude stage asks the model and, when the model cannot answer (LLMUnavailable: provider down,
budget spent, invalid output; PlanError: a plan that does not fit), says so in the session and
answers with the rule stage it was given. Built once per supervisor by `claude_pipeline`.
"""

from __future__ import annotations

from collections.abc import Mapping

from agents.failures import LLMUnavailable
from agents.llm import roles
from agents.llm.backend import ClaudeBackend
from agents.models import AgentResponse, Answer, ExecutionMode, Plan, RouteDecision, Specialist
from agents.network.inventory import Inventory
from agents.pipeline import (
    Analyst,
    Coordinator,
    FollowUp,
    Pipeline,
    Planner,
    Router,
    Summary,
    Synthesiser,
)
from agents.planner import PlanError, claude_plans
from agents.scheduling import confident, start_early
from agents.session import Session
from agents.usage import UsageMeter


def _meter(session: Session) -> UsageMeter:
    assert session.meter is not None, "claude_pipeline gives every session a meter"
    return session.meter


class ClaudeRouter:
    """Claude routes only the questions the learned router is unsure of (llm.router_confidence)."""

    def __init__(self, backend: ClaudeBackend, inventory: Inventory, fallback: Router) -> None:
        self.backend, self.inventory, self.fallback = backend, inventory, fallback

    async def route(self, session: Session, question: str) -> RouteDecision:
        decision = await self.fallback.route(session, question)
        if not self.backend.config.claude_routes(decision.confidence, decision.margin):
            return decision
        start_early(decision, confident(decision, self.backend.config.router_confidence))  # while Claude routes
        try:
            return await roles.route(self.backend.client, self.backend.config, _meter(session), question, self.inventory, decision)
        except LLMUnavailable as exc:
            await session.degrade(f"Claude routing unavailable ({exc}); used the offline router")
            return decision


class ClaudePlanner:
    def __init__(self, backend: ClaudeBackend, inventory: Inventory, fallback: Planner) -> None:
        self.backend, self.inventory, self.fallback = backend, inventory, fallback

    async def plan(self, session: Session, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        if not claude_plans(self.backend.config, decision):  # a confident route's rule plan is certain: no call on the path
            return await self.fallback.plan(session, decision, devices, requested)
        start_early(decision, decision.specialists if decision.method == "claude" else confident(decision, self.backend.config.router_confidence))
        try:
            return await roles.plan(self.backend.client, self.backend.config, _meter(session), session.request.question, decision,
                                    devices, self.inventory, requested)
        except (LLMUnavailable, PlanError) as exc:
            await session.degrade(f"Claude plan not usable ({exc}); used the rule planner")
            return await self.fallback.plan(session, decision, devices, requested)


class ClaudeAnalysts:
    """A Claude investigation per specialist, the offline analysts behind them."""

    def __init__(self, backend: ClaudeBackend, offline: Mapping[Specialist, Analyst]) -> None:
        self.backend, self.offline = backend, offline

    def for_session(self, session: Session) -> Mapping[Specialist, Analyst]:
        investigate = self.backend.investigator(_meter(session))
        return {agent: investigate for agent in self.offline}

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        return self.offline


class ClaudeCoordinator:
    """Claude reviews the reports for gaps and names at most llm.follow_ups more tasks."""

    def __init__(self, backend: ClaudeBackend, fallback: Coordinator) -> None:
        self.backend, self.fallback = backend, fallback

    async def follow_ups(self, session: Session, responses: list[AgentResponse]) -> list[FollowUp]:
        config = self.backend.config
        if config.follow_ups == 0:
            return []
        if config.coordinator == "on_gaps" and not roles.visible_gaps(responses, config.coordinator_confidence):
            return []  # nothing for the coordinator to close: its call would only delay the answer
        try:
            found = await roles.gaps(self.backend.client, self.backend.config, _meter(session), session.request.question, responses)
        except LLMUnavailable as exc:
            await session.degrade(f"Claude coordinator unavailable ({exc}); no follow-ups")
            return await self.fallback.follow_ups(session, responses)
        return [FollowUp(agent=g.agent, instruction=g.instruction, reason=g.reason) for g in found.gaps[: self.backend.config.follow_ups]]


class ClaudeSynthesiser:
    def __init__(self, backend: ClaudeBackend, fallback: Synthesiser) -> None:
        self.backend, self.fallback = backend, fallback

    async def summarise(self, session: Session, answer: Answer) -> Summary | None:
        try:
            out = await roles.synthesis(self.backend.client, self.backend.config, _meter(session), answer)
        except LLMUnavailable as exc:
            await session.degrade(f"Claude synthesis unavailable ({exc}); the summary was assembled by rules")
            return await self.fallback.summarise(session, answer)
        return Summary(text=out.summary, conflicts=list(out.conflicts))


def claude_pipeline(backend: ClaudeBackend, inventory: Inventory, rules: Pipeline, offline: Mapping[Specialist, Analyst]) -> Pipeline:
    """Every stage on Claude, each falling back to its rule stage (the analysts to `offline`)."""
    return Pipeline(router=ClaudeRouter(backend, inventory, rules.router), planner=ClaudePlanner(backend, inventory, rules.planner),
                    analysts=ClaudeAnalysts(backend, offline), coordinator=ClaudeCoordinator(backend, rules.coordinator),
                    synthesiser=ClaudeSynthesiser(backend, rules.synthesiser), meter=backend.meter)
