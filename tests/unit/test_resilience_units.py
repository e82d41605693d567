"""Breakers, pools, budget and the request gate, with an injectable clock instead of sleeps."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from agents.config import BreakerConfig, PoolConfig
from agents.resilience.breaker import BreakerState, CircuitBreaker
from agents.resilience.budget import DailyBudget
from agents.resilience.gate import RequestGate
from agents.resilience.pool import AgentPool
from tests.harness.waiting import until


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def breaker(clock, **cfg) -> tuple[CircuitBreaker, list]:
    changes = []
    b = CircuitBreaker("x", BreakerConfig(**{"failure_threshold": 3, "window_s": 60, "recovery_timeout_s": 30, **cfg}), clock=clock,
                       on_change=lambda br, old, new, reason: changes.append((old.value, new.value, reason)))
    return b, changes


def test_opens_after_weighted_threshold_and_weights_differ():
    clock = Clock()
    b, changes = breaker(clock)
    for _ in range(5):
        b.record_failure("timeout")  # 0.5 each: 2.5 < 3
    assert b.current_state() == BreakerState.closed
    b.record_failure("timeout")
    assert b.current_state() == BreakerState.open
    assert changes[-1][:2] == ("closed", "open") and "weighted failures 3" in changes[-1][2]

    b2, _ = breaker(Clock())
    for _ in range(3):
        b2.record_failure("server_error")
    assert b2.current_state() == BreakerState.open


def test_auth_error_opens_at_once():
    b, changes = breaker(Clock())
    b.record_failure("auth")
    assert b.current_state() == BreakerState.open and "opens at once" in changes[0][2]


def test_failures_outside_the_window_do_not_count():
    clock = Clock()
    b, _ = breaker(clock)
    b.record_failure("server_error")
    b.record_failure("server_error")
    clock.advance(61)
    b.record_failure("server_error")
    assert b.current_state() == BreakerState.closed


def test_stays_open_then_half_open_allows_exactly_one_trial():
    clock = Clock()
    b, changes = breaker(clock)
    b.record_failure("auth")
    clock.advance(29)
    assert not b.allow() and b.current_state() == BreakerState.open
    assert b.retry_in() == pytest.approx(1.0)
    clock.advance(1)
    assert b.would_allow() and b.would_allow()  # looking does not take the trial slot
    assert b.allow() is True
    assert b.allow() is False  # one trial at a time
    assert b.current_state() == BreakerState.half_open
    b.record_success()
    assert b.current_state() == BreakerState.closed and b.allow()
    assert [c[:2] for c in changes] == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]


def test_failed_trial_reopens_and_restarts_the_timer():
    clock = Clock()
    b, _ = breaker(clock)
    b.record_failure("auth")
    clock.advance(30)
    assert b.allow()
    b.record_failure("timeout")
    assert b.current_state() == BreakerState.open
    clock.advance(29)
    assert not b.allow()
    clock.advance(1)
    assert b.allow()


def make_pool(strategy: str, size: int = 3, clock=None) -> AgentPool:
    return AgentPool("diagnosis", PoolConfig(size=size, strategy=strategy),
                     BreakerConfig(failure_threshold=3, window_s=60, recovery_timeout_s=30), clock=clock or Clock())


async def test_round_robin():
    pool = make_pool("round_robin")
    picked = []
    for _ in range(4):
        inst = await pool.acquire()
        picked.append(inst.name)
        await pool.release(inst)
    assert picked == ["diagnosis-1", "diagnosis-2", "diagnosis-3", "diagnosis-1"]


async def test_least_loaded():
    pool = make_pool("least_loaded")
    a = await pool.acquire()
    b = await pool.acquire()
    c = await pool.acquire()
    assert {a.name, b.name, c.name} == {"diagnosis-1", "diagnosis-2", "diagnosis-3"}
    await pool.release(b)
    assert (await pool.acquire()).name == b.name


async def test_healthiest_moves_traffic_away_and_skips_open_breakers():
    clock = Clock()
    pool = make_pool("healthiest", clock=clock)
    first = pool.instances[0]
    first.record_failure("server_error", 0.1)
    assert (await pool.acquire()).name == "diagnosis-2"  # best recent success rate
    for _ in range(2):
        first.record_failure("server_error", 0.1)
    assert first.breaker.current_state() == BreakerState.open and first.health == "failed"
    for inst in pool.instances[1:]:
        inst.record_failure("rate_limit", 0.1)
    # diagnosis-1 has the open breaker: never chosen, even though the others now look worse than before
    picks = Counter()
    for _ in range(10):
        inst = await pool.acquire()
        picks[inst.name] += 1
        await pool.release(inst)
    assert "diagnosis-1" not in picks
    clock.advance(30)
    assert first.breaker.would_allow()


async def test_exclusion_and_nothing_available():
    pool = make_pool("healthiest", size=2)
    a = await pool.acquire()
    assert (await pool.acquire(exclude={a.name})).name != a.name
    for inst in pool.instances:
        inst.breaker.record_failure("auth")
    assert await pool.acquire() is None


async def test_pool_selection_is_safe_under_concurrency():
    pool = make_pool("least_loaded")
    peak = Counter()
    used = Counter()

    async def task():
        inst = await pool.acquire()
        used[inst.name] += 1
        peak[inst.name] = max(peak[inst.name], inst.in_flight)
        await asyncio.sleep(0)
        await pool.release(inst)

    await asyncio.gather(*(task() for _ in range(300)))
    assert sum(used.values()) == 300
    assert all(i.in_flight == 0 for i in pool.instances)
    assert max(peak.values()) - min(peak.values()) <= 1  # least-loaded spreads the load evenly
    assert set(used) == {"diagnosis-1", "diagnosis-2", "diagnosis-3"}


def test_instance_stats_add_up():
    pool = make_pool("round_robin")
    inst = pool.instances[0]
    for latency in (0.1, 0.2, 0.3, 5.0):
        inst.record_success(latency)
    inst.record_failure("timeout", 30.0)
    st = inst.stats
    assert st.total == st.successes + st.failed == 5
    assert st.success_rate == pytest.approx(0.8) and inst.health == "degraded"
    assert st.latency_p95 == 30.0 and st.latency_avg == pytest.approx(7.12)
    # the durations go into the pool's prometheus_client histogram (cumulative buckets)
    samples = {(s.name, s.labels.get("le")): s.value for family in pool.durations.collect() for s in family.samples
               if s.labels["pool_instance"] == inst.name}
    assert samples[("noc_agent_task_duration_seconds_bucket", "120.0")] == 5
    assert samples[("noc_agent_task_duration_seconds_sum", None)] == pytest.approx(35.6)


def test_daily_budget_resets_at_local_midnight():
    # 2026-11-22 22:30 UTC is 23:30 in Paris
    clock = Clock(1795386600.0)
    budget = DailyBudget(1000, "Europe/Paris", clock=clock)
    budget.add(999)
    assert not budget.spent()
    budget.add(1)
    assert budget.spent() and budget.resumes_at() == "2026-11-23T00:00+01:00"
    clock.advance(45 * 60)  # 00:15 in Paris, still 23:15 UTC
    assert budget.used == 0 and not budget.spent()
    assert not DailyBudget(0).spent()  # 0 = no budget


async def test_gate_queues_fifo_and_reports_positions():
    gate = RequestGate(1)
    order, positions = [], {}

    release = asyncio.Event()

    async def request(name: str):
        async def on_position(p):
            positions.setdefault(name, []).append(p)

        async with gate.slot(on_position):
            order.append(name)
            if name == "a":
                await release.wait()  # holds the one slot until every other request is queued

    first = asyncio.create_task(request("a"))
    await until(lambda: gate.active == 1, what="a in the slot")
    def queued(k: int):
        return lambda: gate.queued == k

    rest = []
    for n in "bcd":  # one at a time, so the queue's order is the order asked
        rest.append(asyncio.create_task(request(n)))
        await until(queued(len(rest)), what=f"{n} queued")
    assert gate.queued == 3 and gate.active == 1
    release.set()
    await asyncio.gather(first, *rest)
    await until(lambda: len(positions.get("d", [])) == 3, what="the last position notices")
    assert order == ["a", "b", "c", "d"]
    assert positions["b"] == [1] and positions["c"] == [2, 1] and positions["d"] == [3, 2, 1]
    assert gate.active == 0 and gate.queued == 0


async def test_gate_cancelled_waiter_leaves_the_queue():
    gate = RequestGate(1)
    async with gate.slot():
        waiter = asyncio.create_task(_hold(gate))
        await until(lambda: gate.queued == 1, what="the waiter queued")
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert gate.queued == 0
    assert gate.active == 0


async def _hold(gate):
    async with gate.slot():
        raise AssertionError("a cancelled waiter must never get the slot")
