"""Group commit lanes (issue 27): on PostgreSQL several batches are written side by side; with one
lane (SQLite) a batch starts only after the one before it has committed. The transaction here is
the injected one the store would give (a callable running a batch), counting what is open."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.store.group_commit import MAX_BATCH, GroupCommit


class Transactions:
    def __init__(self, hold_first_until_second: bool) -> None:
        self.started = 0
        self.open_now = 0
        self.most_open = 0
        self.second_started = asyncio.Event()
        self.hold = hold_first_until_second

    async def __call__(self, fn: Any) -> Any:
        self.started += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            if self.started == 1 and self.hold:
                await asyncio.wait_for(self.second_started.wait(), timeout=60)
            elif self.started == 2:
                self.second_started.set()
            return await fn(None)
        finally:
            self.open_now -= 1


async def _work(conn: Any) -> str:
    return "written"


async def test_two_lanes_write_a_second_batch_while_the_first_is_open() -> None:
    transactions = Transactions(hold_first_until_second=True)
    group = GroupCommit(transactions, lanes=2)
    results = await asyncio.gather(*(group.submit(_work) for _ in range(MAX_BATCH + 10)))
    assert results == ["written"] * (MAX_BATCH + 10)
    assert transactions.started == 2 and transactions.most_open == 2


async def test_one_lane_never_opens_two_transactions_at_once() -> None:
    transactions = Transactions(hold_first_until_second=False)
    group = GroupCommit(transactions, lanes=1)
    results = await asyncio.gather(*(group.submit(_work) for _ in range(3 * MAX_BATCH)))
    assert results == ["written"] * (3 * MAX_BATCH)
    assert transactions.started == 3 and transactions.most_open == 1
