"""Every-device work at the size of a real network: is the cost per device flat?

Three workloads on inventories of lab-derived devices (copies of the lab's eight, on NAPALM's
mock driver), each size in a fresh process so its peak memory is its own:

- question: `check every device` through the offline engine (the Supervisor, as `noc ask` runs it);
- audit:    what `noc audit --all` runs (Toolbox.audit_devices over the inventory);
- health:   what `noc health` runs (bot.report.command.health_report against a fresh SQLite store).

Each process first runs the workload once on the lab's eight devices, untimed, so imports, the
router model and the fixtures' parses are not counted as per-device work (a real network's
configs differ, so its parses are not shared the way these copies' are: this measures the
per-device cost of the orchestration, reads and checks, which is what issue 27 found quadratic).
Prints seconds, CPU seconds, peak RSS (MB, the whole process, imports included), cost per device, the marginal
cost per device between consecutive sizes, and that cost over the first size's: a ratio near 1 is
linear work; the quadratic address-index validation of issue 27 made it grow with the size.
Run: python bench/every_device.py [--question 10,100,1000] [--audit 10,100,1000,5000] [--health 10,100,1000,5000]
     [--plot docs/every_device_cost.svg]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "check every device"


def copies(n: int):
    """`n` devices cycling through the lab's eight healthy ones, each reading its model's fixtures."""
    from agents.lab import lab_inventory
    from agents.network.inventory import Device, Inventory

    base = list(lab_inventory("healthy"))
    return Inventory([Device(**{**base[i % len(base)].model_dump(), "name": f"{base[i % len(base)].name}-{i:04d}"}) for i in range(n)])


async def run_question(n: int) -> str:
    from agents.config import EngineConfig, NetworkConfig
    from agents.models import Request
    from agents.supervisor import Supervisor
    from agents.tools import build_gateway
    from agents.tools.audit import load_rules
    from agents.tools.network import Toolbox

    toolbox = Toolbox(copies(n), build_gateway(NetworkConfig()), load_rules(None))
    try:
        answer = await Supervisor(toolbox, EngineConfig()).run(Request.from_text(QUESTION))
    finally:
        toolbox.gateway.close()
    return f"{answer.status}: {answer.summary.splitlines()[0][:90]}"


async def run_audit(n: int) -> str:
    from agents.config import NetworkConfig
    from agents.tools import build_gateway
    from agents.tools.audit import load_rules
    from agents.tools.network import Toolbox

    toolbox = Toolbox(copies(n), build_gateway(NetworkConfig()), load_rules(None))
    try:
        scans = await toolbox.audit_devices(toolbox.inventory.names)
    finally:
        toolbox.gateway.close()
    return f"{sum(s.ok for s in scans)}/{len(scans)} audited, {sum(len(s.findings) for s in scans)} findings"


async def run_health(n: int) -> str:
    from agents.config import NetworkConfig
    from agents.tools import build_gateway
    from agents.tools.audit import load_rules
    from agents.tools.network import Toolbox
    from bot.config.settings import Settings
    from bot.report.command import health_report

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store={"url": f"sqlite:///{Path(tmp) / 'noc.db'}"})
        toolbox = Toolbox(copies(n), build_gateway(NetworkConfig()), load_rules(None))
        report = await health_report(settings, toolbox)  # closes the gateway
    return f"{report.network.checked} checked, {report.network.unreachable} unreachable"


def child(kind: str, n: int) -> None:
    work = {"question": run_question, "audit": run_audit, "health": run_health}[kind]
    if kind != "question":  # as `noc audit` and `noc health` do; `noc ask` keeps the bot's default
        from bot.cli.support import parse_on_the_loop

        parse_on_the_loop()
    asyncio.run(work(8))  # untimed: imports, the router model and the parses of the lab's eight are start-up, not per-device cost
    t0, cpu0 = time.perf_counter(), _cpu()
    outcome = asyncio.run(work(n))
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb, "outcome": outcome}))


def _cpu() -> float:
    """CPU seconds of this process (all threads): on a shared machine, less at the mercy of the others' load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(kind: str, n: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(n)], capture_output=True, text=True, check=False,
                         env={**os.environ, "NOC_LOG_LEVEL": "ERROR"})
    if out.returncode != 0:
        raise SystemExit(f"{kind} at {n} devices failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(kind: str, sizes: list[int]) -> list[tuple[int, dict]]:
    print(f"\n{kind}: " + {"question": f"'{QUESTION}' through the offline engine", "audit": "noc audit --all",
                            "health": "noc health (SQLite store)"}[kind])
    print(f"{'devices':>8} {'seconds':>8} {'CPU s':>7} {'peak MB':>8} {'ms/device':>10} {'marginal ms/dev':>16} {'ratio':>6}  outcome")
    previous: tuple[int, float] | None = None
    first_marginal: float | None = None
    rows: list[tuple[int, dict]] = []
    for n in sizes:
        r = measure(kind, n)
        rows.append((n, r))
        per = r["seconds"] / n * 1000
        marginal = ratio = None
        if previous is not None:
            marginal = (r["seconds"] - previous[1]) / (n - previous[0]) * 1000
            first_marginal = first_marginal or marginal
            ratio = marginal / first_marginal
        print(f"{n:8d} {r['seconds']:8.2f} {r['cpu_s']:7.2f} {r['peak_mb']:8.0f} {per:10.2f} "
              f"{'' if marginal is None else f'{marginal:.2f}':>16} {'' if ratio is None else f'{ratio:.2f}':>6}  {r['outcome']}", flush=True)
        previous = (n, r["seconds"])
    return rows


def plot(results: dict[str, list[tuple[int, dict]]], path: str) -> None:
    """Cost per device (wall and CPU ms) against the number of devices, log scale: flat is linear."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for kind, rows in results.items():
        sizes = [n for n, _ in rows]
        line, = ax.plot(sizes, [r["seconds"] / n * 1000 for n, r in rows], marker="o", label=f"{kind}: wall")
        ax.plot(sizes, [r["cpu_s"] / n * 1000 for n, r in rows], marker="x", linestyle="--", color=line.get_color(),
                label=f"{kind}: CPU")
    ax.set_xscale("log")
    ax.set_yscale("log")  # the smallest sizes carry the fixed start-up cost (store, migrations)
    ax.set_xlabel("devices")
    ax.set_ylabel("ms per device")
    ax.set_title("Every-device work: cost per device (bench/every_device.py)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    print(f"plot written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--question", default="10,100,1000", help="sizes for the every-device question ('' to skip)")
    parser.add_argument("--audit", default="10,100,1000,5000", help="sizes for noc audit --all ('' to skip)")
    parser.add_argument("--health", default="10,100,1000,5000", help="sizes for noc health ('' to skip)")
    parser.add_argument("--plot", metavar="FILE", help="also draw the cost per device (SVG or PNG, by the name's suffix)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs")
    results: dict[str, list[tuple[int, dict]]] = {}
    for kind in ("question", "audit", "health"):
        sizes = [int(s) for s in getattr(args, kind).split(",") if s.strip()]
        if sizes:
            results[kind] = report(kind, sizes)
    if args.plot:
        plot(results, args.plot)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
