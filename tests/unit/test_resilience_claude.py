"""Fault injection through the loopback Anthropic API: retries on other instances, fallbacks,
the provider breaker, the daily budget, queueing, and 200 concurrent requests under 30% failures."""

from __future__ import annotations

import asyncio
import logging
import random
import re

import pytest

from agents.config import BreakerConfig, EngineConfig, ResilienceConfig
from agents.models import Request
from agents.progress import RecordingObserver
from agents.resilience.breaker import BreakerState
from agents.resilience.guard import Resilience
from bot.metrics import exposition, registry_for
from tests.fakes.anthropic_api import (
    dynamic,
    error,
    fake_anthropic,  # noqa: F401
    overloaded,
    rate_limited,
    slow,
    text,
)
from tests.harness.claude_faults import DIAG, FAST, PLAN, QUESTION, SYNTH, Clock, close, script_ok, supervisor


async def test_timed_out_step_is_retried_on_another_instance(fake_anthropic):
    api = fake_anthropic
    script_ok(api, slow(1.0, text(DIAG)), slow(1.0, text(DIAG)), text(DIAG))
    res = Resilience(ResilienceConfig(retry=FAST))
    sup = supervisor(api, resilience=res, engine=EngineConfig(step_timeout_s=0.3))
    try:
        answer = await sup.run(Request.from_text(QUESTION))
    finally:
        await close(sup)
    diag = answer.responses[0]
    assert answer.status == "ok" and diag.engine == "claude" and diag.instance == "diagnosis-3"
    stats = {i.name: i.stats for i in res.pools[diag.agent].instances}
    assert stats["diagnosis-1"].failures == {"timeout": 1} and stats["diagnosis-2"].failures == {"timeout": 1}
    assert stats["diagnosis-3"].successes == 1
    assert len(api.requests_for("specialist:diagnosis")) == 3


async def test_all_attempts_fail_then_offline_analyst_answers(fake_anthropic):
    api = fake_anthropic
    script_ok(api, error(500))
    res = Resilience(ResilienceConfig(retry=FAST, provider_breaker=BreakerConfig(failure_threshold=100)))
    sup = supervisor(api, resilience=res, max_retries=0)
    try:
        answer = await sup.run(Request.from_text(QUESTION))
    finally:
        await close(sup)
    diag = answer.responses[0]
    assert answer.status == "degraded" and diag.engine == "offline-fallback"
    assert "all 3 attempt(s) failed" in diag.degraded and "answered by the offline analyst" in diag.degraded
    assert "remote-as 65001" in " ".join(f.text for f in diag.findings)


async def test_provider_breaker_sends_work_offline_and_recovers(fake_anthropic):
    api = fake_anthropic
    api.script(None, error(500))
    clock = Clock()
    res = Resilience(ResilienceConfig(retry=FAST, provider_breaker=BreakerConfig(failure_threshold=3, recovery_timeout_s=30)), clock=clock)
    sup = supervisor(api, resilience=res, max_retries=0)
    sink = RecordingObserver()
    try:
        first = await sup.run(Request.from_text(QUESTION), sink)
        assert res.provider.current_state() == BreakerState.open
        calls = len(api.requests)
        assert calls == 3  # the breaker opened on the third failure; nothing after that reached the API
        assert any("Circuit breaker llm-provider: closed -> open" in n for n in sink.notices("warning"))
        second = await sup.run(Request.from_text(QUESTION))
        assert len(api.requests) == calls
        assert second.status == "degraded" and any("circuit breaker is open" in n for n in second.notices)
        assert "remote-as 65001" in " ".join(f.text for f in second.findings)
        # after the recovery timeout one trial goes through; success closes the breaker
        api.reset()
        script_ok(api)
        clock.t += 30
        third = await sup.run(Request.from_text(QUESTION))
        assert res.provider.current_state() == BreakerState.closed
        assert third.status == "ok" and third.responses[0].engine == "claude"
    finally:
        await close(sup)
    assert res.transitions[("llm-provider", "open")] == 1 and res.transitions[("llm-provider", "closed")] == 1
    assert first.status == "degraded"


async def test_daily_budget_stops_claude_until_the_next_day(fake_anthropic):
    api = fake_anthropic
    script_ok(api)
    wall = Clock()
    wall.t = 1795348800.0  # 2026-11-22 12:00 UTC
    res = Resilience(ResilienceConfig(retry=FAST, daily_token_budget=2500), wall_clock=wall)
    sup = supervisor(api, resilience=res)
    try:
        first = await sup.run(Request.from_text(QUESTION))
        assert first.status == "ok" and res.budget.used == 3600  # 3 calls x 1200 tokens
        calls = len(api.requests)
        second = await sup.run(Request.from_text(QUESTION))
        assert len(api.requests) == calls and second.usage.llm_calls == 0
        assert second.status == "degraded"
        assert any("daily token budget of 2,500 tokens is spent; Claude is called again from 2026-11-23T00:00+00:00" in n
                   for n in second.notices)
        wall.t += 12 * 3600
        third = await sup.run(Request.from_text(QUESTION))
        assert third.status == "ok" and len(api.requests) == calls + 3
    finally:
        await close(sup)
    text_ = exposition(registry_for(res)).decode()
    assert "noc_llm_budget_used_tokens 3600.0" in text_ and "noc_llm_budget_limit_tokens 2500.0" in text_


async def test_excess_requests_queue_and_are_told_their_position(fake_anthropic):
    api = fake_anthropic
    script_ok(api, slow(0.2, text(DIAG)))
    res = Resilience(ResilienceConfig(retry=FAST, max_concurrent_requests=1))
    sup = supervisor(api, resilience=res)
    sinks = [RecordingObserver() for _ in range(3)]
    try:
        answers = await asyncio.gather(*(sup.run(Request.from_text(QUESTION), s) for s in sinks))
    finally:
        await close(sup)
    assert all(a.status == "ok" for a in answers)
    queue_notes = [[n for n in s.notices("info") if n.startswith("Queued")] for s in sinks]
    assert queue_notes[0] == []
    assert sorted(map(len, queue_notes[1:])) == [1, 2]
    # Two wait behind the running one: the second in line has exactly one request ahead of it.
    assert sorted(t.split(";")[0] for notes in queue_notes for t in notes) == [
        "Queued: 1 request(s) ahead of this one", "Queued: next in line.", "Queued: next in line."]


@pytest.mark.slow  # a 200-request burst: a load test, run with the fault suites (-m slow)
async def test_200_concurrent_requests_under_30_percent_llm_failures(fake_anthropic, caplog):
    """Every request ends with an answer (degraded ones marked), nothing unhandled is logged,
    and the metrics add up: per instance successes + failures = attempts."""
    api = fake_anthropic
    rng = random.Random(7)
    faults = [rate_limited(0), overloaded(), error(500), slow(0.6, text(SYNTH))]
    ok = {"planner": PLAN, "specialist:diagnosis": DIAG, "synthesis": SYNTH}

    def reply(body):
        role = body["system"][0]["text"].split("\n", 1)[0].removeprefix("Role: ")
        if rng.random() < 0.30:
            return rng.choice(faults)
        return text(ok[role])

    api.script(None, dynamic(reply))
    res = Resilience(ResilienceConfig(retry=FAST, provider_breaker=BreakerConfig(failure_threshold=1e9),
                                      breaker=BreakerConfig(failure_threshold=1e9), max_concurrent_requests=20,
                                      max_concurrent_llm_calls=16))
    sup = supervisor(api, resilience=res, max_retries=0, timeout_s=0.3)
    caplog.set_level(logging.WARNING)
    try:
        answers = await asyncio.wait_for(asyncio.gather(*(sup.run(Request.from_text(QUESTION)) for _ in range(200))), timeout=240)
    finally:
        await close(sup)
    assert len(answers) == 200
    assert {a.status for a in answers} <= {"ok", "degraded"}
    assert all(a.findings for a in answers)
    assert all(a.notices for a in answers if a.status == "degraded")
    assert sum(a.status == "ok" for a in answers) > 20 and sum(a.status == "degraded" for a in answers) > 20
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    pool = res.pools[answers[0].responses[0].agent]
    claude_answers = sum(1 for a in answers if a.responses[0].engine == "claude")
    assert sum(i.stats.successes for i in pool.instances) == claude_answers
    exposition_text = exposition(registry_for(res)).decode()
    for inst in pool.instances:
        st = inst.stats
        assert st.total == st.successes + st.failed
        name = inst.name
        succ = _sample(exposition_text, f'noc_agent_tasks_total{{agent="diagnosis",pool_instance="{name}",status="success"}}')
        fail = _sample(exposition_text, f'noc_agent_tasks_total{{agent="diagnosis",pool_instance="{name}",status="failure"}}')
        count = _sample(exposition_text, f'noc_agent_task_duration_seconds_count{{agent="diagnosis",pool_instance="{name}"}}')
        assert succ + fail == count == st.total
    assert sum(i.stats.total for i in pool.instances) >= 200


def _sample(exposition_text: str, series: str) -> float:
    match = re.search(re.escape(series) + r" ([0-9.e+]+)", exposition_text)
    assert match, series
    return float(match.group(1))
