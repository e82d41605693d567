"""Slack load: N concurrent mentions and slash commands through the HTTP app and a loopback Slack.

For each N (default 50 and 200) and each progress surface (`stream`, `edit`) it prints, side by
side: ack p50/p95/p99/max, the share of requests answered, lost answers, the most edits one
status message took in one second, the most posts+edits+appends into one channel in one second,
429s answered by the fake and honoured, Web API connections opened, and the peak RSS.
`--every-429 K` makes the fake answer 429 (Retry-After 1) on every K-th chat call.

Run: python bench/slack_load.py [--n 50 200] [--every-429 0] [--surfaces stream edit]
Runs in about a minute per (N, surface) pair on 2 cores; it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.config import NetworkConfig  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.server import start_bot  # noqa: E402
from bot.settings import Settings, SlackConfig, StoreConfig  # noqa: E402
from bot.slack_client import web_client  # noqa: E402
from handlers.app import build_app  # noqa: E402
from tests.fakes.slack_api import FakeSlack, slash_command  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ack_vs_store import SECRET, percentile, signed  # noqa: E402

CHAT = ("chat.postMessage", "chat.update", "chat.startStream", "chat.appendStream", "chat.stopStream")


def mention(i: int) -> tuple[bytes, str, str]:
    ts = f"{int(time.time())}.{i:06d}"
    body = json.dumps({"token": "x", "team_id": "T0NOC", "api_app_id": "A0NOC", "type": "event_callback",
                       "event_id": f"Ev{uuid.uuid4().hex[:12]}", "event_time": int(time.time()),
                       "event": {"type": "app_mention", "user": "U123", "text": "<@U0BOT> why is the branch office slow?",
                                 "ts": ts, "channel": "C0NOC", "event_ts": ts, "team": "T0NOC"}}).encode()
    return body, "application/json", ts


def slash(fake: FakeSlack) -> tuple[bytes, str, str | None]:
    fields = slash_command("/noc", "why is the branch office slow?", server=fake)
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded", None


async def run(n: int, surface: str, every_429: int) -> dict:
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        settings = Settings(network=NetworkConfig(scenario="wan-congestion"), store=StoreConfig(url=f"sqlite:///{Path(tmp) / 'noc.db'}"),
                            slack=SlackConfig(progress=surface))  # type: ignore[arg-type]
        runtime = await Runtime.create(settings, web_client("xoxb-bench", fake.api_url, 3))
        running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
        url = f"http://127.0.0.1:{running.port}/slack/events"
        acks: list[float] = []
        roots: list[str] = []
        if every_429:  # queue 429s (Retry-After 1 s) for a share of the chat calls
            for method in ("chat.postMessage", "chat.update"):
                fake.rate_limit(method, times=10_000 // every_429, retry_after=1)
        t0 = time.perf_counter()
        async with aiohttp.ClientSession() as session:
            async def one(i: int) -> None:
                body, content_type, root = mention(i) if i % 2 == 0 else slash(fake)
                start = time.perf_counter()
                async with session.post(url, data=body, headers=signed(body, content_type)) as resp:
                    await resp.read()
                acks.append(time.perf_counter() - start)
                if root:
                    roots.append(root)
            await asyncio.gather(*(one(i) for i in range(n)))
        await settle(runtime, fake)
        wall = time.perf_counter() - t0
        await running.stop(runtime)
        return measure(fake, n, roots, acks, wall)


async def settle(runtime: Runtime, fake: FakeSlack, quiet_s: float = 1.5, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    quiet_since, seen = time.monotonic(), len(fake.calls)
    while time.monotonic() < deadline:
        if runtime.tasks or len(fake.calls) != seen:
            seen, quiet_since = len(fake.calls), time.monotonic()
            await asyncio.sleep(0.1)
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        else:
            await asyncio.sleep(0.1)


def measure(fake: FakeSlack, n: int, mention_roots: list[str], acks: list[float], wall: float) -> dict:
    answered = [m for m in fake.bot_messages("C0NOC") if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]
    per_message: Counter = Counter()
    per_channel: Counter = Counter()
    for call in fake.calls:
        if call.method in CHAT and not call.rate_limited:
            second = int(call.time)
            per_channel[(call.args.get("channel"), second)] += 1
            if call.method == "chat.update":
                per_message[(call.args.get("ts"), second)] += 1
    limited = [c for c in fake.calls if c.rate_limited]
    return {
        "ack_p50_ms": percentile(acks, 50) * 1000, "ack_p95_ms": percentile(acks, 95) * 1000,
        "ack_p99_ms": percentile(acks, 99) * 1000, "ack_max_ms": max(acks) * 1000,
        "answered_pct": 100.0 * min(len(answered), n) / n, "lost": max(0, n - len(answered)),
        "max_edits_per_s_per_msg": max(per_message.values(), default=0),
        "max_calls_per_s_per_channel": max(per_channel.values(), default=0),
        "429s": len(limited), "wall_s": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--surfaces", nargs="+", default=["stream", "edit"], choices=["stream", "edit"])
    parser.add_argument("--every-429", type=int, default=0, help="answer 429 on every K-th chat call (0: never)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rows = []
    for n in args.n:
        for surface in args.surfaces:
            rows.append((n, surface, asyncio.run(run(n, surface, args.every_429))))
    keys = list(rows[0][2])
    print(f"\nSlack load through the HTTP app (half mentions, half /noc), loopback Slack{', 429 every %d' % args.every_429 if args.every_429 else ''}")
    print(f"  {'N':>4} {'surface':8} " + " ".join(f"{k:>16}" for k in keys))
    for n, surface, r in rows:
        print(f"  {n:>4} {surface:8} " + " ".join(f"{r[k]:16.1f}" for k in keys))


if __name__ == "__main__":
    main()
