"""Slack's AI-app surface through the HTTP app and the loopback Slack: a thread status while the
agents work, a streamed reply with one task per specialist and per device read, the final Block
Kit answer; a refused stream falls back to status edits; the status is always cleared."""

from __future__ import annotations

from bot.config.settings import RoleGrants
from tests.fakes.slack_api import (
    BOT_ID,
    app_mention_event,
    block_action,
    dm_event,
    fake_slack,  # noqa: F401
)
from tests.harness.slack_bot import start, texts


def streamed(fake, channel: str, ts: str) -> list[dict]:
    return [m for m in fake.thread(channel, ts) if "chunks" in m]


def answers(fake, channel: str, ts: str) -> list[dict]:
    return [m for m in fake.thread(channel, ts)
            if m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


async def test_mention_streams_a_task_per_specialist_with_a_status_and_a_final_answer(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    ts = event["event"]["ts"]
    [stream] = streamed(fake_slack, "C0NOC", ts)
    assert not stream["streaming"]  # stopped
    start = next(c for c in fake_slack.calls_to("chat.startStream"))
    assert start.args["recipient_user_id"] == "U123" and start.args["recipient_team_id"]
    tasks = [c for c in stream["chunks"] if c["type"] == "task_update"]
    plan = [c for c in stream["chunks"] if c["type"] == "plan_update"]
    assert plan and any("performance" in p["title"] for p in plan)
    planned = {c["id"]: [] for c in tasks if c["status"] == "pending"}  # one per step of the plan
    for c in tasks:
        if c["id"] in planned:
            planned[c["id"]].append(c["status"])
    assert len(planned) >= 2 and all(s[0] == "pending" and "in_progress" in s and s[-1] == "complete" for s in planned.values())
    asked = {c["id"] for c in tasks if ">" in c["id"]}  # specialists asked by others are tasks as they start
    assert asked
    devices = [c for c in tasks if ":" in c["id"]]
    assert any("branch-rtr-01" in c["title"] for c in devices)  # each device read is a task too
    assert all(len(str(c)) < 12000 for c in stream["chunks"])
    [answer] = answers(fake_slack, "C0NOC", ts)
    assert "WAN congestion" in texts([answer])
    assert fake_slack.calls_to("chat.update") == []  # no status message edits when streaming
    statuses = fake_slack.statuses[("C0NOC", ts)]
    # set at once, updated at most once per interval as steps and device reads start, cleared at the end
    assert statuses[0] == "is working on it..." and statuses[-1] == ""
    assert all(s.startswith(("is running", "is checking")) for s in statuses[1:-1])


async def test_a_refused_stream_falls_back_to_status_edits(bot, fake_slack):
    fake_slack.fail("chat.startStream", "not_allowed")
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    ts = event["event"]["ts"]
    assert streamed(fake_slack, "C0NOC", ts) == []
    status = next(m for m in fake_slack.thread("C0NOC", ts) if "Working on it" in (m.get("text") or ""))
    assert status["edits"]  # the classic coalesced status message
    assert answers(fake_slack, "C0NOC", ts)


async def test_a_stream_that_expires_mid_way_continues_as_edits(bot, fake_slack):
    fake_slack.fail("chat.appendStream", "message_not_in_streaming_state", times=100)
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    ts = event["event"]["ts"]
    status = next(m for m in fake_slack.thread("C0NOC", ts) if "Working on it" in (m.get("text") or ""))
    assert "performance" in texts([status])  # what the stream had shown was replayed
    assert answers(fake_slack, "C0NOC", ts)


async def test_status_is_cleared_after_a_failure(bot, fake_slack):
    fake_slack.fail("chat.postMessage", "fatal_error", times=100)  # the answer can never be posted
    event = dm_event("is anything wrong with the network?", user="U123")
    await bot.post(event)
    ts = event["event"]["ts"]
    await fake_slack.wait_for_async(lambda s: any(k[1] == ts and v and v[-1] == "" and len(v) > 1 for k, v in s.statuses.items()),
                                    timeout=60)
    await bot.settle(timeout_s=60)


async def test_status_is_cleared_after_cancellation(fake_slack, tmp_path):
    # edge-rtr-01 takes 45 s, so the job is still running at stop; an operator, so any routing is allowed
    b = await start(fake_slack, tmp_path, scenario="slow-device", operator=RoleGrants(users=["U123"]))
    event = app_mention_event("is the internet edge ok?")
    await b.post(event)
    await fake_slack.wait_for_async(lambda s: s.calls_to("chat.startStream"), timeout=10)
    await b.running.stop(b.runtime)
    statuses = fake_slack.statuses[("C0NOC", event["event"]["ts"])]
    assert statuses[-1] == ""
    assert "shutting down" in texts(fake_slack.thread("C0NOC", event["event"]["ts"]))


async def test_answers_carry_the_platforms_feedback_buttons_and_they_are_recorded(bot, fake_slack):
    event = app_mention_event("why is the branch office slow?")
    await bot.post(event)
    await bot.settle()
    [answer] = answers(fake_slack, "C0NOC", event["event"]["ts"])
    [feedback] = [b for b in answer["blocks"] if b["type"] == "context_actions"]
    buttons = feedback["elements"][0]
    assert buttons["type"] == "feedback_buttons" and buttons["action_id"] == "noc_feedback"
    positive = buttons["positive_button"]["value"]
    verdict, request_id = positive.split(":")
    assert verdict == "helpful"
    await bot.post(block_action("noc_feedback", positive, message_ts=answer["ts"], action_type="feedback_buttons"))
    await bot.post(block_action("noc_feedback", f"excellent:{request_id}", message_ts=answer["ts"], action_type="feedback_buttons"))
    await bot.settle()
    assert [f["value"] for f in await bot.runtime.store.feedback(request_id)] == ["helpful"]
    assert any("not found here" in e["text"] for e in fake_slack.ephemerals)
