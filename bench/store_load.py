"""Write latency of the store under load: N concurrent mentions, each written the way the bot
writes it after the ack: the event claim and the access decision (bot.intake), the request's row
through the request ledger and its outbox (bot.durability.lifecycle, as bot.runtime calls it:
while the thread's earlier answer is read), and the answer with two agent runs and their tool
calls, which finishes the event. Lease renewals are left out: a request renews its lease a third
of the lease (20 s by default) after it starts, not among its first writes.

Prints p50/p99 per write kind, overall and for one request's writes together (the sum of its
writes' times: what a request waits for the store), the process's CPU a request over the burst,
and for SQLite the bytes on disk per request
(the file after a WAL checkpoint, divided by the requests), for SQLite (a temporary file) and, if a URL is given,
PostgreSQL (the database is used as is: the bench writes rows with a random prefix, then
deletes them). Runs in seconds.
Then the ack latency of the same number of concurrent mentions with the store free and
write-locked (bench/ack_vs_store.py): store writes never delay an ack.
Run: python bench/store_load.py [--requests 200] [--no-ack] [--postgres postgresql://user:pass@host/db]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable

from sqlalchemy import text

from agents.models import AgentResponse, Answer, Evidence, Request, Specialist, Usage
from agents.severity import Severity
from bot.durability.lifecycle import RequestLedger, Where
from bot.durability.outbox import Outbox
from bot.store import Store, StoreError


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def answer(request_id: str) -> Answer:
    responses = [AgentResponse(agent=agent, task="t", status="success", duration_s=1.0, instance="i1",
                               usage=Usage(llm_calls=1, input_tokens=900, output_tokens=300, cost_usd=0.01),
                               evidence=[Evidence(tool="get_interfaces", device="branch-rtr-01", ok=True, summary="ok")] * 3)
                 for agent in (Specialist.diagnosis, Specialist.performance)]
    return Answer(request_id=request_id, question="why is the branch office slow?", status="ok",
                  primary=Specialist.diagnosis, specialists=[Specialist.diagnosis, Specialist.performance],
                  devices=["branch-rtr-01"], severity=Severity.medium, confidence=0.8, automation="review",
                  summary="WAN congestion on branch-rtr-01", responses=responses, duration_s=2.0)


async def one_request(store: Store, ledger: RequestLedger, prefix: str, i: int, timings: dict[str, list[float]]) -> None:
    rid, thread = f"{prefix}-{i}", f"{prefix}.{i % 20}"
    where = Where("mention", "U1", "CBENCH", thread, f"Ev{rid}")
    spent = 0.0

    async def timed(kind: str, job: Awaitable[object]) -> None:
        nonlocal spent
        t0 = time.perf_counter()
        await job
        timings[kind].append(time.perf_counter() - t0)
        spent += timings[kind][-1]

    await timed("claim_event", store.claim_event(f"Ev{rid}"))
    await timed("record_audit", store.record_audit(user="U1", channel="CBENCH", command=f"bench {prefix}", outcome="allowed"))
    received = asyncio.create_task(timed("received", ledger.received(Request(id=rid, question="q"), where, "viewer")))
    await store.last_answer_in_thread("CBENCH", thread)  # the runtime reads it while the row is written
    await received
    await timed("answered", ledger.answered(answer(rid), where, "viewer"))
    if "event_id" not in inspect.signature(store.record_answer).parameters:  # older trees: a write of its own
        await timed("finish_event", ledger.finished(where))
    timings["_request"].append(spent)


async def run(url: str, n: int) -> dict[str, list[float]]:
    store = await Store(url).open()
    ledger = RequestLedger(store, None, lease_s=store.lease_s, outbox=Outbox(store))  # type: ignore[arg-type]  # posts nothing here
    prefix = "bench" + uuid.uuid4().hex[:8]
    timings: dict[str, list[float]] = defaultdict(list)
    try:
        # A running bot's pools are open: open them before the burst (reads up to the pool's size,
        # claims for the writers), so the burst pays for no connection set-up.
        await asyncio.gather(*(store.last_answer_in_thread("CBENCH", "warm-up") for _ in range(n)))
        await asyncio.gather(*(store.claim_event(f"Ev{prefix}-warm-{i}") for i in range(20)))
        # The burst starts from a collected heap: the PostgreSQL round runs after the SQLite one in this
        # process, and a full collection of that round's garbage falling mid-burst doubled its CPU
        # (issue 27: 60-70 ms alone, 130 ms after the SQLite round), which is not the store's cost.
        gc.collect()
        t0, cpu0 = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one_request(store, ledger, prefix, i, timings) for i in range(n)))
        timings["_wall"] = [time.perf_counter() - t0]
        timings["_cpu"] = [time.process_time() - cpu0]  # the process's CPU (all its threads) over the burst
        assert await store.count("requests") >= n
        if store.dialect == "sqlite" and hasattr(store, "compact"):  # (older trees have no compact)
            size = await store.compact()  # VACUUM + truncating checkpoint: the bytes the rows take
            timings["_bytes_per_request"] = [size / n]
        if store.dialect == "postgresql":
            async def tidy(conn) -> None:
                like = {"p": f"%{prefix}%"}
                for table, column in (("requests", "id"), ("agent_runs", "request_id"), ("tool_calls", "request_id"),
                                      ("processed_events", "request_id"), ("processed_events", "event_id")):
                    await conn.execute(text(f"DELETE FROM {table} WHERE {column} LIKE :p"), like)
                await conn.execute(text("DELETE FROM audit_events WHERE command = :c"), {"c": f"bench {prefix}"})
            await store._write(tidy)
    finally:
        await store.close()
    return timings


def report(name: str, n: int, timings: dict[str, list[float]]) -> None:
    wall = timings.pop("_wall")[0]
    cpu = timings.pop("_cpu")[0]
    per_request = timings.pop("_request")
    size = timings.pop("_bytes_per_request", None)
    every = [t for values in timings.values() for t in values]
    print(f"\n{name}: {n} concurrent requests, {len(every)} writes in {wall:.2f}s ({len(every) / wall:.0f} writes/s), "
          f"{cpu / n * 1000:.2f} CPU ms a request (reads, building answers and the driver's threads included)")
    print(f"  {'write':16} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for kind, values in list(timings.items()) + [("all writes", every), ("one request", per_request)]:
        print(f"  {kind:16} {percentile(values, 50) * 1000:8.1f} {percentile(values, 99) * 1000:8.1f} "
              f"{statistics.fmean(values) * 1000:8.1f}")
    if size:
        print(f"  on disk: {size[0] / 1024:.1f} KB a request (after VACUUM)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-ack", action="store_true", help="skip the ack-latency comparison (bench/ack_vs_store.py)")
    parser.add_argument("--postgres", default=os.environ.get("NOC_TEST_POSTGRES_URL"),
                        help="PostgreSQL URL (default $NOC_TEST_POSTGRES_URL); SQLite only without one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report("SQLite (WAL, temporary file)", args.requests, asyncio.run(run(f"sqlite:///{tmp}/bench.db", args.requests)))
    if not args.no_ack:  # store writes never delay an ack: the same burst with the store free and write-locked
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import ack_vs_store

        logging.disable(logging.ERROR)
        ack_vs_store.report(args.requests, *asyncio.run(ack_vs_store.measure(args.requests, rounds=1)))
        logging.disable(logging.NOTSET)
    if not args.postgres:
        print("\nPostgreSQL: skipped (pass --postgres URL or set NOC_TEST_POSTGRES_URL)")
        return
    try:
        report("PostgreSQL", args.requests, asyncio.run(run(args.postgres, args.requests)))
    except StoreError as exc:
        raise SystemExit(f"\nPostgreSQL: {exc}") from None


if __name__ == "__main__":
    main()
