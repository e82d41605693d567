"""Queue notices stay linear in the number of queued requests: a release tells only the waiters
whose new position is worth telling, not every waiter behind it (that was n*(n-1)/2 callbacks:
25,224 for 200 queued requests). Counts, not timings."""

from __future__ import annotations

import asyncio

from agents.resilience.gate import RequestGate


async def _queue(n: int, priority_of=lambda i: 3) -> dict[int, list[int]]:
    """n requests queue behind one held slot, then run one after another; returns what each was told."""
    gate = RequestGate(1)
    told: dict[int, list[int]] = {i: [] for i in range(n)}
    started: list[int] = []

    async def request(i: int) -> None:
        async def on_position(position: int) -> None:
            told[i].append(position)

        async with gate.slot(on_position, priority=priority_of(i)):
            started.append(i)
            await asyncio.sleep(0)

    release = asyncio.Event()

    async def holder() -> None:
        async with gate.slot():
            await release.wait()

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(request(i)) for i in range(n)]
    while gate.queued < n:
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *tasks)
    for _ in range(3):  # let the last notice tasks run
        await asyncio.sleep(0)
    assert len(started) == n and gate.active == 0 and gate.queued == 0
    return told


async def test_200_queued_requests_cost_a_linear_number_of_notices():
    told_200 = await _queue(200)
    told_400 = await _queue(400)
    calls_200 = sum(map(len, told_200.values()))
    calls_400 = sum(map(len, told_400.values()))
    # every waiter re-told on every release was 200*201/2 = 20,100 callbacks here
    assert calls_200 <= 10 * 200, calls_200
    # per queued request the cost stays about the same when the queue doubles (quadratic: doubles)
    assert calls_400 / 400 <= 1.25 * calls_200 / 200, (calls_200, calls_400)
    for i, positions in told_200.items():
        assert positions[0] == i + 1  # told its true place on joining (FIFO: i waiting ahead)
        assert positions[-1] == 1  # and told it is next in line before it starts
        assert positions == sorted(set(positions), reverse=True)  # told only when its position changed


async def test_overtaken_waiters_are_told_and_notices_stay_linear_with_priorities():
    # every third request is urgent (priority 1) and overtakes the ones queued before it
    told = await _queue(300, priority_of=lambda i: 1 if i % 3 == 0 else 3)
    calls = sum(map(len, told.values()))
    assert calls <= 10 * 300, calls
    assert all(positions and positions[-1] == 1 for positions in told.values())
    overtaken = [positions for i, positions in told.items() if i % 3 and any(b > a for a, b in zip(positions, positions[1:], strict=False))]
    assert overtaken, "a waiter pushed back by an urgent request is told its new place"
