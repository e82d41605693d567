"""The Slack app end to end: signed HTTP requests into the running bot, a loopback fake of the
Slack Web API behind its AsyncWebClient, and Socket Mode through a loopback WebSocket."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.durability.journal import Journal
from bot.durability.recovery import journal_dir, open_journal
from tests.fakes.slack_api import (
    BOT_ID,
    BOT_USER_ID,
    app_mention_event,
    block_action,
    dm_event,
    fake_slack,  # noqa: F401
    post_signed_async,
    slash_command,
)
from tests.harness.slack_bot import OPERATOR, answer_message, start, texts


@pytest.fixture
def bot_options():
    """`slack.progress: edit`: these tests are about the status message and its edits (streaming
    is tested in test_slack_stream.py)."""
    return {"progress": "edit"}


async def test_mention_status_updates_and_block_kit_answer_in_thread(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?", channel="C0NOC")
    status, _ = await bot.post(event)  # acked before the work: tests/scenario/test_ack_first.py
    assert status == 200
    await bot.settle()
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    bot_msgs = [m for m in thread if m.get("bot_id") == BOT_ID]
    status_msg = bot_msgs[0]
    assert status_msg["edits"], "the status message is edited as agents run"
    assert "performance" in texts([status_msg]) and "Finished" in texts([status_msg])
    answer = answer_message(thread)
    assert answer["thread_ts"] == event["event"]["ts"]
    body = texts([answer])
    assert "WAN congestion" in body and "no QoS" in body
    assert "service-policy output WAN-EDGE-QOS" in body
    actions = next(b for b in answer["blocks"] if b["type"] == "actions")
    assert {e["action_id"] for e in actions["elements"]} == {"noc_feedback_up", "noc_feedback_down", "noc_rerun", "noc_details",
                                                          "noc_page"}


async def test_status_updates_are_coalesced(bot, fake_slack):
    event = app_mention_event("is anything wrong with the network?")
    await bot.post(event)
    await bot.settle()
    updates = [c for c in fake_slack.calls_to("chat.update")]
    assert updates
    by_ts: dict[str, list[float]] = {}
    for c in updates:
        by_ts.setdefault(c.args["ts"], []).append(c.time)
    for times in by_ts.values():
        gaps = [b - a for a, b in zip(times, times[1:-1], strict=False)]  # the final "done" flush may follow at once
        assert all(g >= 0.15 for g in gaps), gaps


async def test_slash_command_posts_root_and_threads_under_it(bot, fake_slack):
    status, text = await bot.post(slash_command("/noc", "why is the branch office slow?"))
    assert status == 200
    await bot.settle()
    roots = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    assert len(roots) == 1 and "asked: why is the branch office slow?" in roots[0]["text"]
    thread = fake_slack.thread("C0NOC", roots[0]["ts"])
    assert "WAN congestion" in texts([answer_message(thread)])


async def test_noc_question_is_journalled_until_its_row_is_written_and_a_settled_one_is_not_replayed(bot, fake_slack):
    """Slack never retries a slash command: `/noc <question>` is journalled before its ack (keyed by
    its trigger_id) and settled once its request row is written; help is not journalled."""
    assert open_journal(bot.runtime).entries == []
    asked = slash_command("/noc", "why is the branch office slow?")
    assert (await bot.post(asked))[0] == 200 and (await bot.post(slash_command("/noc", "help")))[0] == 200
    await bot.settle()
    records = [json.loads(line) for line in bot.runtime.journal.path.read_text().splitlines()]
    [entry] = [r for r in records if r.get("kind") == "command"]
    assert entry["event_id"] == asked["trigger_id"] and {"done": entry["seq"]} in records
    bot.runtime.journal.close()
    successor = Journal(journal_dir(bot.runtime.settings.store))
    assert successor.open("next").entries == []  # nothing to replay
    successor.close()


async def test_help(bot, fake_slack):
    status, text = await bot.post(slash_command("/noc", "help"))
    assert status == 200 and "/noc-audit" in text
    assert fake_slack.calls_to("chat.postMessage") == []


async def test_buttons_feedback_details_rerun(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    answer = answer_message(thread)
    request_id = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]

    status, _ = await bot.post(block_action("noc_feedback_up", request_id, message_ts=answer["ts"], user="U123"))
    assert status == 200
    await bot.settle()
    assert [f["value"] for f in await bot.runtime.store.feedback(request_id)] == ["helpful"]

    await bot.post(block_action("noc_details", request_id, message_ts=answer["ts"]))
    await bot.settle()
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    assert "analyze_traffic_patterns" in texts(thread[-3:]) or any(f["filename"].endswith(".txt") for f in fake_slack.files.values())

    before = len([m for m in thread if any(b.get("type") == "actions" for b in (m.get("blocks") or []))])
    await bot.post(block_action("noc_rerun", request_id, message_ts=answer["ts"]))
    await bot.settle()
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    after = len([m for m in thread if any(b.get("type") == "actions" for b in (m.get("blocks") or []))])
    assert after == before + 1


async def test_forged_or_stale_signature_is_rejected(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    status, _ = await post_signed_async(bot.events, event, "f" * 32)
    assert status == 401
    status, _ = await bot.post(app_mention_event("why?"), timestamp=int(time.time()) - 600)
    assert status == 401
    await bot.settle()
    assert fake_slack.calls_to("chat.postMessage") == []
    assert await bot.runtime.store.count("processed_events") == 0


async def test_same_event_three_times_is_processed_once(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        status, _ = await bot.post(event, headers=headers)
        assert status == 200
    await bot.settle()
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    assert len([m for m in thread if m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in (m.get("blocks") or []))]) == 1
    assert await bot.runtime.store.count("requests") == 1


async def test_denied_user_gets_an_ephemeral_message_and_no_work(bot, fake_slack):
    status, _ = await bot.post(slash_command("/noc-audit", "all", user="U123"))
    assert status == 200
    await bot.settle()
    assert fake_slack.calls_to("chat.postMessage") == []
    [eph] = fake_slack.calls_to("chat.postEphemeral")
    assert eph.args["user"] == "U123" and "operator" in eph.args["text"]
    events = await bot.runtime.store.audit_events()
    assert events[-1]["outcome"] == "denied" and events[-1]["command"] == "/noc-audit" and events[-1]["user_id"] == "U123"


async def test_config_questions_need_operator(bot, fake_slack):
    await bot.post(app_mention_event("show me the running config of edge-rtr-01", user="U123"))
    await bot.settle()
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 1
    assert not [c for c in fake_slack.calls_to("chat.postMessage")]


async def test_operator_audit_and_health(bot, fake_slack):
    await bot.post(slash_command("/noc-audit", "branch-rtr-01 pci", user=OPERATOR))
    await bot.post(slash_command("/noc-health", "", user="U123"))
    await bot.settle()
    roots = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    assert len(roots) == 2
    audit_thread = fake_slack.thread("C0NOC", next(r for r in roots if "audit" in r["text"])["ts"])
    assert "risk" in texts(audit_thread).lower()
    health_thread = fake_slack.thread("C0NOC", next(r for r in roots if "health" in r["text"])["ts"])
    body = texts(health_thread)
    assert "Network health" in body and "branch-rtr-01" in body
    assert body.index("branch-rtr-01") < body.index("core-sw-01")  # worst first


async def test_bad_audit_arguments_get_usage(bot, fake_slack):
    status, text = await bot.post(slash_command("/noc-audit", "core-sw-99", user=OPERATOR))
    assert status == 200 and "Unknown device" in text and "edge-rtr-01" in text
    status, text = await bot.post(slash_command("/noc-audit", "all hipaa", user=OPERATOR))
    assert "Unknown option hipaa" in text


async def test_429_on_chat_update_is_retried_and_answer_delivered(bot, fake_slack):
    fake_slack.rate_limit("chat.update", times=1, retry_after=1)
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    limited = [c for c in fake_slack.calls_to("chat.update") if c.rate_limited]
    assert len(limited) == 1
    assert "WAN congestion" in texts([answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))])


async def test_follow_up_in_thread_uses_the_earlier_answer(bot, fake_slack):
    first = app_mention_event("why is the branch office slow?")
    await bot.post(first)
    await bot.settle()
    root = first["event"]["ts"]
    await bot.post(app_mention_event("and how is its cpu doing?", thread_ts=root, ts=None))
    await bot.settle()
    rows = await bot.runtime.store.db.execute_fetchall("SELECT question, devices FROM requests ORDER BY created_at")
    assert [json.loads(r["devices"]) for r in rows] == [["branch-rtr-01"], ["branch-rtr-01"]]
    assert len([m for m in fake_slack.thread("C0NOC", root) if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]) == 2


async def test_dm_works_and_own_messages_are_ignored(bot, fake_slack):
    await bot.post(dm_event("is anything wrong with the network?", user="U123"))
    own = dm_event("I am the bot", user=BOT_USER_ID)
    own["event"]["bot_id"] = BOT_ID
    await bot.post(own)
    await bot.settle()
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if any(b.get("type") == "actions" for b in (c.args.get("blocks") or []))]) == 1


async def test_a_failure_inside_a_job_ends_with_a_message_and_request_id(fake_slack, tmp_path):
    b = await start(fake_slack, tmp_path, scenario="bgp-peer-down")
    try:
        fake_slack.fail("files.getUploadURLExternal", "internal_error", times=50)  # more than every retry
        event = app_mention_event("write an incident report for the bgp outage at the branch")
        await b.post(event)
        await b.settle()
        last = fake_slack.thread("C0NOC", event["event"]["ts"])[-1]
        assert "posting the answer to Slack failed" in texts([last]) and "Request id" in texts([last])
    finally:
        await b.running.stop(b.runtime)


async def test_long_reports_are_uploaded_as_files(bot, fake_slack, tmp_path):
    b = await start(fake_slack, tmp_path / "x", scenario="bgp-peer-down")
    try:
        event = app_mention_event("write an incident report for the bgp outage at the branch")
        await b.post(event)
        await b.settle()
        [upload] = [f for f in fake_slack.files.values() if f["filename"].startswith("incident-report-")]
        assert upload["thread_ts"] == event["event"]["ts"] and b"# Incident report" in upload["content"]
    finally:
        await b.running.stop(b.runtime)


async def test_healthz(bot):
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as resp:
        data = await resp.json()
    assert resp.status == 200 and data["status"] == "ok" and data["mode"] == "http" and data["devices"] == 11


async def test_socket_mode(fake_slack, tmp_path):
    b = await start(fake_slack, tmp_path, app_token="xapp-test")
    try:
        await fake_slack.wait_for_socket_async()
        event = app_mention_event("why is the branch office slow?")
        envelope = fake_slack.socket_send_event(event)
        await fake_slack.wait_for_ack_async(envelope)
        await fake_slack.wait_for_async(lambda s: any(
            any(bl.get("type") == "actions" for bl in (m.get("blocks") or [])) for m in s.thread("C0NOC", event["event"]["ts"])), timeout=20)
        await b.settle()
        assert "WAN congestion" in texts([answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))])
    finally:
        await b.running.stop(b.runtime)


async def test_oversize_request_is_cut_with_a_notice(bot, fake_slack):
    event = app_mention_event("why is the branch office slow? " + "very " * 1200)
    await bot.post(event)
    await bot.settle()
    answer = answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))
    assert "cut to its first 4000 characters" in texts([answer])
    rows = await bot.runtime.store.db.execute_fetchall("SELECT question FROM requests")
    assert len(rows[0]["question"]) == 4000


async def test_empty_mention_gets_a_hint_not_an_analysis(bot, fake_slack):
    event = app_mention_event("   ")
    await bot.post(event)
    await bot.settle()
    [reply] = fake_slack.calls_to("chat.postMessage")
    assert "Ask me about the network" in reply.args["text"] and reply.args["thread_ts"] == event["event"]["ts"]
    assert await bot.runtime.store.count("requests") == 0


async def test_shutdown_cancels_running_jobs_cleanly(fake_slack, tmp_path):
    b = await start(fake_slack, tmp_path, scenario="slow-device", progress="edit")  # edge-rtr-01 takes 45 s: still running
    event = app_mention_event("is the internet edge ok?")
    await b.post(event)
    await fake_slack.wait_for_async(lambda s: s.calls_to("chat.postMessage"), timeout=10)
    jobs = set(b.runtime.tasks)
    assert jobs
    await asyncio.wait_for(b.running.stop(b.runtime), timeout=60)  # a guard: the device would take 45 s more
    assert all(job.done() for job in jobs) and not b.runtime.tasks
    last = fake_slack.thread("C0NOC", event["event"]["ts"])[-1]
    assert "shutting down" in texts([last]) and "Request id" in texts([last])


async def test_identity_is_resolved_once_not_per_request_of_a_burst(bot, fake_slack):
    await asyncio.gather(*(bot.post(app_mention_event(f"why is the branch office slow? ({i})")) for i in range(20)))
    await bot.settle()
    assert len(fake_slack.calls_to("auth.test")) == 1  # at start-up, before the burst
