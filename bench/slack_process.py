"""bench/slack_load.py --process: the same burst against a real `noc run` process.

The bot runs as it is deployed: `python -m bot.cli run` in HTTP mode with a config file (SQLite in
a temporary directory, or `--store-url` such as a PostgreSQL database), Slack's pace per channel,
the loopback Slack in its own process and the burst sent from a third. Acks are what the load
client saw; "in bot" figures are not available from outside and are reported as 0. After the
answers settle (no Slack call for `quiet_s` and no job left in /healthz), the store is read for
requests left `running` or `received` since the burst began, then the process is stopped with
SIGTERM as an orchestrator would. `bot_cpu_ms`: the CPU the `noc run` process spent from just
before the burst until the load process had every ack (the steadier figure on a shared machine:
the acks' wall time moves with whatever else runs on its cores).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
            return json.loads(resp.read())
    except OSError:
        return None


def start_noc_run(tmp: str, store_url: str, slack: dict[str, Any], api_url: str, secret: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    config = Path(tmp) / "noc.yml"
    config.write_text(json.dumps({"store": {"url": store_url}, "network": {"scenario": "wan-congestion"}, "slack": slack}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-bench-token-123", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": api_url,
                "NOC_CONFIG": str(config), "NO_PROXY": "*", "PYTHONPATH": str(ROOT), "NOC_LOG_LEVEL": "WARNING"})
    log = open(Path(tmp) / "noc-run.log", "w")  # noqa: SIM115 - the process writes it until stopped
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"noc run exited: {(Path(tmp) / 'noc-run.log').read_text()[-2000:]}")
        if _healthz(port) is not None:
            return proc, port
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("noc run did not answer /healthz within 180 s")


async def open_requests(store_url: str, since: float) -> dict[str, int]:
    """Requests of this burst by status (the store's own table, read through the store's engine)."""
    from bot.store import Store

    store = await Store(store_url).open()
    try:
        rows = await store.db.execute_fetchall(
            "SELECT status, COUNT(*) AS n FROM requests WHERE created_at >= :since GROUP BY status", {"since": since})
    finally:
        await store.close()
    return {row["status"]: int(row["n"]) for row in rows}


async def run_process(n: int, surface: str, args: Any, loader: ProcessPoolExecutor, fake: Any, tmp: str,
                      build_requests: Any, fire: Any, measure: Any, secret: str) -> dict:
    slack = {"progress": surface} | {k: v for k, v in (("channel_rate_per_s", args.rate), ("channel_burst", args.burst)) if v}
    store_url = args.store_url or f"sqlite:///{Path(tmp) / 'noc.db'}"
    proc, port = start_noc_run(tmp, store_url, slack, fake.api_url, secret)
    try:
        requests = build_requests(n, fake)
        t0, cpu0 = time.time(), cpu_ns(proc.pid)
        acks, load_cpu = await asyncio.get_running_loop().run_in_executor(loader, fire, f"http://127.0.0.1:{port}/slack/events", requests)
        bot_cpu_ms = (cpu_ns(proc.pid) - cpu0) / 1e6
        await _settle(port, fake)
        statuses = await open_requests(store_url, t0 - 1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    left = statuses.get("running", 0) + statuses.get("received", 0)
    return ({"bot_ack_p99_ms": 0.0, "bot_ack_max_ms": 0.0} | measure(fake.calls, n, acks, t0)
            | {"load_cpu_ms": load_cpu * 1000, "bot_cpu_ms": bot_cpu_ms, "left_running": float(left)})


def cpu_ns(pid: int) -> int:
    """CPU time the process has had, all its threads, in ns (the scheduler's own account,
    /proc/<pid>/task/*/schedstat; utime in /proc/<pid>/stat counts 10 ms ticks, too coarse for
    a burst of 50-100 ms). 0 where /proc is not Linux's."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(task.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile
    return total


async def _settle(port: int, fake: Any, quiet_s: float = 2.5, timeout_s: float = 900.0) -> None:
    deadline = time.monotonic() + timeout_s
    quiet_since, seen = time.monotonic(), fake.count
    while time.monotonic() < deadline:
        health = _healthz(port) or {}
        if health.get("jobs", 1) or fake.count != seen:
            seen, quiet_since = fake.count, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        await asyncio.sleep(0.2)
