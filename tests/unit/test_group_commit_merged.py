"""Plain-function works in the group commit (issue 27): a batch of them is handed to the synchronous
transaction whole; `Merged` works of one kind are written by one call of their `many`; a failing
work rolls the batch back and each work runs alone, so only it fails. The transaction here is an
injected callable that records what it ran (the store's runs it in SQLite's writer thread)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.store.group_commit import UNDONE, GroupCommit, Merged, first_of_each


class SyncTransactions:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, fn: Any) -> Any:
        self.count += 1
        return fn(None)


async def _unused(conn: Any) -> None:
    raise AssertionError("no coroutine works here")


class Doubler:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def one(self, conn: Any, n: int) -> int:
        self.calls.append([n])
        if n < 0:
            raise ValueError(n)
        return 2 * n

    def many(self, conn: Any, ns: list[int]) -> list[int]:
        self.calls.append(list(ns))
        if any(n < 0 for n in ns):
            raise ValueError(ns)
        return [2 * n for n in ns]


async def test_merged_works_of_one_kind_are_written_by_one_call() -> None:
    transactions, doubler = SyncTransactions(), Doubler()
    group = GroupCommit(_unused, sync_transaction=transactions)
    plain = group.submit(lambda conn: "plain", sync=True)
    results = await asyncio.gather(*(group.submit(Merged(doubler.one, doubler.many, n), sync=True) for n in range(5)), plain)
    assert results == [0, 2, 4, 6, 8, "plain"]
    assert doubler.calls == [[0, 1, 2, 3, 4]] and transactions.count == 1


async def test_a_failing_merged_work_fails_alone() -> None:
    transactions, doubler = SyncTransactions(), Doubler()
    group = GroupCommit(_unused, sync_transaction=transactions)
    results = await asyncio.gather(*(group.submit(Merged(doubler.one, doubler.many, n), sync=True) for n in (1, -1, 2)),
                                   return_exceptions=True)
    assert results[0] == 2 and results[2] == 4 and isinstance(results[1], ValueError)
    assert doubler.calls == [[1, -1, 2], [1], [-1], [2]]  # the batch, rolled back, then each alone


class Direct:
    """A `direct` statement (PostgreSQL's one statement a kind): doubles the even numbers, leaves
    the odd ones UNDONE, and raises (writing nothing) when `broken`."""

    def __init__(self, broken: bool = False) -> None:
        self.calls: list[list[int]] = []
        self.broken = broken

    async def run(self, conn: Any, ns: list[int]) -> list[Any]:
        self.calls.append(list(ns))
        if self.broken:
            raise ConnectionError("dropped")
        return [2 * n if n % 2 == 0 else UNDONE for n in ns]

    async def connection(self, fn: Any) -> Any:
        return await fn("driver connection")


@pytest.mark.parametrize("broken", [False, True])
async def test_a_direct_statement_writes_its_kind_and_the_rest_goes_the_usual_way(broken: bool) -> None:
    transactions, doubler, direct = SyncTransactions(), Doubler(), Direct(broken)
    group = GroupCommit(_unused, sync_transaction=transactions, direct=direct.connection)
    plain = group.submit(lambda conn: "plain", sync=True)
    results = await asyncio.gather(*(group.submit(Merged(doubler.one, doubler.many, n, direct.run), sync=True) for n in range(5)), plain)
    assert results == [0, 2, 4, 6, 8, "plain"]
    assert direct.calls == [[0, 1, 2, 3, 4]]
    # what the statement left UNDONE (or all, when it raised and so wrote nothing) in one transaction
    assert doubler.calls == ([[0, 1, 2, 3, 4]] if broken else [[1, 3]]) and transactions.count == 1


async def test_a_sync_work_needs_a_sync_transaction() -> None:
    with pytest.raises(ValueError):
        await GroupCommit(_unused).submit(lambda conn: None, sync=True)


def test_first_of_each_key_and_the_repeats() -> None:
    assert first_of_each(["a", "b", "a", "c", "b"]) == ([0, 1, 3], [2, 4])
