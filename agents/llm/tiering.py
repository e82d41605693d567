"""Which model tier a specialist step runs on, from how complex the step looks.

Why: a fixed tier per specialist pays the strong model's price for "is edge-rtr-01 up?" and gives
the cheap model a five-device, three-domain outage. The complexity score counts what makes an
investigation hard for a model: devices in scope (none named means the whole network), other
specialists' findings to reconcile (domains), tool calls the step can be expected to make, and
how often this step already failed (a retry deserves a stronger model). The score picks a rung in
the tiers the specialist allows (llm.allowed_tiers), ordered cheapest first by their price, so the
configuration bounds the cost and the score only moves within it. With llm.tier_policy: fixed the
configured tier is used and the reason says so.

The synthesis role is tiered the same way (issue 27): its work is reconciling reports, so its
score counts the domains that found something, severities that disagree and steps that failed; a
single investigator's report is reworded on the cheapest tier, four domains get the configured
one (llm.roles.synthesis, the ceiling). A deep-tier synthesis of one report was what made the
specialists cost more than one generalist agent on single-domain questions (bench/generalist.py).
A step's device count only weighs for a specialist that reads devices: a writer such as
documentation, with no tool taking a device, is not "the whole network" because no device is named.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from agents.catalogue import catalogue
from agents.config import LLMConfig, TierConfig
from agents.models import AgentTask, Answer, Specialist

# Score at which a step moves to the next allowed tier: 0-1 the cheapest, 2-3 the next, 4+ the strongest.
RUNG_WIDTH = 2


class TierChoice(BaseModel):
    tier: str
    model: str
    score: int
    reason: str


def complexity(task: AgentTask, inventory_size: int, tools: int, failures: int) -> tuple[int, list[str]]:
    """(score, the factors that raised it) for one step; `tools`: how many of its tools read a device."""
    devices = (len(task.devices) or inventory_size) if tools else 0  # a step that reads no device has none in scope
    domains = {f.agent for f in task.context}
    expected_calls = devices * tools  # every device in scope can be read with each of its device tools
    factors: list[tuple[int, str]] = [
        (2 if devices > 3 else 1 if devices > 1 else 0, f"{devices} device{'s' if devices != 1 else ''}"),
        (1 if len(domains) >= 2 else 0, f"{len(domains)} other domain{'s' if len(domains) != 1 else ''} in context"),
        (1 if expected_calls > 12 else 0, f"~{expected_calls} tool calls expected"),
        (2 * failures, f"{failures} earlier failure{'s' if failures != 1 else ''}"),
    ]
    return sum(points for points, _ in factors), [why for points, why in factors if points]


def _cost_rank(config: LLMConfig, tier: TierConfig) -> float:
    price = config.prices.get(tier.model)
    return price.input + price.output if price else 0.0


def device_tools(tools: list[dict[str, Any]]) -> int:
    """How many tool definitions take a device (list_devices, search_runbooks, ask_specialist do not)."""
    return sum("device" in t.get("input_schema", {}).get("properties", {}) for t in tools)


def choose_tier(config: LLMConfig, agent: str, task: AgentTask, *, inventory_size: int, tools: int, failures: int = 0) -> TierChoice:
    if config.tier_policy == "fixed":
        name = config.specialist_tier(agent)
        return TierChoice(tier=name, model=config.tiers[name].model, score=0, reason=f"fixed tier for {agent}")
    allowed = sorted(config.specialist_allowed_tiers(agent), key=lambda t: _cost_rank(config, config.tiers[t]))
    score, factors = complexity(task, inventory_size, tools, failures)
    name = allowed[min(score // RUNG_WIDTH, len(allowed) - 1)]
    why = ", ".join(factors) if factors else "one device, no other findings, no failures"
    return TierChoice(tier=name, model=config.tiers[name].model, score=score,
                      reason=f"complexity {score} ({why}); allowed {', '.join(allowed)}")


def reconciliation(answer: Answer) -> tuple[int, list[str]]:
    """(score, the factors that raised it) for synthesising an answer: what its reports leave to reconcile."""
    writers = {s for s in Specialist if s.value in catalogue() and catalogue()[s.value].plan.runs_after_others}
    investigators = [r for r in answer.responses if r.agent not in writers]
    domains = {r.agent for r in investigators if r.status == "success" and r.findings}
    votes = {answer.severity_votes[r.agent.value] for r in investigators if r.agent.value in answer.severity_votes}
    failed = [r for r in answer.responses if r.status != "success"]
    factors: list[tuple[int, str]] = [
        (max(len(domains) - 1, 0), f"{len(domains)} domain{'s' if len(domains) != 1 else ''} with findings"),
        (1 if len(votes) > 1 else 0, "severities differ"),
        (2 if failed else 0, f"{len(failed)} step{'s' if len(failed) != 1 else ''} failed or partial"),
    ]
    return sum(points for points, _ in factors), [why for points, why in factors if points]


def synthesis_tier(config: LLMConfig, answer: Answer) -> TierChoice:
    """The synthesis call's tier: llm.roles.synthesis, or under tier_policy complexity a rung of the
    tiers up to it (cheapest first) by what the reports leave to reconcile."""
    ceiling = config.role_tier("synthesis")  # the same tier an untiered synthesis call takes
    if config.tier_policy == "fixed":
        return TierChoice(tier=ceiling, model=config.tiers[ceiling].model, score=0, reason="fixed tier for synthesis (llm.roles)")
    top = _cost_rank(config, config.tiers[ceiling])
    allowed = sorted((t for t in config.tiers if _cost_rank(config, config.tiers[t]) <= top), key=lambda t: _cost_rank(config, config.tiers[t]))
    score, factors = reconciliation(answer)
    name = allowed[min(score, len(allowed) - 1)]
    why = ", ".join(factors) if factors else "one domain with findings, severities agree, nothing failed"
    return TierChoice(tier=name, model=config.tiers[name].model, score=score,
                      reason=f"reconciliation {score} ({why}); allowed {', '.join(allowed)} (up to llm.roles.synthesis)")
