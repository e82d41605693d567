"""Slack load: N concurrent mentions and slash commands through the HTTP app and a loopback Slack.

For each N (default 50 and 200) and each progress surface (`stream`, `edit`) it prints, side by
side: ack p99/max inside the bot (from its first middleware to the response, what the bot's code
controls), ack p50/p95/p99/max as the load client saw them (and the CPU the load process spent
sending them and reading the answers, which on a small machine is part of what it saw), the share of requests answered, lost answers, when answers landed
(p50 and last, seconds after the burst), the most edits (chat.update or appendStream) one
message took in any second, the most posts+edits+stream calls into one channel in any second and
the sustained rate, 429s answered by the fake and calls made into a channel inside a 429's
Retry-After, and the peak RSS.

The bot runs as `noc run` does: the client keeps Slack's pace per channel (`slack.channel_rate_per_s`,
`slack.channel_burst`; `--rate` and `--burst` override them). So N answers into one channel take
about N / rate seconds to land; `--channels K` spreads the requests over K channels.
The requests are sent by a separate process, and the loopback Slack runs in another, as Slack's
are: a load client on the bot's own event loop read each response only after the loop had worked
through the whole burst, and a loopback Slack in a thread of the bot's process took the GIL from
the bot's event loop at every socket write (up to the 5 ms switch interval each time).
`--every-429 K` makes the fake answer 429 (Retry-After 1) to every K-th chat.postMessage and
chat.update.

`--process` drives a real `noc run` process instead of an app in the bench's process (see
bench/slack_process.py; `--store-url` for PostgreSQL) and adds the requests left running.

Run: python bench/slack_load.py [--n 50 200] [--surfaces stream edit] [--every-429 0] [--channels 1]
     [--process [--store-url postgresql://...]]
At Slack's pace N=200 in one channel takes about 4 minutes per surface (the answers' pace).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import resource
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.config import NetworkConfig  # noqa: E402
from bot.config.settings import Settings, SlackConfig, StoreConfig  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.server.app import freeze_heap, start_bot  # noqa: E402
from bot.slack.client import channel_pacer, web_client  # noqa: E402
from bot.slack.pace import PACED_METHODS  # noqa: E402
from handlers.app import build_app  # noqa: E402
from tests.fakes.slack_api import Call, FakeSlack, slash_command  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ack_vs_store import SECRET, percentile, signed  # noqa: E402
from slack_process import run_process  # noqa: E402

EDITS = ("chat.update", "chat.appendStream")


def mention(i: int, channel: str) -> tuple[bytes, str]:
    ts = f"{int(time.time())}.{i:06d}"
    body = json.dumps({"token": "x", "team_id": "T0NOC", "api_app_id": "A0NOC", "type": "event_callback",
                       "event_id": f"Ev{uuid.uuid4().hex[:12]}", "event_time": int(time.time()),
                       "event": {"type": "app_mention", "user": "U123", "text": "<@U0BOT> why is the branch office slow?",
                                 "ts": ts, "channel": channel, "event_ts": ts, "team": "T0NOC"}}).encode()
    return body, "application/json"


def slash(fake_url: str, channel: str) -> tuple[bytes, str]:
    fields = slash_command("/noc", "why is the branch office slow?", channel=channel,
                           response_url=f"{fake_url}/response/T0NOC/{uuid.uuid4().hex}")
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"


def serve_fake(conn: Connection, every_429: int) -> None:
    """In the Slack process: the loopback Slack until told to stop; hands its calls over on request."""
    logging.disable(logging.WARNING)
    with FakeSlack() as fake:
        if every_429:
            for method in ("chat.postMessage", "chat.update"):
                fake.rate_limit_every(method, every_429, retry_after=1)
        conn.send((fake.url, fake.api_url))
        while (command := conn.recv()) != "stop":
            with fake._lock:
                conn.send(len(fake.calls) if command == "count" else list(fake.calls))


def fire(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> tuple[list[float], float]:
    """In the load process: send every request at once, one connection each; seconds to each
    complete response, and the CPU seconds the load process spent on the burst. Plain sockets,
    not an HTTP client library: with aiohttp's client the load process spent about 1 ms of CPU
    per request, so at N=200 the last responses were read 60-210 ms late by the client itself."""
    parsed = urllib.parse.urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    wire = [b"".join([f"POST {parsed.path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n".encode(),
                      *(f"{k}: {v}\r\n".encode() for k, v in headers.items()), b"Connection: close\r\n\r\n", body])
            for body, headers in requests]

    async def one(request: bytes) -> float:
        start = time.perf_counter()
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request)
        response = await reader.read()  # to the end: the bot closes after answering
        writer.close()
        if not response.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"ack {response[:40]!r}")
        return time.perf_counter() - start

    async def burst() -> list[float]:
        return list(await asyncio.gather(*(one(r) for r in wire)))

    cpu = time.process_time()
    acks = asyncio.run(burst())
    return acks, time.process_time() - cpu


def _ready() -> bool:
    return True


async def run(n: int, surface: str, args: argparse.Namespace, loader: ProcessPoolExecutor) -> dict:
    spawn = multiprocessing.get_context("spawn")
    conn, child_conn = spawn.Pipe()
    slack_process = spawn.Process(target=serve_fake, args=(child_conn, args.every_429), daemon=True)
    slack_process.start()
    fake = RemoteSlack(conn, slack_process)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if args.process:
                return await run_process(n, surface, args, loader, fake, tmp, lambda n, fake: burst_requests(n, fake, args),
                                         fire, measure, SECRET)
            return await _run(n, surface, args, loader, fake, tmp)
    finally:
        fake.stop()


class RemoteSlack:
    """The loopback Slack in its process, as the bot and the measurements see it."""

    def __init__(self, conn: Connection, process: multiprocessing.process.BaseProcess) -> None:
        self.conn, self.process = conn, process
        self.url, self.api_url = conn.recv()

    @property
    def calls(self) -> list[Call]:
        self.conn.send("calls")
        return self.conn.recv()

    @property
    def count(self) -> int:
        self.conn.send("count")
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


async def _run(n: int, surface: str, args: argparse.Namespace, loader: ProcessPoolExecutor, fake: RemoteSlack, tmp: str) -> dict:
    slack = SlackConfig(progress=surface)  # type: ignore[arg-type]
    slack = slack.model_copy(update={k: v for k, v in (("channel_rate_per_s", args.rate), ("channel_burst", args.burst)) if v})
    settings = Settings(network=NetworkConfig(scenario="wan-congestion"), store=StoreConfig(url=f"sqlite:///{Path(tmp) / 'noc.db'}"),
                        slack=slack)
    runtime = await Runtime.create(settings, web_client("xoxb-bench", fake.api_url, 3, pacer=channel_pacer(slack)))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    freeze_heap()  # as `noc run` does once it serves
    url = f"http://127.0.0.1:{running.port}/slack/events"
    requests = burst_requests(n, fake, args)
    t0 = time.time()
    acks, load_cpu = await asyncio.get_running_loop().run_in_executor(loader, fire, url, requests)
    in_bot = list(runtime.acks.handled)
    await settle(runtime, fake)
    await running.stop(runtime)
    return ({"bot_ack_p99_ms": percentile(in_bot, 99) * 1000, "bot_ack_max_ms": max(in_bot) * 1000}
            | measure(fake.calls, n, acks, t0) | {"load_cpu_ms": load_cpu * 1000})


def burst_requests(n: int, fake: RemoteSlack, args: argparse.Namespace) -> list[tuple[bytes, dict[str, str]]]:
    """Half mentions, half /noc, signed as Slack signs them, over `args.channels` channels."""
    requests = []
    for i in range(n):
        channel = f"C0NOC{i % args.channels}" if args.channels > 1 else "C0NOC"
        body, content_type = mention(i, channel) if i % 2 == 0 else slash(fake.url, channel)
        requests.append((body, signed(body, content_type)))
    return requests


async def settle(runtime: Runtime, fake: RemoteSlack, quiet_s: float = 2.5, timeout_s: float = 900.0) -> None:
    deadline = time.monotonic() + timeout_s
    quiet_since, seen = time.monotonic(), fake.count
    while time.monotonic() < deadline:
        if runtime.tasks or fake.count != seen:
            seen, quiet_since = fake.count, time.monotonic()
            await asyncio.sleep(0.1)
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        else:
            await asyncio.sleep(0.1)


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def measure(calls: list[Call], n: int, acks: list[float], t0: float) -> dict:
    answers = [c for c in calls if c.method == "chat.postMessage" and not c.rate_limited and c.status == 200
               and (c.response or {}).get("ok") and any(b.get("type") == "actions" for b in (c.args.get("blocks") or []))]
    into: dict[str, list[float]] = defaultdict(list)
    edits: dict[str, list[float]] = defaultdict(list)
    for call in calls:
        if call.method in PACED_METHODS and not call.rate_limited:
            into[call.args.get("channel") or call.args.get("channel_id")].append(call.time)
            if call.method in EDITS:
                edits[call.args.get("ts")].append(call.time)
    limited = [c for c in calls if c.rate_limited]
    inside = sum(1 for c in limited for t in into[c.args.get("channel")] if c.time < t < c.time + 1.0)
    sustained = [(len(ts) - 1) / (max(ts) - min(ts)) for ts in into.values() if len(ts) > 1 and max(ts) > min(ts)]
    landed = [c.time - t0 for c in answers]
    return {
        "ack_p50_ms": percentile(acks, 50) * 1000, "ack_p95_ms": percentile(acks, 95) * 1000,
        "ack_p99_ms": percentile(acks, 99) * 1000, "ack_max_ms": max(acks) * 1000,
        "answered_pct": 100.0 * min(len(answers), n) / n, "lost": max(0, n - len(answers)),
        "answer_p50_s": percentile(landed, 50) if landed else 0.0, "answer_last_s": max(landed, default=0.0),
        "max_edits_1s_per_msg": max(map(_max_in_window, edits.values()), default=0),
        "max_calls_1s_per_chan": max(map(_max_in_window, into.values()), default=0),
        "calls_per_s_per_chan": max(sustained, default=0.0),
        "429s": len(limited), "calls_in_retry_after": inside,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--surfaces", nargs="+", default=["stream", "edit"], choices=["stream", "edit"])
    parser.add_argument("--every-429", type=int, default=0, help="answer 429 on every K-th chat call (0: never)")
    parser.add_argument("--channels", type=int, default=1, help="spread the requests over this many channels")
    parser.add_argument("--rate", type=float, default=None, help="override slack.channel_rate_per_s")
    parser.add_argument("--burst", type=int, default=None, help="override slack.channel_burst")
    parser.add_argument("--process", action="store_true", help="drive a real `noc run` process (bench/slack_process.py)")
    parser.add_argument("--store-url", default=None, help="with --process: the store (default SQLite in a temporary directory)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rows = []
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as loader:
        loader.submit(_ready).result()  # the load process is up before the first burst
        for n in args.n:
            for surface in args.surfaces:
                rows.append((n, surface, asyncio.run(run(n, surface, args, loader))))
    keys = list(rows[0][2])
    pace = f"pace {args.rate or SlackConfig().channel_rate_per_s}/s burst {args.burst or SlackConfig().channel_burst}"
    where = "a real `noc run` process" if args.process else "the HTTP app"
    print(f"\nSlack load through {where} on {'PostgreSQL' if (args.store_url or '').startswith('postgres') else 'SQLite'}"
          f" (half mentions, half /noc), loopback Slack, {args.channels} channel(s), {pace}"
          + (f", 429 every {args.every_429}" if args.every_429 else ""))
    print(f"  {'N':>4} {'surface':8} " + " ".join(f"{k:>21}" for k in keys))
    for n, surface, r in rows:
        print(f"  {n:>4} {surface:8} " + " ".join(f"{r[k]:21.1f}" for k in keys))


if __name__ == "__main__":
    main()
