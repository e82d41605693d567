"""The front door acks first (bot/server/slack_door.py), through the running bot's HTTP app: a
request whose ack is empty is answered 200 and journalled before Bolt sees it, Bolt dispatches it
once no other request is in flight and it is answered; a forged signature is refused with nothing
queued; Slack's retry is acked and dropped; a graceful stop drains what is queued; the requests
the door acks are exactly those whose listener acks with nothing.

A request held in flight (its body not all sent) keeps the burst open, so what is queued behind it
can be looked at before it is dispatched: the waits are on state, never on time."""

from __future__ import annotations

import json

import aiohttp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.durability.recovery import open_journal
from bot.server.slack_door import DOOR_KEY, SlackDoor
from handlers.app import acked_empty
from tests.fakes.slack_api import (  # noqa: F401
    app_mention_event,
    dm_event,
    encode_request,
    fake_slack,
    message_event,
    sign,
    slash_command,
)
from tests.harness.slack_bot import SECRET, Bot, held_open, start
from tests.harness.waiting import until


def door_of(bot: Bot) -> SlackDoor:
    return bot.running.runner.app[DOOR_KEY]


def answers(fake, channel: str) -> list[dict]:
    return [m for m in fake.bot_messages(channel) if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


async def test_an_event_is_acked_and_journalled_before_bolt_sees_it_and_then_answered(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 60  # the dispatch waits for the held request, however slow the machine
    open_journal(bot.runtime)
    door = door_of(bot)
    try:
        async with held_open(bot):
            event = app_mention_event("why is the branch office slow?", channel="C0NOC")
            status, text = await bot.post(event)
            assert (status, text) == (200, "")
            assert [r.body["event_id"] for _, r in door.queue] == [event["event_id"]]  # acked, not dispatched yet
            assert bot.runtime.journal is not None and bot.runtime.journal.holds(event["event_id"])  # a crash now replays it
            assert not fake_slack.calls_to("chat.postMessage")
        await bot.settle()
        assert len(answers(fake_slack, "C0NOC")) == 1
        assert not door.queue and door.deferred == 0
        assert not bot.runtime.journal.holds(event["event_id"])  # settled once its request row was written
    finally:
        await bot.running.stop(bot.runtime)


async def test_a_forged_signature_is_refused_and_nothing_is_queued(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    door = door_of(bot)
    try:
        status, _ = await bot.post(app_mention_event("why is the branch office slow?"), headers={"X-Slack-Signature": "v0=" + "0" * 64})
        assert status == 401
        body, content_type = encode_request(app_mention_event("why is the branch office slow?"))
        stale = sign(body, SECRET, timestamp=1_000_000) | {"Content-Type": content_type}  # signed, but years old
        async with aiohttp.ClientSession() as session, session.post(bot.events, data=body, headers=stale) as response:
            assert response.status == 401
        assert not door.queue and door.deferred == 0 and door.releaser is None
        assert not bot.busy()
        await bot.settle()
        assert not fake_slack.calls_to("chat.postMessage")
    finally:
        await bot.running.stop(bot.runtime)


async def test_a_slack_retry_is_acked_and_answered_once(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 60
    open_journal(bot.runtime)
    door = door_of(bot)
    try:
        event = app_mention_event("why is the branch office slow?", channel="C0NOC")
        async with held_open(bot):
            assert (await bot.post(event))[0] == 200
            retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            assert (await bot.post(event, headers=retry))[0] == 200
            assert len(door.queue) == 2  # both acked at the door; the claim after it keeps one
        await bot.settle()
        assert len(answers(fake_slack, "C0NOC")) == 1
        assert not bot.runtime.journal.holds(event["event_id"])  # one entry for both deliveries, settled
    finally:
        await bot.running.stop(bot.runtime)


async def test_a_graceful_stop_drains_what_the_door_acked(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 60
    door = door_of(bot)
    try:
        async with held_open(bot):
            for channel in ("C0NOC", "C0TWO"):
                assert (await bot.post(app_mention_event("why is the branch office slow?", channel=channel)))[0] == 200
            assert len(door.queue) == 2
            for site in list(bot.running.runner.sites):
                await site.stop()  # as serve_forever stops: no new requests, then drain
        await bot.runtime.drain(timeout=120)
        assert not door.queue and door.deferred == 0
        assert len(answers(fake_slack, "C0NOC")) == 1 and len(answers(fake_slack, "C0TWO")) == 1
    finally:
        await bot.running.stop(bot.runtime)


async def test_under_a_steady_stream_a_request_waits_at_most_max_wait_s(fake_slack, tmp_path):
    """Requests always in flight (here: one held) delay the dispatch by `max_wait_s`, never for
    ever: at 0 the mention is dispatched and answered while the held request is still open."""
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 0
    try:
        async with held_open(bot):
            assert (await bot.post(app_mention_event("why is the branch office slow?", channel="C0NOC")))[0] == 200
            await until(lambda: answers(fake_slack, "C0NOC"), what="the answer while a request is in flight")
            assert bot.runtime.acks.in_flight == 1
        await bot.settle()
    finally:
        await bot.running.stop(bot.runtime)


async def test_past_its_bound_a_request_takes_bolts_ordinary_path(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 60
    door = door_of(bot)
    door.max_deferred = 1
    try:
        async with held_open(bot):
            for channel in ("C0NOC", "C0TWO"):
                assert (await bot.post(app_mention_event("why is the branch office slow?", channel=channel)))[0] == 200
            assert [r.body["event"]["channel"] for _, r in door.queue] == ["C0NOC"]  # the second was acked by Bolt's listener
        await bot.settle()
        assert len(answers(fake_slack, "C0NOC")) == 1 and len(answers(fake_slack, "C0TWO")) == 1
    finally:
        await bot.running.stop(bot.runtime)


async def test_the_door_acks_exactly_what_the_listeners_ack_with_nothing(fake_slack, tmp_path):
    """For each kind of request: the door's decision (`acked_empty`) against Bolt's own ack."""
    bot = await start(fake_slack, tmp_path, progress="edit")
    app = door_of(bot).app
    samples = {
        "mention": app_mention_event("why is the branch office slow?"),
        "dm": dm_event("why is the branch office slow?"),
        "channel chatter": message_event("lunch?"),
        "an edit": message_event("lunch?", subtype="message_changed"),
        "/noc question": slash_command("/noc", "why is the branch office slow?", server=fake_slack),
        "/noc inventory": slash_command("/noc", "inventory", server=fake_slack),
        "/noc-health": slash_command("/noc-health", "", server=fake_slack),
        "/noc help": slash_command("/noc", "help", server=fake_slack),
        "/noc (no text)": slash_command("/noc", "  ", server=fake_slack),
        "/noc-audit usage": slash_command("/noc-audit", "", server=fake_slack),
    }
    try:
        decisions = {}
        for name, body in samples.items():
            response = await app.async_dispatch(AsyncBoltRequest(body=json.loads(json.dumps(body)), mode="socket_mode"))
            decisions[name] = (acked_empty(body), response.status == 200 and not response.body)
        await bot.settle()
    finally:
        await bot.running.stop(bot.runtime)
    assert all(door == bolt for door, bolt in decisions.values()), decisions
    assert [name for name, (door, _) in decisions.items() if not door] == ["/noc help", "/noc (no text)", "/noc-audit usage"]
