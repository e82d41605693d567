"""The supervisor's stages on Claude, each with the rule stage as its fallback.

A Claude stage asks the model and, when the model cannot answer (LLMUnavailable: provider down,
budget spent, invalid output; PlanError: a plan that does not fit), answers with the rule stage it
was given, through agents/pipeline.py `falling_back` (which says so, live and in the answer).
Built once per engine by `claude_pipeline` (agents/engine.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping

from agents.context import RequestContext
from agents.failures import LLMUnavailable
from agents.llm import roles
from agents.llm.backend import ClaudeBackend
from agents.llm.tiering import synthesis_tier
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
    falling_back,
)
from agents.planner import PlanError, claude_plans
from agents.progress import TierChosen
from agents.routing import named
from agents.scheduling import candidates, confident, keep_early, start_early
from agents.usage import UsageMeter


def _meter(context: RequestContext) -> UsageMeter:
    assert context.meter is not None, "claude_pipeline gives every request a meter"
    return context.meter


class ClaudeRouter:
    """Claude routes only the questions the learned router is unsure of (llm.router_confidence)."""

    def __init__(self, backend: ClaudeBackend, inventory: Inventory, fallback: Router) -> None:
        self.backend, self.inventory, self.fallback = backend, inventory, fallback

    async def route(self, context: RequestContext, question: str) -> RouteDecision:
        decision = await self.fallback.route(context, question)
        if not self.backend.config.claude_routes(decision.confidence, decision.margin):
            return decision
        config = self.backend.config
        # while Claude routes: the candidates (llm.speculative_starts), else the specialists the learned router is sure of
        start_early(decision, candidates(decision, named(question), config.router_confidence) if config.speculative_starts
                    else confident(decision, config.router_confidence))

        async def rules() -> RouteDecision:
            return decision

        routed = await falling_back(
            context, lambda: roles.route(self.backend.client, config, _meter(context), question, self.inventory, decision),
            rules, lambda exc: f"Claude routing unavailable ({exc}); used the offline router")
        if routed.method == "claude":
            keep_early(routed.specialists)  # the candidates Claude left out stop now, not when the plan comes
        return routed


class ClaudePlanner:
    def __init__(self, backend: ClaudeBackend, inventory: Inventory, fallback: Planner) -> None:
        self.backend, self.inventory, self.fallback = backend, inventory, fallback

    async def plan(self, context: RequestContext, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        def rules() -> Awaitable[Plan]:
            return self.fallback.plan(context, decision, devices, requested)

        if not claude_plans(self.backend.config, decision):  # a confident route's rule plan is certain: no call on the path
            return await rules()
        start_early(decision, decision.specialists if decision.method == "claude" else confident(decision, self.backend.config.router_confidence))
        return await falling_back(
            context, lambda: roles.plan(self.backend.client, self.backend.config, _meter(context), context.request.question, decision,
                                        devices, self.inventory, requested),
            rules, lambda exc: f"Claude plan not usable ({exc}); used the rule planner", failures=(LLMUnavailable, PlanError))


class ClaudeAnalysts:
    """A Claude investigation per specialist, the offline analysts behind them."""

    def __init__(self, backend: ClaudeBackend, offline: Mapping[Specialist, Analyst]) -> None:
        self.backend, self.offline = backend, offline

    def for_request(self, context: RequestContext) -> Mapping[Specialist, Analyst]:
        investigate = self.backend.investigator(_meter(context))
        return {agent: investigate for agent in self.offline}

    def fallback(self) -> Mapping[Specialist, Analyst] | None:
        return self.offline

    def fell_back(self, agent: Specialist, reason: str) -> str:
        return f"{agent.value}: Claude unavailable ({reason}); answered by the offline analyst"


class ClaudeCoordinator:
    """Claude reviews the reports for gaps and names at most llm.follow_ups more tasks."""

    def __init__(self, backend: ClaudeBackend, fallback: Coordinator) -> None:
        self.backend, self.fallback = backend, fallback

    async def follow_ups(self, context: RequestContext, responses: list[AgentResponse]) -> list[FollowUp]:
        config = self.backend.config
        if config.follow_ups == 0:
            return []
        if config.coordinator == "on_gaps" and not roles.visible_gaps(responses, config.coordinator_confidence):
            return []  # nothing for the coordinator to close: its call would only delay the answer

        async def claude() -> list[FollowUp]:
            found = await roles.gaps(self.backend.client, config, _meter(context), context.request.question, responses)
            return [FollowUp(agent=g.agent, instruction=g.instruction, reason=g.reason) for g in found.gaps[: config.follow_ups]]

        return await falling_back(context, claude, lambda: self.fallback.follow_ups(context, responses),
                                  lambda exc: f"Claude coordinator unavailable ({exc}); no follow-ups")


class ClaudeSynthesiser:
    def __init__(self, backend: ClaudeBackend, fallback: Synthesiser) -> None:
        self.backend, self.fallback = backend, fallback

    async def summarise(self, context: RequestContext, answer: Answer) -> Summary | None:
        config = self.backend.config
        choice = synthesis_tier(config, answer)
        await context.emit(TierChosen(request_id=context.request.id, agent="synthesis", tier=choice.tier, model=choice.model,
                                      reason=choice.reason))

        async def claude() -> Summary | None:
            out = await roles.synthesis(self.backend.client, config, _meter(context), answer, config.tiers[choice.tier])
            return Summary(text=out.summary, conflicts=list(out.conflicts))

        return await falling_back(context, claude, lambda: self.fallback.summarise(context, answer),
                                  lambda exc: f"Claude synthesis unavailable ({exc}); the summary was assembled by rules")


def claude_pipeline(backend: ClaudeBackend, inventory: Inventory, rules: Pipeline, offline: Mapping[Specialist, Analyst]) -> Pipeline:
    """Every stage on Claude, each falling back to its rule stage (the analysts to `offline`)."""
    return Pipeline(router=ClaudeRouter(backend, inventory, rules.router), planner=ClaudePlanner(backend, inventory, rules.planner),
                    analysts=ClaudeAnalysts(backend, offline), coordinator=ClaudeCoordinator(backend, rules.coordinator),
                    synthesiser=ClaudeSynthesiser(backend, rules.synthesiser), meter=backend.meter,
                    early_starts=backend.config.early_starts)
