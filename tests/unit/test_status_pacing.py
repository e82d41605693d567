"""The status message keeps Slack's pace: at most one edit per interval, the final edit too, and
an edit that is waiting out a 429's Retry-After is never cancelled. Clock and sleep are injected."""

from __future__ import annotations

import asyncio

from agents.progress import Notice
from bot.slack.sink import SlackThreadSink


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Client:
    """Records when each edit lands; the first edit can be held, as slack_sdk holds a call that
    got a 429 until Retry-After has passed."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.edits: list[float] = []
        self.hold_first = asyncio.Event()
        self.hold = False

    async def chat_postMessage(self, **kwargs):
        return {"ts": "1.1"}

    async def chat_update(self, **kwargs):
        if self.hold and not self.edits:
            await self.hold_first.wait()
            self.clock.now += 1.0  # the Retry-After the SDK waited
        self.edits.append(self.clock())
        return {"ok": True}


def sink(clock: Clock, client: Client) -> SlackThreadSink:
    return SlackThreadSink(client, "C1", "1.0", "Working", interval_s=1.0, clock=clock, sleep=clock.sleep)


async def test_at_most_one_edit_per_interval_including_the_final_one():
    clock = Clock()
    client = Client(clock)
    s = sink(clock, client)
    await s.start("started")
    for i in range(30):
        await s.emit(Notice(request_id="r", text=f"event {i}"))
        clock.now += 0.05
    await s.close_status()
    gaps = [b - a for a, b in zip(client.edits, client.edits[1:], strict=False)]
    assert client.edits and all(g >= 1.0 for g in gaps), client.edits


async def test_the_final_edit_does_not_cancel_an_edit_waiting_out_retry_after():
    clock = Clock()
    client = Client(clock)
    client.hold = True
    s = sink(clock, client)
    await s.start("started")
    clock.now += 2.0
    first = asyncio.ensure_future(s.emit(Notice(request_id="r", text="first")))  # edits at once, then waits out a 429
    await asyncio.sleep(0)
    emitting = asyncio.ensure_future(s.emit(Notice(request_id="r", text="second")))
    closing = asyncio.ensure_future(s.close_status())
    await asyncio.sleep(0)
    client.hold_first.set()
    await asyncio.wait_for(asyncio.gather(first, emitting, closing), timeout=30)
    assert len(client.edits) >= 2 and client.edits[-1] - client.edits[0] >= 1.0
