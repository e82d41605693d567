"""Elastic agent pools (issue 18): a pool grows when a step finds every instance busy, up to
max_size, and drops instances idle for idle_s down to min_size; sizes are on /metrics and in the
health report. Concurrent requests run through Supervisor.run against the loopback Anthropic API;
time for shrinking comes from an injected clock."""

from __future__ import annotations

import asyncio

import pytest

from agents.config import BreakerConfig, PoolConfig, ResilienceConfig
from agents.models import Request
from agents.resilience.guard import Resilience
from agents.resilience.pool import AgentPool
from bot.metrics import exposition, registry_for
from bot.report.model import AgentsSection, PoolSize
from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    slow,
    text,
)
from tests.harness.claude_faults import DIAG, FAST, QUESTION, Clock, close, script_ok, supervisor


def test_pool_bounds_are_validated():
    assert PoolConfig(size=2).lower == 2 and PoolConfig(size=2).upper == 2  # fixed by default
    with pytest.raises(ValueError, match="must lie within min_size"):
        PoolConfig(size=5, max_size=3)


async def test_pool_grows_when_busy_and_shrinks_after_idle_with_an_injected_clock():
    clock = Clock()
    pool = AgentPool("diagnosis", PoolConfig(size=1, min_size=1, max_size=3, idle_s=60), BreakerConfig(), clock=clock)
    held = [await pool.acquire() for _ in range(4)]
    assert [i.name for i in held[:3]] == ["diagnosis-1", "diagnosis-2", "diagnosis-3"]  # each busy pool added one
    assert pool.size == 3 and held[3].name in {"diagnosis-1", "diagnosis-2", "diagnosis-3"}  # at max: shared
    for inst in held:
        await pool.release(inst)
    clock.t += 59
    await pool.tick()
    assert pool.size == 3  # not idle long enough
    clock.t += 1
    await pool.tick()
    assert [i.name for i in pool.instances] == ["diagnosis-1"] and pool.resizes == {"grow": 2, "shrink": 2}
    again = await pool.acquire()
    assert again.name == "diagnosis-1" and pool.size == 1  # an idle instance takes the step: no growth


async def test_concurrent_requests_grow_the_pool_and_sizes_reach_metrics_and_the_report(fake_anthropic):
    api = fake_anthropic
    script_ok(api, slow(0.3, text(DIAG)))  # every diagnosis reply takes a moment, so the requests overlap
    clock = Clock()
    pools = ResilienceConfig().pools | {"diagnosis": PoolConfig(size=1, min_size=1, max_size=4, idle_s=300)}
    res = Resilience(ResilienceConfig(retry=FAST, pools=pools, max_concurrent_requests=8), clock=clock)
    sup = supervisor(api, resilience=res)
    try:
        answers = await asyncio.gather(*(sup.run(Request.from_text(QUESTION)) for _ in range(3)))
    finally:
        await close(sup)
    assert all(a.status == "ok" for a in answers)
    pool = res.pools[next(a for a in res.pools if a.value == "diagnosis")]
    assert pool.size == 3 and pool.resizes["grow"] == 2
    assert sorted(a.responses[0].instance for a in answers) == ["diagnosis-1", "diagnosis-2", "diagnosis-3"]

    metrics = exposition(registry_for(res)).decode()
    assert 'noc_agent_pool_size{agent="diagnosis"} 3.0' in metrics
    assert 'noc_agent_pool_max_size{agent="diagnosis"} 4.0' in metrics
    assert 'noc_agent_pool_resizes_total{agent="diagnosis",direction="grow"} 2.0' in metrics
    assert res.snapshot()["pools"]["diagnosis"] == {"size": 3, "min_size": 1, "max_size": 4, "busy": 0, "grown": 2, "shrunk": 0}

    clock.t += 300
    await pool.tick()
    assert pool.size == 1
    assert 'noc_agent_pool_size{agent="diagnosis"} 1.0' in exposition(registry_for(res)).decode()
    section = AgentsSection(pools=[PoolSize(agent=n, **s) for n, s in res.snapshot()["pools"].items()])
    assert PoolSize(agent="diagnosis", size=1, min_size=1, max_size=4, grown=2, shrunk=2) in section.pools


async def test_health_report_shows_the_pool_sizes(tmp_path):
    from agents.tools import build_toolbox
    from bot.config.settings import Settings, StoreConfig
    from bot.report.blocks import render_report
    from bot.report.build import ReportSources, build_report
    from bot.report.text import render_text
    from bot.store import Store

    settings = Settings(store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
                        resilience=ResilienceConfig(pools=ResilienceConfig().pools | {"diagnosis": PoolConfig(size=2, min_size=1, max_size=5)}))
    res = Resilience(settings.resilience)
    store = await Store(settings.store.url).open()
    toolbox = build_toolbox(settings.network)
    try:
        report = await build_report(ReportSources(settings=settings, store=store, toolbox=toolbox, resilience=res))
    finally:
        toolbox.gateway.close()
        await store.close()
    assert "- diagnosis: 2 instance(s), 0 busy (min 1, max 5; grown 0, shrunk 0)" in render_text(report)
    _, blocks = render_report(report)
    assert "Pools now: diagnosis 2 (1-5)" in str(blocks)
