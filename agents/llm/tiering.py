"""Which model tier a specialist step runs on, from how complex the step looks.

Why: a fixed tier per specialist pays the strong model's price for "is edge-rtr-01 up?" and gives
the cheap model a five-device, three-domain outage. The complexity score counts what makes an
investigation hard for a model: devices in scope (none named means the whole network), other
specialists' findings to reconcile (domains), tool calls the step can be expected to make, and
how often this step already failed (a retry deserves a stronger model). The score picks a rung in
the tiers the specialist allows (llm.allowed_tiers), ordered cheapest first by their price, so the
configuration bounds the cost and the score only moves within it. With llm.tier_policy: fixed the
configured tier is used and the reason says so.
"""

from __future__ import annotations

from pydantic import BaseModel

from agents.config import LLMConfig, TierConfig
from agents.models import AgentTask

# Score at which a step moves to the next allowed tier: 0-1 the cheapest, 2-3 the next, 4+ the strongest.
RUNG_WIDTH = 2


class TierChoice(BaseModel):
    tier: str
    model: str
    score: int
    reason: str


def complexity(task: AgentTask, inventory_size: int, tools: int, failures: int) -> tuple[int, list[str]]:
    """(score, the factors that raised it) for one step."""
    devices = len(task.devices) or inventory_size
    domains = {f.agent for f in task.context}
    expected_calls = devices * max(tools - 1, 1)  # every device can be read with each of its tools but list_devices
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
