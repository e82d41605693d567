"""Reads of one kind asked for together are one call (bot.store.read_batch, issue 27): each distinct
key is read once and every caller gets its key's result; a failed call fails each of its callers
(the store then reads again alone); a batch holds only keys asked for before it started."""

from __future__ import annotations

import asyncio

import pytest

from bot.store.read_batch import ReadBatch


class Reader:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    async def __call__(self, keys: list[str]) -> list[str]:
        self.calls.append(list(keys))
        if self.fail:
            raise ConnectionError("dropped")
        return [key.upper() for key in keys]


async def test_reads_asked_together_are_one_call_with_each_key_once() -> None:
    reader = Reader()
    batch: ReadBatch[str, str] = ReadBatch(reader, lanes=1)
    assert await asyncio.gather(*(batch.read(k) for k in ("a", "b", "a", "c"))) == ["A", "B", "A", "C"]
    assert reader.calls == [["a", "b", "c"]]


async def test_a_failed_read_fails_each_of_its_callers() -> None:
    batch: ReadBatch[str, str] = ReadBatch(Reader(fail=True))
    results = await asyncio.gather(batch.read("a"), batch.read("b"), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)


class GatedReader(Reader):
    """Holds every call until `gate` is set; `started` says a call is under way."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.gate = asyncio.Event(), asyncio.Event()

    async def __call__(self, keys: list[str]) -> list[str]:
        self.calls.append(list(keys))
        self.started.set()
        await self.gate.wait()
        return [key.upper() for key in keys]


async def test_keys_asked_while_the_lanes_are_busy_wait_for_the_next_batch() -> None:
    reader = GatedReader()
    batch: ReadBatch[str, str] = ReadBatch(reader, lanes=1)
    first = asyncio.ensure_future(batch.read("a"))
    await reader.started.wait()  # the only lane is reading "a"
    rest = asyncio.gather(batch.read("b"), batch.read("c"))
    reader.gate.set()
    assert await first == "A" and await rest == ["B", "C"]
    assert reader.calls == [["a"], ["b", "c"]]


@pytest.mark.parametrize("lanes", [0, 1, 3])
def test_there_is_at_least_one_lane(lanes: int) -> None:
    assert ReadBatch(Reader(), lanes=lanes).lanes == max(1, lanes)
