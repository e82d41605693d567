"""Acks do not wait for the store: ack latency of N concurrent mentions through the HTTP app
(signed requests, loopback Slack, offline engine), once with the store free and once with
another connection holding SQLite's write lock for the whole burst.

The store is written only after the ack (event claim, access record, request row, answer), so
the two columns should match; a ratio near 1.0 is the claim. Imported by bench/store_load.py.
Run: python bench/ack_vs_store.py [--requests 200] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.config import NetworkConfig  # noqa: E402
from bot.config.settings import Settings, SlackConfig, StoreConfig  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.server.app import start_bot  # noqa: E402
from bot.slack.client import web_client  # noqa: E402
from handlers.app import build_app  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SECRET = "0123456789abcdef0123456789abcdef"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def mention(i: int) -> bytes:
    ts = f"{int(time.time())}.{i:06d}"
    return json.dumps({
        "token": "x", "team_id": "T0NOC", "api_app_id": "A0NOC", "type": "event_callback", "event_id": f"Ev{uuid.uuid4().hex[:12]}",
        "event_time": int(time.time()),
        "event": {"type": "app_mention", "user": "U123", "text": "<@U0BOT> why is the branch office slow?",
                  "ts": ts, "channel": "C0NOC", "event_ts": ts},
    }).encode()


def signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    """The headers Slack sends with a request body: timestamp and v0 signature."""
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


async def burst(n: int, locked: bool, fake: FakeSlack) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "noc.db"
        settings = Settings(network=NetworkConfig(scenario="wan-congestion"), store=StoreConfig(url=f"sqlite:///{db}"),
                            slack=SlackConfig(status_update_interval_s=1.0))
        runtime = await Runtime.create(settings, web_client("xoxb-bench", fake.api_url, 3))
        running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
        lock = sqlite3.connect(db, timeout=0) if locked else None
        if lock is not None:
            lock.execute("BEGIN EXCLUSIVE")
        url = f"http://127.0.0.1:{running.port}/slack/events"
        acks: list[float] = []
        try:
            async with aiohttp.ClientSession() as session:
                async def one(i: int) -> None:
                    body = mention(i)
                    t0 = time.perf_counter()
                    async with session.post(url, data=body, headers=signed(body)) as resp:
                        await resp.read()
                        assert resp.status == 200, resp.status
                    acks.append(time.perf_counter() - t0)
                await asyncio.gather(*(one(i) for i in range(n)))
        finally:
            if lock is not None:
                lock.rollback()
                lock.close()
            await settle(runtime)
            await running.stop(runtime)
    return acks


async def settle(runtime: Runtime, quiet_s: float = 1.0, timeout_s: float = 180.0) -> None:
    """Wait until every job the burst started has finished (listeners spawn them after the ack)."""
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        if runtime.tasks:
            await runtime.drain(timeout=deadline - time.monotonic())
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        await asyncio.sleep(0.05)


async def measure(n: int, rounds: int) -> tuple[list[float], list[float]]:
    """Alternate free and locked bursts so warm-up and machine noise fall on both alike."""
    free: list[float] = []
    locked: list[float] = []
    with FakeSlack() as fake:
        for r in range(rounds):
            for is_locked in ((False, True) if r % 2 == 0 else (True, False)):
                (locked if is_locked else free).extend(await burst(n, is_locked, fake))
    return free, locked


def report(n: int, free: list[float], locked: list[float]) -> None:
    print(f"\nAck latency, {n} concurrent mentions (HTTP app, loopback Slack, offline engine)")
    print(f"  {'store':28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, acks in (("free", free), ("write-locked for the burst", locked)):
        print(f"  {name:28} {percentile(acks, 50) * 1000:8.1f} {percentile(acks, 99) * 1000:8.1f} {max(acks) * 1000:8.1f}")
    print(f"  p99 locked / free: {percentile(locked, 99) / percentile(free, 99):.2f} (about 1.0: acks do not wait for the store)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.disable(logging.ERROR)  # the locked store logs every retry; the figures are the output
    report(args.requests, *asyncio.run(measure(args.requests, args.rounds)))


if __name__ == "__main__":
    main()
