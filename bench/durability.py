"""Issue 22's figures: what the journal costs on the ack path, and how soon after a kill -9 a
thread is told, with the default settings (heartbeat 3 s, dead after 3 beats).

1. journal: one append (a mention's body, about 2 KB) and its settle, as the ack path does them.
2. kill -9 mid-request, a new process started at once: on the same host (it reads the dead
   process's journal and calls it dead at once) and on another host (a separate journal: the
   heartbeat window decides). Seconds from the kill to the interrupted note in the thread, the
   new process's start-up included (printed separately).
Run: python bench/durability.py [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.durability.journal import Journal  # noqa: E402
from tests.fakes.slack_api import FakeSlack, app_mention_event, post_signed  # noqa: E402
from tests.harness.faults import CHANNEL, Backend, Bot, interrupted_notes, statuses  # noqa: E402
from tests.harness.processes import SECRET  # noqa: E402
from tests.harness.waiting import wait_until  # noqa: E402


def journal_cost(n: int = 20_000) -> tuple[float, float]:
    body = app_mention_event("why is the branch office slow? " * 40)
    text = str(body)
    with tempfile.TemporaryDirectory() as d:
        journal = Journal(d)
        journal.open("bench")
        took = []
        for i in range(n):
            start = time.perf_counter()
            journal.append({"kind": "event", "event_id": f"Ev{i}", "body": text}, key=f"Ev{i}")
            took.append(time.perf_counter() - start)
            journal.settle_key(f"Ev{i}")
        journal.close()
    took.sort()
    return statistics.median(took) * 1e6, took[int(0.99 * n)] * 1e6


def kill_to_told(fake: FakeSlack, host: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        backend = Backend("sqlite", tmp)
        first = Bot(fake, tmp, backend, store_extra="")
        event = app_mention_event("why is edge-rtr-01 slow?")
        assert post_signed(first.events, event, SECRET)[0] == 200
        wait_until(lambda: "running" in statuses(backend).values(), what="a running request")
        first.kill()
        killed = time.monotonic()
        second = Bot(fake, tmp, backend, scenario="wan-congestion", journal="host-a" if host == "same" else "host-b", store_extra="")
        started = time.monotonic() - killed
        fake.wait_for(lambda s: interrupted_notes(s, CHANNEL, event["event"]["ts"]), timeout=120, interval=0.05)
        told = time.monotonic() - killed
        second.term()
        return told, started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    p50, p99 = journal_cost()
    print(f"journal append (2 KB event): p50 {p50:.1f} us, p99 {p99:.1f} us")
    fake = FakeSlack().start()
    try:
        for host in ("same", "other"):
            for _ in range(args.runs):
                fake.reset()
                told, started = kill_to_told(fake, host)
                print(f"kill -9, restart at once on the {host} host: thread told {told:.1f} s after the kill "
                      f"(the new process served after {started:.1f} s)")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
