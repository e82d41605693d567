"""Latency of the offline engine, end to end through the supervisor, on the embedded lab.

Prints p50/p95 per scenario over N runs (fresh toolbox each run, so device reads are not
cached between runs), and the speed-up of parallel over sequential execution for a plan of
independent steps when every device session costs a fixed delay (as real SSH sessions do).
Run: python bench/ask_latency.py [--runs N] [--device-delay SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from lab_questions import LAB_QUESTIONS  # noqa: E402 - bench/ is the script's directory

from agents.config import EngineConfig, NetworkConfig
from agents.lab import scenario_names
from agents.models import ExecutionMode, Request
from agents.supervisor import Supervisor
from agents.tools import build_toolbox

QUESTIONS = {s: q for s, q in LAB_QUESTIONS.items() if s != "vty-brute-force"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def once(scenario: str, question: str, mode: ExecutionMode = ExecutionMode.auto, delay: float = 0.0) -> float:
    toolbox = build_toolbox(NetworkConfig(cache_ttl_s=30), scenario=scenario)
    if delay:
        for device in toolbox.inventory:
            device.data["lab_delay_s"] = delay
    try:
        t0 = time.perf_counter()
        await Supervisor(toolbox, EngineConfig()).run(Request.from_text(question, mode=mode))
        return time.perf_counter() - t0
    finally:
        toolbox.gateway.close()


async def main(runs: int, delay: float) -> None:
    print(f"offline engine, {runs} runs per scenario (seconds)")
    print(f"{'scenario':20} {'p50':>7} {'p95':>7} {'max':>7}")
    for scenario in scenario_names():
        if scenario not in QUESTIONS:
            continue
        times = [await once(scenario, QUESTIONS[scenario]) for _ in range(runs)]
        print(f"{scenario:20} {statistics.median(times):7.3f} {percentile(times, 95):7.3f} {max(times):7.3f}")
    # Routed to two independent specialists (performance and security) by the learned router.
    question = "branch-rtr-01 is slow: check its bandwidth and audit its security"
    seq = [await once("wan-congestion", question, ExecutionMode.sequential, delay) for _ in range(3)]
    par = [await once("wan-congestion", question, ExecutionMode.parallel, delay) for _ in range(3)]
    print(f"\nplan of independent steps, {delay:g}s per device session: sequential p50 {statistics.median(seq):.2f}s, "
          f"parallel p50 {statistics.median(par):.2f}s, speed-up x{statistics.median(seq) / statistics.median(par):.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--device-delay", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.device_delay))
