"""How the pool strategies spread work over a specialist's instances (issue 30).

The reference design names "every request goes to the same instance" as the bug its selection
strategy avoids. This bench runs the real supervisor (offline engine, embedded lab) with one
shared Resilience per strategy and counts, per pool, the steps each instance took:

  1. six sequential requests (one at a time, every instance idle and equally healthy);
  2. a burst of --burst concurrent requests (instances busy; elastic pools may grow).

For each pool it prints the steps per instance and the spread (max - min). With `healthiest`
(the default) ties break by least recent use, so a sequential run rotates through the pool;
`pool-order` reproduces the previous rule (ties went to the first instance in pool order).

Run: python bench/pool_spread.py [--burst 12] [--question "..."]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.config import EngineConfig, NetworkConfig, PoolConfig, ResilienceConfig  # noqa: E402
from agents.models import Request, Specialist  # noqa: E402
from agents.resilience.guard import Resilience  # noqa: E402
from agents.resilience.pool import AgentInstance, AgentPool  # noqa: E402
from agents.supervisor import Supervisor  # noqa: E402
from agents.tools import build_toolbox  # noqa: E402

QUESTION = "why is the branch office slow?"


class PoolOrderPool(AgentPool):
    """The rule before issue 30: best success rate, then fewest in flight, then pool order."""

    def _choose(self, candidates: list[AgentInstance]) -> AgentInstance:
        return max(candidates, key=lambda i: (i.stats.success_rate, -i.in_flight, -self.instances.index(i)))


def resilience_for(strategy: str) -> Resilience:
    real = "healthiest" if strategy == "pool-order" else strategy
    base = ResilienceConfig()
    pools = {name: PoolConfig(**(p.model_dump() | {"strategy": real})) for name, p in base.pools.items()}
    res = Resilience(ResilienceConfig(pools=pools))
    if strategy == "pool-order":
        res.pools = {agent: PoolOrderPool(agent.value, res.config.pool_for(agent.value), res.config.breaker,
                                          durations=res.durations) for agent in Specialist}
    return res


def counts(res: Resilience) -> Iterable[tuple[str, list[int]]]:
    for agent, pool in res.pools.items():
        steps = [i.stats.total for i in pool.instances]
        if sum(steps):
            yield agent.value, steps


async def run(strategy: str, burst: int, question: str) -> None:
    for label, concurrent in (("6 sequential", 0), (f"burst of {burst}", burst)):
        res = resilience_for(strategy)
        toolbox = build_toolbox(NetworkConfig(cache_ttl_s=30), scenario="wan-congestion")
        sup = Supervisor(toolbox, EngineConfig(), resilience=res)
        try:
            if concurrent:
                await asyncio.gather(*(sup.run(Request.from_text(question)) for _ in range(concurrent)))
            else:
                for _ in range(6):
                    await sup.run(Request.from_text(question))
        finally:
            toolbox.gateway.close()
        cells = [f"{agent} {'/'.join(map(str, steps))} (spread {max(steps) - min(steps)})" for agent, steps in counts(res)]
        print(f"{strategy:13} {label:14} " + "; ".join(cells))


async def main(burst: int, question: str) -> None:
    print(f"steps per instance, per pool (question: {question!r})")
    for strategy in ("pool-order", "healthiest", "least_loaded", "round_robin"):
        await run(strategy, burst, question)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=12)
    parser.add_argument("--question", default=QUESTION)
    args = parser.parse_args()
    asyncio.run(main(args.burst, args.question))
