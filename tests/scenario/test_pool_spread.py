"""Pools that spread load (issue 30): with the default `healthiest` strategy, ties between equally
healthy idle instances break by least recent use, so sequential requests rotate through a pool
instead of all landing on its first instance. Driven through the running bot (mentions over HTTP,
loopback Slack) and read back from /metrics, the way an operator would see the spread."""

from __future__ import annotations

import asyncio

from agents.config import BreakerConfig, PoolConfig
from agents.resilience.pool import AgentPool
from bot.cli.metrics_report import rows_from
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.metrics import scrape
from tests.harness.slack_bot import start


async def test_six_sequential_mentions_spread_over_every_instance(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        assert bot.runtime.settings.resilience.pool_for("diagnosis").strategy == "healthiest"  # the default
        for n in range(6):
            await bot.post(app_mention_event("why is the branch office slow?", ts=f"1700000{n:03d}.000100"))
            await bot.settle()
        rows = rows_from(await scrape(bot.url))
    finally:
        await bot.running.stop(bot.runtime)
    used = {}
    for row in rows:
        used.setdefault(row["agent"], {})[row["instance"]] = row.get("successes", 0)
    busy = {agent: counts for agent, counts in used.items() if sum(counts.values()) >= len(counts)}
    assert "performance" in busy and "diagnosis" in busy
    for agent, counts in busy.items():
        # every instance took work, and none took more than one step more than another
        assert min(counts.values()) >= 1, (agent, counts)
        assert max(counts.values()) - min(counts.values()) <= 1, (agent, counts)


async def test_a_less_healthy_instance_still_loses_the_tie_break():
    """Least recent use only breaks ties: an instance with a worse recent success rate is still
    passed over, however long it has been idle."""
    pool = AgentPool("diagnosis", PoolConfig(size=3), BreakerConfig(failure_threshold=10))
    pool.instances[1].record_failure("server_error", 0.1)
    picks = []
    for _ in range(6):
        inst = await pool.acquire()
        picks.append(inst.name)
        await pool.release(inst)
    assert picks == ["diagnosis-1", "diagnosis-3"] * 3


async def test_a_burst_takes_the_idle_instances_first_then_the_least_recently_used():
    pool = AgentPool("diagnosis", PoolConfig(size=3), BreakerConfig())
    first = await pool.acquire()
    await pool.release(first)
    held = await asyncio.gather(*(pool.acquire() for _ in range(3)))
    # the two never-used instances go first; diagnosis-1 (used once) last
    assert [i.name for i in held] == ["diagnosis-2", "diagnosis-3", "diagnosis-1"]
    assert all(i.in_flight == 1 for i in pool.instances)
