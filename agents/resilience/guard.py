"""All resilience state of one process: pools, the provider breaker, the budget, the limits,
and the numbers the metrics endpoint and the health report read.

Breaker transitions are logged, counted, kept in a short history, and reported as progress
notices to whichever request caused them (its context, agents/context.py `current_request`).
Listeners (`listeners`) hear every transition too: the bot hangs its live alerts and the stored
breaker history there, so this package needs to know nothing about Slack or the store.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Histogram

from agents.config import ResilienceConfig
from agents.context import current_request
from agents.models import Specialist
from agents.progress import Notice
from agents.resilience.breaker import BreakerState, CircuitBreaker
from agents.resilience.budget import DailyBudget
from agents.resilience.gate import RequestGate
from agents.resilience.pool import AgentPool, task_durations

log = logging.getLogger(__name__)
# Answer confidence is a 0-1 figure; buckets every 0.1 let a dashboard read the share under any
# threshold a NOC cares about (0.5 "guessing", 0.7, 0.9 "sure").
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def answer_confidence() -> Histogram:
    """Each specialist answer's confidence, labelled by specialist, in no registry (bot.metrics adds it).

    Only answers count (success or partial steps): a step that failed has no confidence to report.
    The label is `agent`, never `instance`/`job`, which Prometheus sets on every scraped series."""
    return Histogram("noc_answer_confidence_ratio", "Confidence of specialist answers (0-1)", ["agent"],
                     buckets=CONFIDENCE_BUCKETS, registry=None)

# LLMUnavailable kinds -> breaker failure kinds
BREAKER_KIND = {"rate_limit": "rate_limit", "overloaded": "overloaded", "server_error": "server_error", "timeout": "timeout",
                "connection": "connection", "auth": "auth", "bad_request": "error", "invalid_output": "invalid_output"}
# Failures that say nothing about an instance: another instance would hit the same wall (the
# provider is unavailable to everyone, or this request's time for Claude is up).
# breaker_open is an endpoint's breaker: the whole provider only for a pool on one endpoint.
PROVIDER_LEVEL = {"budget", "breaker_open", "cost_limit", "deadline"}
DEFAULT_ENDPOINT = "default"


@dataclass(frozen=True)
class BreakerEvent:
    at: float
    name: str
    old: str
    new: str
    reason: str


class Resilience:
    def __init__(self, config: ResilienceConfig, *, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.wall_clock = wall_clock
        self.events: deque[BreakerEvent] = deque(maxlen=200)
        self.transitions: Counter[tuple[str, str]] = Counter()  # (breaker name, new state) -> count
        # Called with each BreakerEvent, possibly under a breaker's lock: must return at once.
        self.listeners: list[Callable[[BreakerEvent], None]] = []
        self.durations = task_durations()  # task durations of every instance (bot.metrics exposes it)
        self.confidence = answer_confidence()  # per specialist answer (the supervisor observes it)
        self.pools = {agent: AgentPool(agent.value, config.pool_for(agent.value), config.breaker, clock=clock, on_change=self._changed,
                                       durations=self.durations)
                      for agent in Specialist}
        self.provider = CircuitBreaker("llm-provider", config.provider_breaker, clock=clock, on_change=self._changed)
        # One provider breaker per endpoint: the default one is `provider`; a named endpoint has its own.
        self.providers = {DEFAULT_ENDPOINT: self.provider} | {
            name: CircuitBreaker(f"llm-provider@{name}", config.provider_breaker, clock=clock, on_change=self._changed)
            for name in config.endpoints}
        self.budget = DailyBudget(config.daily_token_budget, config.timezone, clock=wall_clock)
        self.requests = RequestGate(config.max_concurrent_requests)
        # LLM calls beyond the limit wait by their step's priority (the request context's), like requests.
        self.llm_slots = RequestGate(config.llm_call_limit())
        self.llm_tokens: Counter[tuple[str, str]] = Counter()  # (model, type) -> tokens
        self.llm_cost: defaultdict[str, float] = defaultdict(float)  # model -> USD
        self.adopted: list[CircuitBreaker] = []  # breakers made elsewhere (an MCP server's), reported here too

    def adopt(self, breaker: CircuitBreaker) -> None:
        """Report `breaker`'s transitions like this guard's own (events, metrics, notices, listeners)."""
        if breaker not in self.adopted:
            breaker.on_change = self._changed
            self.adopted.append(breaker)

    def _changed(self, breaker: CircuitBreaker, old: BreakerState, new: BreakerState, reason: str) -> None:
        event = BreakerEvent(self.wall_clock(), breaker.name, old.value, new.value, reason)
        self.events.append(event)
        self.transitions[(breaker.name, new.value)] += 1
        request = current_request()
        if request is not None:  # said to the request that moved it, at its next step's end (may run under the breaker's lock)
            request.raise_soon(Notice(request_id=request.request.id, level="warning", breaker=True,
                                      text=f"Circuit breaker {breaker.name}: {old.value} -> {new.value} ({reason})"))
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the call that moved the breaker
                log.exception("breaker listener failed for %s", breaker.name)

    def record_llm_usage(self, model: str, usage: Any, cost_usd: float) -> None:
        """`usage` is the SDK's usage object (or the loopback server's); absent fields count 0."""
        for kind, attr in (("input", "input_tokens"), ("output", "output_tokens"),
                           ("cache_read", "cache_read_input_tokens"), ("cache_write", "cache_creation_input_tokens")):
            self.llm_tokens[(model, kind)] += getattr(usage, attr, 0) or 0
        self.llm_cost[model] += cost_usd
        # The budget counts what is billed at the input price or more: input, output and cache writes.
        self.budget.add(sum(getattr(usage, a, 0) or 0 for a in ("input_tokens", "output_tokens", "cache_creation_input_tokens")))

    def provider_for(self, endpoint: str | None) -> CircuitBreaker:
        """The provider breaker of an endpoint (None: the default client's, `llm-provider`)."""
        return self.providers[endpoint or DEFAULT_ENDPOINT]

    def breakers(self) -> list[CircuitBreaker]:
        return list(self.providers.values()) + [i.breaker for p in self.pools.values() for i in p.instances] + self.adopted

    def snapshot(self) -> dict[str, Any]:
        """Plain data for the health report: every instance, the provider breaker, the budget."""
        instances = []
        for agent, pool in self.pools.items():
            for inst in pool.instances:
                st = inst.stats
                instances.append({"agent": agent.value, "instance": inst.name, "binding": inst.binding.describe(), "health": inst.health,
                                  "breaker": inst.breaker.current_state().value, "total": st.total, "successes": st.successes,
                                  "failures": dict(st.failures), "success_rate": round(st.success_rate, 3),
                                  "latency_avg_s": round(st.latency_avg, 3), "latency_p95_s": round(st.latency_p95, 3),
                                  "tokens": st.tokens, "cost_usd": round(st.cost_usd, 6), "in_flight": inst.in_flight})
        pools = {agent.value: {"size": p.size, "min_size": p.min_size, "max_size": p.max_size, "busy": p.busy,
                               "grown": p.resizes["grow"], "shrunk": p.resizes["shrink"]} for agent, p in self.pools.items()}
        return {
            "instances": instances,
            "pools": pools,
            "provider_breaker": self.provider.current_state().value,
            "provider_breakers": {b.name: b.current_state().value for b in self.providers.values()},
            "budget": {"used": self.budget.used, "limit": self.budget.limit_tokens},
            "recent_transitions": [e.__dict__ for e in list(self.events)[-10:]],
        }
