"""Heartbeats, the running sweep, the outbox and the journal, with a hand-wound clock and real
stores (SQLite, and PostgreSQL when $NOC_TEST_POSTGRES_URL is set); threads are told through the
loopback Slack. Store outages are real: another connection holds SQLite's write lock. The
process-level faults (kill -9, SIGTERM, outages under `noc run`) are in test_faults.py."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from agents.models import Request
from bot.durability.heartbeat import Heartbeat
from bot.durability.journal import Journal
from bot.durability.lifecycle import INTERRUPTED_TEXT, RequestLedger, Where
from bot.durability.outbox import Outbox
from bot.durability.recovery import journal_question
from bot.store import Store
from tests.fakes.slack_api import app_mention_event, dm_event, fake_slack, message_event, slash_command  # noqa: F401
from tests.harness.store import Clock, make_answer

BEAT = 5.0


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def _open(url: str, clock: Clock, **kwargs) -> Store:
    return await Store(url, clock=clock, lease_s=60, **kwargs).open()


@pytest.fixture
async def stores(store_url, clock):
    made = [await _open(store_url, clock) for _ in range(3)]
    yield made
    for s in made:
        await s.close()


def heartbeat(store: Store, client, outbox: Outbox | None = None) -> Heartbeat:
    outbox = outbox or Outbox(store)
    return Heartbeat(RequestLedger(store, client, 60, outbox), outbox, interval_s=BEAT, dead_after_beats=3)


def notes(fake, channel: str, ts: str) -> list[dict]:
    return [m for m in fake.thread(channel, ts) if INTERRUPTED_TEXT in (m.get("text") or "")]


async def test_a_silent_process_is_dead_after_three_beats_and_each_thread_is_told_once(stores, clock, fake_slack):
    a, b, c = stores
    await b.beat(clock())
    assert await b.claim_event("Ev1", lease_s=60)
    await b.record_received("r1", question="why?", source="mention", channel="C1", thread_ts="1.0", event_id="Ev1")
    await b.mark_running("r1")
    fake_slack.add_message("C1", "why?", ts="1.0")
    hb_a, hb_c = heartbeat(a, fake_slack.client()), heartbeat(c, fake_slack.client())
    for _ in range(4):  # 0, 5, 10, 15 s: b missed beats, but not yet for a whole window past a's first beat
        assert await hb_a.tick() == 0 and await hb_c.tick() == 0
        clock.advance(BEAT)
    assert not await a.claim_event("Ev1")  # held: b's lease has 40 s left
    counts = await asyncio.gather(hb_a.tick(), hb_c.tick())  # 20 s: b is dead; two sweepers race
    assert sorted(counts) == [0, 1]
    assert [r["status"] for r in await a.requests()] == ["interrupted"]
    assert len(notes(fake_slack, "C1", "1.0")) == 1
    assert await hb_a.tick() == 0 and len(notes(fake_slack, "C1", "1.0")) == 1  # told once
    assert await a.claim_event("Ev1")  # Slack's next retry is processed...
    assert not await c.claim_event("Ev1")  # ...once


async def test_a_stopped_process_is_dead_at_once(stores, clock, fake_slack):
    a, b, _ = stores
    await b.beat(clock())
    await b.record_received("r1", question="q", source="mention", channel="C1", thread_ts="1.0")
    await b.process_stopped()
    fake_slack.add_message("C1", "q", ts="1.0")
    assert await heartbeat(a, fake_slack.client()).tick() == 1


async def test_a_live_process_keeps_its_requests_whatever_its_lease(stores, clock, fake_slack):
    a, b, _ = stores
    hb_a = heartbeat(a, fake_slack.client())
    await b.record_received("r1", question="q", source="mention", channel="C1", thread_ts="1.0")
    for _ in range(30):  # 150 s: b beats but never renews the lease
        await b.beat(0.0)
        await hb_a.tick()
        clock.advance(BEAT)
    assert [r["status"] for r in await a.requests()] == ["received"]


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'noc.db'}"


class Outage:
    """Another connection holds SQLite's write lock: every write of the bot's stores fails."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(path, timeout=5, isolation_level=None)

    def __enter__(self) -> "Outage":
        self.conn.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *exc) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


async def impatient(url: str, clock: Clock) -> Store:
    return await _open(url, clock, busy_timeout_s=0.02, write_patience_s=0.2, write_attempts=2)


async def test_nobody_is_called_dead_for_a_store_outage(sqlite_url, tmp_path, clock, fake_slack):
    a, b = await impatient(sqlite_url, clock), await impatient(sqlite_url, clock)
    try:
        hb_a, hb_b = heartbeat(a, fake_slack.client()), heartbeat(b, fake_slack.client())
        await hb_a.tick(), await hb_b.tick()
        await b.record_received("r1", question="q", source="mention", channel="C1", thread_ts="1.0")
        with Outage(tmp_path / "noc.db"):
            for _ in range(24):  # two minutes: nobody can beat, b's lease runs out
                clock.advance(BEAT)
                assert await hb_a.tick() == 0
        assert hb_a.up_since is None
        clock.advance(BEAT)
        assert await hb_a.tick() == 0  # back: a judges nobody before a whole window of its own beats
        await hb_b.tick()  # b is alive and beats again
        for _ in range(6):
            clock.advance(BEAT)
            await hb_a.tick(), await hb_b.tick()
        assert [r["status"] for r in await a.requests()] == ["received"]
        assert notes(fake_slack, "C1", "1.0") == []
    finally:
        await a.close(), await b.close()


async def test_writes_refused_during_an_outage_are_written_in_order_when_the_store_is_back(sqlite_url, tmp_path, clock, fake_slack):
    store = await impatient(sqlite_url, clock)
    try:
        journal = Journal(tmp_path / "journal")
        journal.open(store.owner)
        outbox = Outbox(store, journal)
        hb = heartbeat(store, fake_slack.client(), outbox)
        ledger = hb.ledger
        where = Where("mention", "U1", "C1", "1.0", "Ev1")
        request = Request(id="0123456789ab", question="why is the branch office slow?")
        with Outage(tmp_path / "noc.db"):
            await ledger.received(request, where, "viewer")  # received during the outage
            assert not await ledger.answered(make_answer(request.id), where, "viewer")  # answered during it
            # The row is written running at once; the answer finishes its event in the same write.
            assert [op for _, op, _ in outbox.pending] == ["record_received", "record_answer"]
            assert await hb.tick() == 0
        assert await store.requests() == []  # nothing was written while the store was locked
        await hb.tick()
        [row] = await store.requests()
        assert (row["id"], row["status"], row["summary"]) == (request.id, "answered", "summary of 0123456789ab")
        assert not outbox.pending and notes(fake_slack, "C1", "1.0") == []
        assert not await store.claim_event("Ev1")  # the event is finished: a retry is not answered twice
        journal.close()
        assert Journal(tmp_path / "journal").open("next").entries == []  # every delayed write settled
    finally:
        await store.close()


def test_the_journal_hands_back_what_a_gone_process_left_unsettled(tmp_path):
    first = Journal(tmp_path)
    assert first.open("owner-1").entries == []
    settled = first.append({"kind": "event", "event_id": "Ev1"}, key="Ev1")
    first.append({"kind": "event", "event_id": "Ev2"}, key="Ev2")
    first.settle_key("Ev1")
    assert settled == 1
    alive = Journal(tmp_path)
    assert alive.open("owner-2").owners == []  # the first still holds its slot: not an orphan
    first._write({"seq": 9})  # a kill in the middle of a line leaves it torn
    with open(first.path, "a") as f:
        f.write('{"seq": 10, "kind": "ev')
    first.close()  # the process is gone: its lock with it
    successor = Journal(tmp_path)
    orphans = successor.open("owner-3")
    assert orphans.owners == ["owner-1"]
    assert [e.get("event_id") for e in orphans.entries] == ["Ev2", None]
    assert successor.path == first.path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal-0.jsonl", "journal-1.jsonl"]  # a slot per process, no more
    alive.close(), successor.close()


async def test_each_unheld_alert_notification_is_claimed_by_one_process(stores, clock, fake_slack):
    a, b, c = stores
    await b.beat(clock())
    ids = [await b.accept_alert(f"k{i}", {"name": f"A{i}"}) for i in range(10)]
    assert await a.claim_alerts() == []  # b holds them
    await b.process_stopped()
    await heartbeat(a, fake_slack.client()).tick()
    got = await asyncio.gather(a.claim_alerts(), c.claim_alerts())
    assert sorted(row["id"] for rows in got for row in rows) == ids
    assert [row["group"] for row in got[0] + got[1] if row["id"] == ids[0]] == [{"name": "A0"}]


def test_a_journal_with_nothing_unsettled_stays_small_and_a_clean_stop_leaves_it_empty(tmp_path):
    journal = Journal(tmp_path)
    journal.open("owner-1")
    body = "x" * 4096
    for i in range(600):  # about 2.4 MB written in all
        journal.append({"kind": "event", "event_id": f"Ev{i}", "body": body}, key=f"Ev{i}")
        journal.settle_key(f"Ev{i}")
    assert journal.path.stat().st_size < 1.1 * (1 << 20)
    journal.append({"kind": "event", "event_id": "open", "body": body}, key="open")
    path = journal.path
    journal.close()
    assert path.stat().st_size > 0  # one entry unsettled: kept for the next process
    nxt = Journal(tmp_path)
    assert [e["event_id"] for e in nxt.open("owner-2").entries] == ["open"]
    nxt.close()
    assert path.stat().st_size == 0


async def test_a_row_its_own_live_process_dropped_is_taken_again_after_a_minute_unless_being_worked_on(stores, clock):
    a, _, _ = stores
    working, dropped = await a.accept_alert("k1", {"name": "A1"}), await a.accept_alert("k2", {"name": "A2"})
    assert await a.claim_alerts(active=frozenset({working, dropped})) == []
    clock.advance(30)
    assert await a.claim_alerts(active=frozenset({working})) == []  # the 202 was just given: not yet
    clock.advance(31)
    assert [row["id"] for row in await a.claim_alerts(active=frozenset({working}))] == [dropped]
    assert await a.claim_alerts(active=frozenset({working})) == []  # claimed again: a fresh minute


def test_the_journal_keeps_questions_only_once_each_from_the_parsed_body(tmp_path):
    """What the front door journals before an ack (bot.durability.recovery.journal_question):
    mentions, a person's DMs and /noc questions, keyed by event_id or trigger_id; a retry of one
    still unsettled adds nothing."""
    journal = Journal(tmp_path)
    journal.open("me")
    mention, dm = app_mention_event("why?"), dm_event("why?")
    question = slash_command("/noc", "why is the branch office slow?")
    ignored = [message_event("lunch?"), message_event("x", channel_type="im", subtype="message_changed"),
               message_event("x", channel_type="im", bot_id="B1"), slash_command("/noc", "help"),
               slash_command("/noc", "inventory refresh"), slash_command("/noc-health", ""),
               slash_command("/noc", "why?") | {"trigger_id": ""}]
    for body in [mention, dm, question, mention, *ignored]:
        journal_question(journal, body, "raw")
    assert [journal.holds(key) for key in (mention["event_id"], dm["event_id"], question["trigger_id"])] == [True] * 3
    journal.close()
    orphans = Journal(tmp_path).open("next")
    assert [(e["kind"], e["event_id"]) for e in orphans.entries] == [
        ("event", mention["event_id"]), ("event", dm["event_id"]), ("command", question["trigger_id"])]
    journal_question(None, mention, "raw")  # no journal opened (the tests' bots): nothing to do
