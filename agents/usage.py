"""Token usage and cost, per agent and per request, from the configured price table."""

from __future__ import annotations

import logging
import threading
from typing import Any

from agents.config import PriceConfig
from agents.models import Usage

log = logging.getLogger(__name__)


def cost_usd(prices: dict[str, PriceConfig], model: str, usage: Any) -> float:
    """Cost of one call. Input tokens exclude cached ones in the API's usage, so each kind is priced once."""
    price = prices.get(model)
    if price is None:
        log.warning("no price configured for model %s; its cost counts as 0", model)
        return 0.0
    per_million = (
        (getattr(usage, "input_tokens", 0) or 0) * price.input
        + (getattr(usage, "output_tokens", 0) or 0) * price.output
        + (getattr(usage, "cache_creation_input_tokens", 0) or 0) * price.cache_write
        + (getattr(usage, "cache_read_input_tokens", 0) or 0) * price.cache_read
    )
    return per_million / 1_000_000


class UsageMeter:
    """Sums usage for one request; knows when the request's cost limit is reached."""

    def __init__(self, prices: dict[str, PriceConfig], cost_limit_usd: float) -> None:
        self.prices = prices
        self.cost_limit_usd = cost_limit_usd
        self.total = Usage()
        self.by_agent: dict[str, Usage] = {}
        self._lock = threading.Lock()

    def add(self, agent: str, model: str, usage: Any | None) -> float:
        """Count one call; returns its cost in USD."""
        cost = cost_usd(self.prices, model, usage) if usage is not None else 0.0
        with self._lock:
            for bucket in (self.total, self.by_agent.setdefault(agent, Usage())):
                bucket.llm_calls += 1
                if usage is None:
                    continue
                bucket.input_tokens += getattr(usage, "input_tokens", 0) or 0
                bucket.output_tokens += getattr(usage, "output_tokens", 0) or 0
                bucket.cache_read_tokens += getattr(usage, "cache_read_input_tokens", 0) or 0
                bucket.cache_write_tokens += getattr(usage, "cache_creation_input_tokens", 0) or 0
                bucket.cost_usd = round(bucket.cost_usd + cost, 6)
        return cost

    @property
    def exhausted(self) -> bool:
        return self.total.cost_usd >= self.cost_limit_usd
