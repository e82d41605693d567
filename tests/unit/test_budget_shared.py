"""The daily token budget survives a restart and is shared by replicas, through the real store
(SQLite, and PostgreSQL when configured). Clocks are injected; nothing waits on wall time."""

from __future__ import annotations

from datetime import datetime, timezone

from agents.resilience.budget import DailyBudget
from bot.store import Store

NOON = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc).timestamp()


def budget(limit: int = 1000, clock=lambda: NOON) -> DailyBudget:
    return DailyBudget(limit, "UTC", clock=clock)


async def test_budget_survives_a_restart(store_url):
    store = await Store(store_url).open()
    try:
        first = budget()
        await first.attach(store)
        first.add(700)
        await first.flush()
        restarted = budget()
        assert restarted.used == 0
        await restarted.attach(store)
        assert restarted.used == 700 and not restarted.spent()
        restarted.add(300)
        await restarted.flush()
        assert restarted.spent()
    finally:
        await store.close()


async def test_two_replicas_share_one_budget(store_url):
    a_store, b_store = await Store(store_url).open(), await Store(store_url).open()
    try:
        a, b = budget(), budget()
        await a.attach(a_store)
        await b.attach(b_store)
        a.add(600)
        await a.flush()
        assert not b.spent()  # b has not heard yet: it learns with its next call or refresh
        b.add(450)
        await b.flush()
        assert b.used == 1050 and b.spent()
        await a.refresh()
        assert a.used == 1050 and a.spent()
    finally:
        await a_store.close()
        await b_store.close()


async def test_a_new_day_starts_from_zero_and_yesterday_stays_stored(store_url):
    now = [NOON]
    store = await Store(store_url).open()
    try:
        b = budget(clock=lambda: now[0])
        await b.attach(store)
        b.add(900)
        await b.flush()
        now[0] += 86400
        assert b.used == 0
        await b.refresh()
        assert b.used == 0
        assert await store.tokens_used("2026-11-27") == 900
    finally:
        await store.close()


async def test_an_unreachable_ledger_leaves_the_local_count_in_charge():
    class Down:
        async def add_tokens(self, day: str, tokens: int) -> int:
            raise ConnectionError("store down")

        async def tokens_used(self, day: str) -> int:
            raise ConnectionError("store down")

    b = budget()
    await b.attach(Down())
    b.add(1200)
    await b.flush()
    assert b.used == 1200 and b.spent()
