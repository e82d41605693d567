"""Agent pools: several instances per specialist, each with its own breaker and statistics.

An instance is a binding to a model and an endpoint (`resilience.pools.<agent>.instances`: a
Sonnet and a Haiku instance, or one model on two endpoints), so moving a step to another
instance is a real failover. It also has its in-flight count, its recent success rate, its
latencies and its circuit breaker, so work moves away from an instance that keeps failing (its
endpoint down or overloaded, its model stuck on this traffic) while its breaker recovers.
Selection and bookkeeping run under an asyncio lock, so concurrent steps never pick from a
half-updated pool.

Pools are elastic within [min_size, max_size]: an instance runs one step at a time by design, so
a step that finds every candidate busy would queue behind another; the pool adds an instance
instead while it is below max_size (at max_size the least busy instance takes the step, as a
fixed pool does). An instance idle for idle_s is removed while the pool is above min_size,
newest first, so the long-lived instances keep their history. Time comes from the injected clock.

The default `healthiest` strategy ranks by recent success rate, then by fewest steps in flight,
and breaks the remaining tie by least recent use (`least_loaded` breaks its ties the same way): without that last key every healthy idle pool
sent each sequential request to its first instance, the concentration a pool exists to avoid
(one instance carrying the traffic, the others' breakers and statistics never exercised). Use is
counted by a per-pool sequence number, not the clock, so ties resolve the same under a test clock.

Task durations go into a prometheus_client Histogram labelled by agent and instance (one per
process, shared by the pools; `bot.metrics` exposes it); the last 50 latencies are kept as well
for the success-rate, average and p95 figures of the health report.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client import Histogram

from agents.config import BreakerConfig, InstanceConfig, PoolConfig
from agents.resilience.breaker import BreakerState, ChangeHook, CircuitBreaker

Health = Literal["healthy", "degraded", "failed"]
_RECENT = 50  # outcomes and latencies kept per instance
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


def task_durations() -> Histogram:
    """The task-duration histogram, in no registry: each runtime's registry adds it (bot.metrics)."""
    return Histogram("noc_agent_task_duration_seconds", "Specialist task duration", ["agent", "pool_instance"],
                     buckets=DURATION_BUCKETS, registry=None)


@dataclass
class InstanceStats:
    total: int = 0
    successes: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    tokens: int = 0
    cost_usd: float = 0.0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=_RECENT))
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=_RECENT))  # True/False outcomes

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def success_rate(self) -> float:
        """Recent success rate; 1.0 before any task (a new instance is presumed healthy)."""
        return sum(self.recent) / len(self.recent) if self.recent else 1.0

    @property
    def latency_avg(self) -> float:
        return sum(self.latencies) / len(self.latencies) if self.latencies else 0.0

    @property
    def latency_p95(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


class AgentInstance:
    def __init__(self, agent: str, index: int, binding: InstanceConfig, breaker_config: BreakerConfig,
                 clock: Callable[[], float], on_change: ChangeHook | None, durations: Histogram) -> None:
        self.agent = agent
        self.name = f"{agent}-{index}"
        self.binding = binding
        self.breaker = CircuitBreaker(self.name, breaker_config, clock=clock, on_change=on_change)
        self.stats = InstanceStats()
        self.duration: Histogram = durations.labels(agent, self.name)
        self.in_flight = 0
        self.last_use = 0  # the pool's use sequence number when this instance last took a step (0: never)
        self.idle_since = clock()  # when in_flight last dropped to 0 (or the instance was made)

    @property
    def health(self) -> Health:
        state = self.breaker.current_state()
        rate = self.stats.success_rate
        if state == BreakerState.open or rate < 0.5:
            return "failed"
        if state == BreakerState.half_open or rate < 0.9:
            return "degraded"
        return "healthy"

    def record_success(self, latency_s: float) -> None:
        self.stats.total += 1
        self.stats.successes += 1
        self._observe(latency_s)
        self.stats.recent.append(True)
        self.breaker.record_success()

    def record_failure(self, kind: str, latency_s: float) -> None:
        self.stats.total += 1
        self.stats.failures[kind] += 1
        self._observe(latency_s)
        self.stats.recent.append(False)
        self.breaker.record_failure(kind)

    def _observe(self, seconds: float) -> None:
        self.stats.latencies.append(seconds)
        self.duration.observe(seconds)

    def record_llm_usage(self, tokens: int, cost_usd: float) -> None:
        self.stats.tokens += tokens
        self.stats.cost_usd += cost_usd


class AgentPool:
    def __init__(self, agent: str, config: PoolConfig, breaker_config: BreakerConfig, *,
                 clock: Callable[[], float] = time.monotonic, on_change: ChangeHook | None = None,
                 durations: Histogram | None = None) -> None:
        self.agent = agent
        self.config = config
        self.strategy = config.strategy
        self.min_size, self.max_size, self.idle_s = config.lower, config.upper, config.idle_s
        self._breaker_config, self._clock, self._on_change = breaker_config, clock, on_change
        self.durations = durations if durations is not None else task_durations()
        self.instances = [self._make(i) for i in range(1, config.size + 1)]
        self.resizes: Counter[str] = Counter()  # "grow" / "shrink" -> count
        self._next = 0
        self._uses = 0  # acquisitions so far: stamps AgentInstance.last_use
        self._lock = asyncio.Lock()

    def _make(self, index: int) -> AgentInstance:
        return AgentInstance(self.agent, index, self.config.binding(index), self._breaker_config, self._clock,
                             self._on_change, self.durations)

    @property
    def size(self) -> int:
        return len(self.instances)

    @property
    def busy(self) -> int:
        return sum(1 for i in self.instances if i.in_flight)

    def _grow(self) -> AgentInstance:
        taken = {i.name for i in self.instances}
        index = next(n for n in range(1, self.max_size + 2) if f"{self.agent}-{n}" not in taken)
        instance = self._make(index)
        self.instances.append(instance)
        self.resizes["grow"] += 1
        return instance

    def _shrink(self) -> None:
        now = self._clock()
        for inst in sorted(self.instances, key=lambda i: -self.instances.index(i)):
            if self.size <= self.min_size:
                return
            if not inst.in_flight and now - inst.idle_since >= self.idle_s:
                self.instances.remove(inst)
                self.durations.remove(self.agent, inst.name)  # a name used again later starts a new series
                self.resizes["shrink"] += 1

    async def tick(self) -> None:
        """Drop instances idle for idle_s (also done on every acquire and release)."""
        async with self._lock:
            self._shrink()

    async def acquire(self, exclude: set[str] | frozenset[str] = frozenset()) -> AgentInstance | None:
        """Pick an instance whose breaker allows a call (not in `exclude`); None when there is none."""
        async with self._lock:
            self._shrink()
            candidates = [i for i in self.instances if i.name not in exclude and i.breaker.would_allow()]
            if self.size < self.max_size and all(i.in_flight for i in candidates):
                candidates = [self._grow()]  # every usable instance is busy: add one rather than queue
            if not candidates:
                return None
            chosen = self._choose(candidates)
            if not chosen.breaker.allow():  # takes the half-open trial slot
                return None
            chosen.in_flight += 1
            self._uses += 1
            chosen.last_use = self._uses
            return chosen

    def _choose(self, candidates: list[AgentInstance]) -> AgentInstance:
        if self.strategy == "least_loaded":
            return min(candidates, key=lambda i: (i.in_flight, i.last_use, self.instances.index(i)))
        if self.strategy == "healthiest":
            # best recent success rate, then fewest in flight, then least recently used, then pool order
            return max(candidates, key=lambda i: (i.stats.success_rate, -i.in_flight, -i.last_use, -self.instances.index(i)))
        # round robin over the whole pool, skipping instances that are not candidates
        for _ in range(len(self.instances)):
            inst = self.instances[self._next % len(self.instances)]
            self._next += 1
            if inst in candidates:
                return inst
        return candidates[0]

    async def release(self, instance: AgentInstance) -> None:
        async with self._lock:
            instance.in_flight = max(0, instance.in_flight - 1)
            if not instance.in_flight:
                instance.idle_since = self._clock()
            self._shrink()
