"""The front door's narrow services (issue 23), through the running HTTP app and the loopback Slack:
the route travels in the request (routed once, at the intake), post-answer hooks are registered
on the answer job and isolated from each other, who the bot is is asked of Slack once for a
burst, and message events that are not a person's DM are acked and left alone."""

from __future__ import annotations

import asyncio

from agents.models import Answer, Request, RouteDecision, Specialist, cut_question
from agents.routing import route
from bot.origin import Origin
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.slack_bot import start

QUESTION = "why is the branch office slow?"


def _answers(fake, channel: str = "C0NOC") -> list[dict]:
    return [m for m in fake.bot_messages(channel) if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


async def test_the_intake_routes_once_and_the_supervisor_starts_from_that_route(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        admitted = await bot.runtime.intake.admit(QUESTION, user="U123", channel="C0NOC", command="mention")
        assert admitted is not None
        request, needed = admitted
        assert request.route == route(cut_question(QUESTION)[0], bot.runtime.toolbox.inventory) and needed == "viewer"
        # A route that routing this text would never give: the answer follows it, so the engine did not route again.
        given = RouteDecision(primary=Specialist.security, specialists=[Specialist.security], method="given")
        assert route(QUESTION, bot.runtime.toolbox.inventory).primary != Specialist.security
        answer = await bot.runtime.supervisor.run(request.model_copy(update={"route": given}))
        # the plan is the given route's (a hand-off may still bring in the question's own subject after it)
        assert answer.primary == Specialist.security and answer.plan is not None
        assert [s.agent for s in answer.plan.steps] == [Specialist.security]
        # Without a route (alert triage, the CLI) the engine routes as before.
        plain = await bot.runtime.supervisor.run(Request.from_text(QUESTION))
        assert plain.primary == request.route.primary
    finally:
        await bot.running.stop(bot.runtime)


async def test_post_answer_hooks_run_in_order_and_a_failing_one_stops_nothing(fake_slack, tmp_path, caplog):
    bot = await start(fake_slack, tmp_path, progress="edit")
    seen: list[tuple[str, str, str]] = []

    async def broken(answer: Answer, request: Request, origin: Origin) -> None:
        seen.append(("broken", answer.request_id, origin.source))
        raise RuntimeError("hook failed")

    async def recorder(answer: Answer, request: Request, origin: Origin) -> None:
        seen.append(("recorder", answer.request_id, request.question))

    bot.runtime.add_after_answer(broken)
    bot.runtime.add_after_answer(recorder)
    try:
        status, _ = await bot.post(app_mention_event(QUESTION, channel="C0NOC"))
        assert status == 200
        await bot.settle()
        answers = _answers(fake_slack)
        assert len(answers) == 1
        request_id = next(b for b in answers[0]["blocks"] if b.get("type") == "actions")["elements"][0]["value"]
        assert seen == [("broken", request_id, "mention"), ("recorder", request_id, QUESTION)]
        assert "post-answer hook" in caplog.text and "hook failed" in caplog.text
    finally:
        await bot.running.stop(bot.runtime)


async def test_a_burst_asks_slack_who_the_bot_is_once(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        before = len(fake_slack.calls_to("auth.test"))
        events = [app_mention_event(f"{QUESTION} ({i})", channel="C0NOC") for i in range(8)]
        statuses = await asyncio.gather(*(bot.post(e) for e in events))
        assert [s for s, _ in statuses] == [200] * 8
        await bot.settle()
        assert len(fake_slack.calls_to("auth.test")) - before == 0  # asked at start-up, before serving
        assert len(_answers(fake_slack)) == 8
    finally:
        await bot.running.stop(bot.runtime)


async def test_message_events_that_are_not_dms_are_acked_and_left_alone(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        channel_message = app_mention_event(QUESTION, channel="C0NOC")
        channel_message["event"] |= {"type": "message", "channel_type": "channel"}
        edit = app_mention_event(QUESTION, channel="D0DM")
        edit["event"] |= {"type": "message", "channel_type": "im", "subtype": "message_changed"}
        for body in (channel_message, edit):
            status, _ = await bot.post(body)
            assert status == 200
        await bot.settle()
        assert not fake_slack.calls_to("chat.postMessage") and not bot.runtime.tasks
    finally:
        await bot.running.stop(bot.runtime)

