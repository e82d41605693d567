"""Acks before work: a listener's work after its ack waits while another Slack request is still
being handled, through the running bot's HTTP app; and a /noc question is acked before its
listener runs (no 10 ms poll for the listener's own ack)."""

from __future__ import annotations

from tests.fakes.slack_api import app_mention_event, fake_slack, slash_command  # noqa: F401
from tests.harness.slack_bot import held_open, start
from tests.harness.waiting import until


async def test_work_after_an_ack_waits_for_the_requests_still_in_flight(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    bot.runtime.acks.max_wait_s = 60  # no cap here: the work starts only when nothing is in flight
    try:
        # A request whose body has not all arrived yet is in flight (the guard is reading it).
        async with held_open(bot, channel="C0NOC"):
            event = app_mention_event("why is the branch office slow?", channel="C0NOC")
            status, _ = await bot.post(event)
            assert status == 200  # the second request is acked while the first is in flight
            await until(lambda: bot.runtime.acks.waiting, what="the listener holding its work back")
            assert bot.runtime.acks.in_flight == 1
            assert not bot.runtime.tasks and not fake_slack.calls_to("chat.postMessage")
        await bot.settle()
        answers = [m for m in fake_slack.bot_messages("C0NOC") if any(b.get("type") == "actions" for b in (m.get("blocks") or []))]
        assert len(answers) == 2  # both answered once nothing waits for an ack
    finally:
        await bot.running.stop(bot.runtime)


async def test_a_noc_question_is_acked_before_its_listener_runs(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        status, text = await bot.post(slash_command("/noc", "why is the branch office slow?", server=fake_slack))
        assert status == 200 and text == ""
        status, text = await bot.post(slash_command("/noc", "help", server=fake_slack))
        assert status == 200 and "/noc-audit" in text  # help still rides on the listener's ack
        await bot.settle()
    finally:
        await bot.running.stop(bot.runtime)
    assert any(m.get("text", "").endswith("asked: why is the branch office slow?") for m in fake_slack.bot_messages("C0NOC"))

