"""Throughput of the offline engine under concurrency, where its CPU goes, and one slow device.

The path is the one `noc ask` and the Slack runtime take: the supervisor over a toolbox built by
`build_toolbox` on the embedded lab, offline analysts, one toolbox (one gateway cache) per
scenario for the whole run, as a process serves many requests. Device reads are cached (the
gateway's TTL covers the run), so what is measured is the engine's own work: parsing, rules,
analysts, synthesis.

Prints, in one run:
- requests/s, CPU ms per request, latency p50/p95/max at the chosen concurrency;
- event-loop lag while under load (what a Slack ack arriving then would wait): p50/p99/max;
- where a parse cache miss runs (inline, worker thread, process pool), with the cache on and off;
- the same load with the start-up objects frozen out of the garbage collector (`gc.freeze()`);
- the top profile entries (cProfile over a second pass), by own time per library and per function;
- with --slow-device (on by default), the wall time of the `slow-device` scenario with default
  settings (network.timeout_s 30 s), in sequential, parallel and auto mode and for a one-device
  question, all at once so it costs one device timeout of waiting.

Run: python bench/throughput.py [--requests N] [--concurrency C] [--no-slow-device]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import resource
import statistics
import time
from collections import defaultdict
from pathlib import Path

from lab_questions import LAB_QUESTIONS  # noqa: E402 - bench/ is the script's directory

from agents.config import EngineConfig, NetworkConfig
from agents.models import Answer, ExecutionMode, Request
from agents.network.parse_cache import PARSES
from agents.supervisor import Supervisor
from agents.tools import build_toolbox
from agents.tools.network import Toolbox

QUESTIONS = {s: q for s, q in LAB_QUESTIONS.items() if s != "device-unreachable"}  # every device answers
SLOW_QUESTIONS = [
    ("auto", "is the internet edge ok?", ExecutionMode.auto),
    ("sequential", "edge-rtr-01 is slow: check its bandwidth, audit its security and review its config", ExecutionMode.sequential),
    ("parallel", "edge-rtr-01 is slow: check its bandwidth, audit its security and review its config", ExecutionMode.parallel),
    ("one device", "how is edge-rtr-01 doing?", ExecutionMode.auto),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def cpu_seconds() -> float:
    """CPU of this process and of its reaped children (a process pool's workers, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Engines:
    """One supervisor per scenario, built once, reused by every request (as a process does)."""

    def __init__(self) -> None:
        network = NetworkConfig(cache_ttl_s=3600)
        self.toolboxes: dict[str, Toolbox] = {s: build_toolbox(network, scenario=s) for s in QUESTIONS}
        self.supervisors = {s: Supervisor(tb, EngineConfig()) for s, tb in self.toolboxes.items()}

    async def ask(self, scenario: str) -> Answer:
        # role admin, as `noc ask` answers the shell user: every tool runs (audits and configuration too)
        return await self.supervisors[scenario].run(Request.from_text(QUESTIONS[scenario], role="admin"))

    def close(self) -> None:
        for toolbox in self.toolboxes.values():
            toolbox.gateway.close()


async def loop_lag(stop: asyncio.Event, out: list[float], tick: float = 0.005) -> None:
    """How late a 5 ms timer fires: the time a callback (a Slack ack) waits for the loop."""
    while not stop.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(tick)
        out.append(max(0.0, time.perf_counter() - t0 - tick))


async def load(engines: Engines, requests: int, concurrency: int) -> dict[str, float]:
    scenarios = list(QUESTIONS)
    latencies: list[float] = []
    lags: list[float] = []
    gate = asyncio.Semaphore(concurrency)
    statuses: dict[str, int] = defaultdict(int)

    async def one(i: int) -> None:
        async with gate:
            t0 = time.perf_counter()
            answer = await engines.ask(scenarios[i % len(scenarios)])
            latencies.append(time.perf_counter() - t0)
            statuses[answer.status] += 1

    stop = asyncio.Event()
    probe = asyncio.create_task(loop_lag(stop, lags))
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - cpu0
    stop.set()
    await probe
    bad = {k: v for k, v in statuses.items() if k not in {"ok", "partial"}}
    if bad:
        print(f"  (answers not ok: {dict(bad)})")
    return {
        "rps": requests / wall, "cpu_ms": 1000 * cpu / requests, "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95), "max": max(latencies), "lag_p50": percentile(lags, 50),
        "lag_p99": percentile(lags, 99), "lag_max": max(lags), "wall": wall,
    }


def area(filename: str) -> str:
    """The library (or our package) a profiled function lives in."""
    parts = Path(filename).parts
    if "site-packages" in parts:
        i = parts.index("site-packages")
        return parts[i + 1].split(".")[0] if i + 1 < len(parts) else "?"
    for ours in ("agents", "bot"):
        if ours in parts:
            i = len(parts) - 1 - parts[::-1].index(ours)
            return ".".join(parts[i:i + 3]).removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "builtins"
    return "stdlib:" + Path(filename).stem


def print_profile(profile: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profile)
    total = sum(v[2] for v in stats.stats.values())  # type: ignore[attr-defined]
    by_area: dict[str, float] = defaultdict(float)
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_area[area(filename)] += tottime
    print(f"\nprofile: own time by library/module ({total:.2f}s profiled)")
    for name, seconds in sorted(by_area.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * seconds / total:5.1f}%  {name}")
    print("\nprofile: top functions by cumulative time (share of profiled time)")
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
    shown = 0
    for (filename, line, func), (_, calls, _own, cumtime, _) in rows:
        where = area(filename)
        if where.startswith(("stdlib:asyncio", "stdlib:events", "builtins")) or func in {"<module>", "run"}:
            continue
        print(f"  {100 * cumtime / total:5.1f}%  {calls:7d} calls  {where}:{func}:{line}")
        shown += 1
        if shown >= top:
            break


async def offload_comparison(engines: Engines, requests: int, concurrency: int, runs: int) -> None:
    """Where a parse runs, with the parse cache on and off (off: every request parses, as before it)."""
    print(f"\nwhere parsing runs ({requests} requests, concurrency {concurrency}, median of {runs} runs; "
          "CPU includes process-pool workers)")
    print(f"{'parse cache':12} {'offload':8} {'req/s':>7} {'CPU ms/req':>10} {'p95 ms':>7} {'loop lag p99 ms':>16}")
    saved = PARSES.maxsize, PARSES.offload
    try:
        for cache in ("off", "on"):
            for offload in ("inline", "thread", "process"):
                PARSES.clear()
                PARSES.maxsize = 0 if cache == "off" else saved[0]
                PARSES.offload = offload  # type: ignore[assignment]
                if cache == "on":
                    await load(engines, len(QUESTIONS), len(QUESTIONS))  # fill it, as the main run did
                rows = []
                for _ in range(runs):
                    cpu0 = cpu_seconds()
                    r = await load(engines, requests, concurrency)
                    PARSES.shutdown()  # reaps the workers, so their CPU is counted
                    rows.append(r | {"cpu_ms": 1000 * (cpu_seconds() - cpu0) / requests})
                m = {k: statistics.median(row[k] for row in rows) for k in rows[0]}
                print(f"{cache:12} {offload:8} {m['rps']:7.1f} {m['cpu_ms']:10.1f} {1000 * m['p95']:7.0f} {1000 * m['lag_p99']:16.1f}")
    finally:
        PARSES.maxsize, PARSES.offload = saved
        PARSES.clear()
        await load(engines, len(QUESTIONS), len(QUESTIONS))


async def slow_device() -> None:
    """The slow-device scenario with default settings: each question on its own toolbox, all at once."""

    async def one(label: str, question: str, mode: ExecutionMode) -> tuple[str, float, Answer]:
        toolbox = build_toolbox(NetworkConfig(), scenario="slow-device")
        try:
            t0 = time.perf_counter()
            answer = await Supervisor(toolbox, EngineConfig()).run(Request.from_text(question, mode=mode, role="admin"))
            return label, time.perf_counter() - t0, answer
        finally:
            toolbox.gateway.close()

    timeout = NetworkConfig().timeout_s
    print(f"\nslow-device scenario, default settings (network.timeout_s {timeout:g}s, target: answer within {timeout + 5:g}s)")
    for label, wall, answer in await asyncio.gather(*(one(*q) for q in SLOW_QUESTIONS)):
        named = "edge-rtr-01" in answer.summary + " ".join(f.text for f in answer.findings)
        print(f"  {label:11} wall {wall:6.1f}s  status {answer.status:8} names the slow device: {'yes' if named else 'no'}"
              f"  {'within' if wall <= timeout + 5 else 'OVER'} target")


async def main(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    engines = Engines()
    print(f"start-up: {len(engines.toolboxes)} toolboxes built in {time.perf_counter() - t0:.2f}s")
    builds = []
    for _ in range(20):  # what `noc ask`, a report or a change pays per toolbox once the inventory is loaded
        b0 = time.perf_counter()
        build_toolbox(NetworkConfig(), scenario="healthy").gateway.close()
        builds.append(time.perf_counter() - b0)
    print(f"toolbox build once the process has loaded the inventory: p50 {1000 * statistics.median(builds):.1f} ms, "
          f"max {1000 * max(builds):.1f} ms")
    try:
        await load(engines, len(QUESTIONS), len(QUESTIONS))  # fills the device cache
        print(f"\noffline engine, {args.requests} requests, concurrency {args.concurrency}, cached device reads")
        print(f"{'run':>4} {'req/s':>7} {'CPU ms/req':>10} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}   "
              f"{'loop lag p50/p99/max ms':>24}")
        results = []
        for run in range(args.runs):
            r = await load(engines, args.requests, args.concurrency)
            results.append(r)
            print(f"{run + 1:>4} {r['rps']:7.1f} {r['cpu_ms']:10.1f} {1000 * r['p50']:7.0f} {1000 * r['p95']:7.0f} {1000 * r['max']:7.0f}   "
                  f"{1000 * r['lag_p50']:8.1f} / {1000 * r['lag_p99']:5.1f} / {1000 * r['lag_max']:5.1f}")
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        print(f"median: {med['rps']:.1f} req/s, {med['cpu_ms']:.1f} CPU ms/request, p50 {1000 * med['p50']:.0f} ms, "
              f"p95 {1000 * med['p95']:.0f} ms, loop lag p99 {1000 * med['lag_p99']:.1f} ms (target >= 100 req/s: "
              f"{med['rps'] / 100:.2f}x of it)")
        await offload_comparison(engines, args.compare_requests, args.concurrency, args.runs)
        # The loop lag left is mostly the cyclic garbage collector's full passes over everything
        # loaded at start-up (modules, the router model): measured here with it frozen.
        gc.collect()
        gc.freeze()
        frozen = [await load(engines, args.requests, args.concurrency) for _ in range(args.runs)]
        gc.unfreeze()
        f = {k: statistics.median(r[k] for r in frozen) for k in frozen[0]}
        print(f"\nwith gc.freeze() after start-up (median of {args.runs}): {f['rps']:.1f} req/s, {f['cpu_ms']:.1f} CPU ms/request, "
              f"loop lag p50/p99/max {1000 * f['lag_p50']:.1f} / {1000 * f['lag_p99']:.1f} / {1000 * f['lag_max']:.1f} ms "
              f"(without: loop lag p99 {1000 * med['lag_p99']:.1f} ms)")
        profile = cProfile.Profile()
        profile.enable()
        await load(engines, args.profile_requests, args.concurrency)
        profile.disable()
        print_profile(profile, args.top)
    finally:
        engines.close()
    if args.slow_device:
        await slow_device()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile-requests", type=int, default=80)
    parser.add_argument("--compare-requests", type=int, default=100)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-slow-device", dest="slow_device", action="store_false")
    asyncio.run(main(parser.parse_args()))
