"""The store on both backends (SQLite file, and PostgreSQL when $NOC_TEST_POSTGRES_URL is set):
request lifecycle and leases, event claims, the shared budget, report claims, history tables and
retention. Time comes from an injected clock, never from the wall; concurrency and lock tests
are in test_store_concurrency.py, migrations and start-up errors in test_store_migrations.py."""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.models import Specialist
from bot.store import Store
from tests.harness.store import DAY, Clock, make_answer, response


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(store_url, clock):
    s = await Store(store_url, clock=clock, lease_s=60).open()
    yield s
    await s.close()


@pytest.fixture
async def other(store_url, clock, store):
    """A second Store on the same database: another replica."""
    s = await Store(store_url, clock=clock, lease_s=60).open()
    yield s
    await s.close()


async def test_an_answer_round_trips_with_who_and_where(store):
    answer = make_answer("r1", responses=[response(Specialist.diagnosis)])
    await store.record_answer(answer, source="mention", user="U1", channel="C1", thread_ts="1.0", required_role="operator")
    found = await store.answer("r1")
    assert found is not None
    stored, meta = found
    assert stored == answer
    assert meta == {"user_id": "U1", "channel": "C1", "thread_ts": "1.0", "source": "mention", "required_role": "operator"}
    assert (await store.last_answer_in_thread("C1", "1.0")).request_id == "r1"
    assert await store.last_answer_in_thread("C1", "2.0") is None
    assert await store.answer("nope") is None
    assert [await store.count(t) for t in ("requests", "agent_runs", "tool_calls")] == [1, 1, 1]
    rows = await store.db.execute_fetchall("SELECT question, devices FROM requests")
    assert json.loads(rows[0]["devices"]) == ["branch-rtr-01"]


async def test_the_newest_answer_in_a_thread_is_the_context(store, clock):
    for i in range(3):
        await store.record_answer(make_answer(f"r{i}"), source="mention", user="U1", channel="C1", thread_ts="1.0")
        clock.advance(10)
    assert (await store.last_answer_in_thread("C1", "1.0")).request_id == "r2"


async def test_threads_last_answers_read_together(store, clock):
    """Reads asked for together (on PostgreSQL one statement, bot.store.read_batch) each get their
    own thread's newest answer, a repeated thread included, and None where there is none."""
    for i, thread in enumerate(("1.0", "2.0", "1.0")):
        await store.record_answer(make_answer(f"r{i}"), source="mention", user="U1", channel="C1", thread_ts=thread)
        clock.advance(10)
    found = await asyncio.gather(*(store.last_answer_in_thread(c, t) for c, t in
                                   (("C1", "1.0"), ("C1", "2.0"), ("C2", "1.0"), ("C1", "1.0"))))
    assert [a.request_id if a else None for a in found] == ["r2", "r1", None, "r2"]


async def test_request_lifecycle_received_running_answered(store, clock):
    assert await store.record_received("r1", question="q?", source="mention", user="U1", channel="C1", thread_ts="1.0")
    assert not await store.record_received("r1", question="q?", source="mention")  # idempotent
    [row] = await store.requests()
    assert row["status"] == "received" and row["owner"] == store.owner and row["lease_until"] == clock.now + 60
    clock.advance(1)
    assert await store.mark_running("r1", route={"primary": "diagnosis"}, plan={"steps": []})
    clock.advance(30)
    assert await store.renew_lease("r1")
    [row] = await store.requests(status="running")
    assert row["started_at"] == clock.now - 30 and row["lease_until"] == clock.now + 60
    clock.advance(2)
    await store.record_answer(make_answer("r1", tokens=1200), source="mention", user="U1", channel="C1", thread_ts="1.0")
    [row] = await store.requests()
    assert row["status"] == "answered" and row["finished_at"] == clock.now and row["lease_until"] is None
    assert row["tokens"] == 1200 and row["created_at"] == clock.now - 33  # received time kept
    assert not await store.renew_lease("r1") and not await store.mark_running("r1")


async def test_a_failed_answer_and_a_failure_without_answer_are_failed(store):
    await store.record_answer(make_answer("r1", status="failed"), source="dm", user="U1", channel="D1", thread_ts="1.0")
    await store.record_received("r2", question="q", source="dm")
    assert await store.mark_failed("r2", "the analysis failed (RuntimeError)")
    assert {r["id"]: r["status"] for r in await store.requests(status="failed")} == {"r1": "failed", "r2": "failed"}
    assert [r["error"] for r in await store.requests() if r["id"] == "r2"] == ["the analysis failed (RuntimeError)"]


async def test_expired_leases_become_interrupted_once_with_their_thread(store, other, clock):
    await store.record_received("live", question="q1", source="mention", channel="C1", thread_ts="1.0")
    await store.record_received("dead", question="q2", source="slash", user="U2", channel="C2", thread_ts="2.0")
    await store.mark_running("dead")
    await store.record_received("done", question="q3", source="dm", channel="D3", thread_ts="3.0")
    await store.record_answer(make_answer("done"), source="dm", user=None, channel="D3", thread_ts="3.0")
    clock.advance(45)
    assert await store.renew_lease("live")
    clock.advance(30)  # "dead" was last leased 75 s ago, "live" 30 s ago
    [gone] = await other.expire_leases()  # another replica's start-up sweep
    assert (gone.id, gone.channel, gone.thread_ts, gone.user_id, gone.status_before) == ("dead", "C2", "2.0", "U2", "running")
    assert await store.expire_leases() == []  # each interrupted request is handed out once
    assert {r["id"]: r["status"] for r in await store.requests()} == {"live": "received", "dead": "interrupted", "done": "answered"}
    assert not await store.renew_lease("dead")  # the holder learns it lost the lease
    # ...and its answer, if it still computes one, is kept: no computed answer is lost
    await store.record_answer(make_answer("dead"), source="slash", user="U2", channel="C2", thread_ts="2.0")
    assert (await store.answer("dead")) is not None


async def test_racing_start_up_sweeps_hand_each_request_to_one_replica(store, other, clock):
    for i in range(20):
        await store.record_received(f"r{i}", question="q", source="mention", channel="C", thread_ts=f"{i}.0")
    clock.advance(61)
    a, b = await asyncio.gather(store.expire_leases(), other.expire_leases())
    assert sorted(r.id for r in a + b) == sorted(f"r{i}" for i in range(20))


async def test_mark_interrupted_only_touches_open_requests(store):
    await store.record_received("a", question="q", source="dm")
    await store.record_received("b", question="q", source="dm")
    await store.record_answer(make_answer("b"), source="dm", user=None, channel=None, thread_ts=None)
    assert await store.mark_interrupted(["a", "b", "missing"], "shutdown") == 1
    assert {r["id"]: r["status"] for r in await store.requests()} == {"a": "interrupted", "b": "answered"}
    assert [r["id"] for r in await store.open_requests()] == []


async def test_event_claims_follow_the_lease_and_the_work(store, other, clock):
    assert await store.claim_event("Ev1")  # first delivery
    assert not await store.claim_event("Ev1")  # duplicate while the first is alive
    assert not await other.claim_event("Ev1", other.owner, 60)  # another replica, same
    clock.advance(61)  # the first holder died without finishing: Slack's retry is processed
    assert await other.claim_event("Ev1", other.owner, 60)
    assert not await store.claim_event("Ev1")
    await other.finish_event("Ev1")
    clock.advance(1000)
    assert not await store.claim_event("Ev1")  # finished: never again


async def test_an_event_linked_to_a_request_shares_its_lease_and_its_end(store, other, clock):
    assert await store.claim_event("Ev2")
    await store.record_received("r2", question="q", source="mention", channel="C", thread_ts="1.0", event_id="Ev2")
    await store.mark_running("r2")
    for _ in range(5):  # the request works for 5 minutes, renewing its lease
        clock.advance(50)
        assert await store.renew_lease("r2")
        assert not await other.claim_event("Ev2")
    await store.record_answer(make_answer("r2"), source="mention", user=None, channel="C", thread_ts="1.0")
    clock.advance(1000)
    assert not await other.claim_event("Ev2")  # answered: a late retry is not processed
    # an interrupted request never finished: the retry of its event is processed
    assert await store.claim_event("Ev3")
    await store.record_received("r3", question="q", source="mention", event_id="Ev3")
    clock.advance(61)
    assert [r.id for r in await other.expire_leases()] == ["r3"]
    assert await other.claim_event("Ev3")


async def test_racing_replicas_claim_each_event_exactly_once(store, other):
    ids = [f"Ev{i}" for i in range(50)]
    results = await asyncio.gather(*(s.claim_event(e) for e in ids for s in (store, other)))
    assert sum(results) == len(ids)
    won = [e for e, (x, y) in zip(ids, zip(results[::2], results[1::2], strict=False), strict=False) if x or y]
    assert won == ids


async def test_the_token_budget_is_shared_and_atomic(store, other):
    totals = await asyncio.gather(*(s.add_tokens("2026-11-27", 10) for _ in range(50) for s in (store, other)))
    assert sorted(totals) == list(range(10, 1001, 10))  # every add saw a distinct running total
    assert await store.tokens_used("2026-11-27") == await other.tokens_used("2026-11-27") == 1000
    assert await store.tokens_used("2026-11-28") == 0


async def test_a_report_date_is_claimed_by_exactly_one_replica(store, other):
    results = await asyncio.gather(*(s.claim_report("daily-health", "2026-11-27") for s in (store, other, store, other)))
    assert sorted(results) == [False, False, False, True]
    assert await other.claim_report("daily-health", "2026-11-28")
    await store.finish_report("daily-health", "2026-11-27")
    runs = {(r["day"], r["status"]) for r in await store.report_runs("daily-health")}
    assert runs == {("2026-11-27", "posted"), ("2026-11-28", "claimed")}


async def test_breaker_transitions_are_history(store, clock):
    await store.record_breaker_transition("claude:primary", "closed", "open", "weighted failures 5 >= 5")
    clock.advance(30)
    await store.record_breaker_transition("claude:primary", "open", "half_open", "cool-down over")
    rows = await store.breaker_transitions(since=clock.now - 10)
    assert [(r["from_state"], r["to_state"], r["reason"]) for r in rows] == [("open", "half_open", "cool-down over")]
    assert len(await store.breaker_transitions()) == 2


async def test_agent_stats_give_success_rate_latency_failures_tokens_and_cost(store, clock):
    runs = [response(Specialist.diagnosis, duration_s=d) for d in (1.0, 2.0, 3.0, 4.0)]
    runs += [response(Specialist.diagnosis, "failure", 9.0, error="not finished before the 30s request deadline"),
             response(Specialist.config, "failure", 0.5, instance="i2", error="config could not answer: no instance"),
             response(Specialist.config, "partial", 0.7, instance="i2")]
    await store.record_answer(make_answer("r1", responses=runs), source="dm", user=None, channel=None, thread_ts=None)
    stats = {(s["agent"], s["instance"]): s for s in await store.agent_stats(since=clock.now - DAY)}
    d = stats[("diagnosis", "i1")]
    assert (d["runs"], d["successes"], d["success_rate"]) == (5, 4, 0.8)
    assert (d["latency_p50_s"], d["latency_p95_s"]) == (3.0, 9.0)
    assert d["failures"] == {"timeout": 1} and d["tokens"] == 50 and d["cost_usd"] == pytest.approx(0.05)
    assert stats[("config", "i2")]["failures"] == {"unavailable": 1, "partial": 1}
    assert await store.agent_stats(since=clock.now + 1) == []


async def test_audit_events_and_feedback(store, clock):
    await store.record_audit(user="U1", channel="C1", command="/noc-audit", outcome="denied", reason="needs operator")
    clock.advance(3600)
    await store.record_audit(user="U2", channel="C1", command="button:rerun", outcome="allowed")
    events = await store.audit_events()
    assert [e["user_id"] for e in events] == ["U1", "U2"] and events[0]["reason"] == "needs operator"
    assert [e["user_id"] for e in await store.audit_events(since=clock.now - 60)] == ["U2"]
    assert [e["command"] for e in await store.audit_events(user="U1")] == ["/noc-audit"]
    assert [e["user_id"] for e in await store.audit_events(limit=1)] == ["U2"]
    await store.record_feedback("r1", "U1", "helpful")
    assert [(f["user_id"], f["value"]) for f in await store.feedback("r1")] == [("U1", "helpful")]


async def test_config_snapshots_keep_changes_and_show_drift(store, clock):
    _, changed = await store.record_config_snapshot("edge-rtr-01", "hostname edge\nsnmp community <redacted>")
    assert changed
    clock.advance(DAY)
    assert not (await store.record_config_snapshot("edge-rtr-01", "hostname edge\nsnmp community <redacted>"))[1]
    await store.record_config_snapshot("core-sw-01", "hostname core")
    report_start = clock.now
    clock.advance(3600)
    digest, changed = await store.record_config_snapshot("edge-rtr-01", "hostname edge\ntelnet enabled")
    assert changed and await store.count("config_snapshots") == 3
    [drift] = await store.config_drift(since=report_start)
    assert drift["device"] == "edge-rtr-01" and drift["new_hash"] == digest and "telnet" in drift["new_text"]


async def test_config_snapshots_of_many_devices_are_kept_in_one_write_when_changed(store, clock):
    """The report's batch: the same answers as one call per device (only changed configs kept)."""
    await store.record_config_snapshot("edge-rtr-01", "hostname edge")
    clock.advance(60)
    configs = {"edge-rtr-01": "hostname edge", "core-sw-01": "hostname core", **{f"sw-{i:04d}": f"hostname sw-{i}" for i in range(1200)}}
    changed = await store.record_config_snapshots(configs)
    assert changed["edge-rtr-01"] is False and changed["core-sw-01"] is True and sum(changed.values()) == 1201
    assert await store.count("config_snapshots") == 1202
    clock.advance(60)
    again = await store.record_config_snapshots({"edge-rtr-01": "hostname edge\ntelnet enabled", "sw-0007": "hostname sw-7"})
    assert again == {"edge-rtr-01": True, "sw-0007": False}
    [drift] = await store.config_drift(since=clock.now - 1)
    assert drift["device"] == "edge-rtr-01" and "telnet" in drift["new_text"] and drift["old_text"] == "hostname edge"
    assert await store.record_config_snapshots({}) == {}


async def test_health_sweeps_and_alerts_round_trip(store):
    await store.record_health_sweep({"devices": {"edge-rtr-01": "ok"}}, devices=8, unhealthy=1, request_id="r9")
    [sweep] = await store.health_sweeps()
    assert sweep["result"] == {"devices": {"edge-rtr-01": "ok"}} and sweep["unhealthy"] == 1
    await store.record_alert(source="alertmanager", name="BGPDown", status="firing", severity="critical",
                             fingerprint="f1", device="branch-rtr-01", payload={"labels": {"peer": "10.0.0.1"}})
    [alert] = await store.alerts()
    assert alert["payload"] == {"labels": {"peer": "10.0.0.1"}} and alert["device"] == "branch-rtr-01"


async def test_retention_deletes_old_rows_and_keeps_config_baselines(store_url, clock):
    store = await Store(store_url, clock=clock, retention_days=90).open()
    try:
        await store.record_answer(make_answer("old", responses=[response(Specialist.diagnosis)]),
                                  source="dm", user=None, channel=None, thread_ts=None)
        await store.record_audit(user="U1", channel=None, command="ask", outcome="allowed")
        await store.claim_event("EvOld")
        await store.add_tokens("2026-01-01", 5)
        await store.record_config_snapshot("edge-rtr-01", "v1")
        await store.record_config_snapshot("edge-rtr-01", "v2")
        clock.advance(91 * DAY)
        await store.record_answer(make_answer("new"), source="dm", user=None, channel=None, thread_ts=None)
        deleted = await store.cleanup()
        assert {k: v for k, v in deleted.items() if v} == {
            "requests": 1, "agent_runs": 1, "tool_calls": 1, "audit_events": 1, "processed_events": 1,
            "token_budget": 1, "config_snapshots": 1}
        assert [r["id"] for r in await store.requests()] == ["new"]
        assert await store.count("config_snapshots") == 1  # the newest, v2, is the baseline for drift
        assert not any((await store.cleanup()).values())
    finally:
        await store.close()
