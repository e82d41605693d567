"""Live alerts: the LLM provider breaker opened by 529s from the loopback Anthropic API posts one
alert to the alerts channel, edits it while it recovers, and says when it recovered; a later
opening is a new episode and a new message. Clocks are injected: no sleeps."""

from __future__ import annotations

from datetime import datetime, timezone

from anthropic import AsyncAnthropic

from agents.config import BreakerConfig, LLMConfig, ResilienceConfig, RetryConfig
from agents.llm.schemas import DiagnosisReport, FindingOut, PlanOut, PlanStepOut, SynthesisOut
from agents.models import Request
from agents.resilience.guard import Resilience
from bot.origin import Origin
from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    overloaded,
    text,
)
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.reports import ALERTS, Clock, make_runtime, make_settings

QUESTION = "why can't the branch reach HQ over BGP?"
PLAN = PlanOut(reasoning="one step", steps=[PlanStepOut(id="s1", agent="diagnosis", instruction=QUESTION,
                                                        devices=["branch-rtr-01"], depends_on=[])])
DIAG = DiagnosisReport(summary="branch-rtr-01 peers with the wrong AS.", findings=[FindingOut(text="remote-AS mismatch", severity="high", device="branch-rtr-01")],
                       recommendations=[], confidence=0.9, root_cause="remote-AS mismatch", affected_layer="network")
SYNTH = SynthesisOut(summary="(diagnosis) remote-AS mismatch on branch-rtr-01.", conflicts=[])


def script_ok(api) -> None:
    api.script("planner", text(PLAN))
    api.script("specialist:diagnosis", text(DIAG))
    api.script("synthesis", text(SYNTH))


async def claude_runtime(fake_slack, api, tmp_path, clock: Clock):
    settings = make_settings(tmp_path)
    settings.llm = LLMConfig(router_margin=0, follow_ups=0, max_retries=0, planner="always")  # the scripted one-step plan
    settings.resilience = ResilienceConfig(retry=RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0),
                                           breaker=BreakerConfig(failure_threshold=100),
                                           provider_breaker=BreakerConfig(failure_threshold=1, recovery_timeout_s=30))
    resilience = Resilience(settings.resilience, clock=clock, wall_clock=clock)
    sdk = AsyncAnthropic(base_url=api.url, api_key="test-key", max_retries=0, timeout=10)
    return await make_runtime(settings, fake_slack, clock, resilience=resilience, model=sdk)


async def ask(rt, n: int):
    origin = Origin(source="mention", user="U1", channel="C0NOC", thread_ts=f"1774000000.{n:06d}")
    return await rt.answer_question(Request.from_text(QUESTION), origin)


async def test_breaker_opened_by_529s_posts_one_alert_and_updates_it_on_recovery(fake_slack, fake_anthropic, tmp_path):
    api = fake_anthropic
    clock = Clock(datetime(2026, 3, 28, 2, 10, tzinfo=timezone.utc).timestamp())  # at night
    rt = await claude_runtime(fake_slack, api, tmp_path, clock)
    rt.alerts.start()
    try:
        api.script(None, overloaded())
        first = await ask(rt, 1)
        clock.t += 5
        second = await ask(rt, 2)  # the breaker is open: nothing reaches the API, no second alert
        await rt.alerts.drain()
        assert first.status == "degraded" and second.status == "degraded"
        alerts = fake_slack.bot_messages(ALERTS)
        assert len(alerts) == 1, [m["text"] for m in alerts]
        assert "Circuit breaker llm-provider opened" in alerts[0]["text"]
        assert "overloaded" in alerts[0]["blocks"][0]["text"]["text"] and "offline analyst" in alerts[0]["blocks"][0]["text"]["text"]

        api.reset()
        script_ok(api)
        clock.t += 235  # 4 minutes after the opening: past the recovery timeout, one trial call
        third = await ask(rt, 3)
        await rt.alerts.drain()
        assert third.status == "ok"
        (alert,) = fake_slack.bot_messages(ALERTS)
        assert "Circuit breaker llm-provider recovered after 4 min" in alert["text"]
        assert len(alert["edits"]) == 2  # half-open (the trial call), then recovered
        posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == ALERTS]
        assert len(posts) == 1

        stored = await rt.store.alerts()
        assert [(a["source"], a["name"], a["status"], a["summary"]) for a in stored] == [
            ("breaker", "llm-provider", "resolved", "recovered after 4 min")]
        assert stored[0]["channel"] == ALERTS and stored[0]["thread_ts"] == alert["ts"]
        transitions = await rt.store.breaker_transitions()
        assert [t["to_state"] for t in transitions] == ["open", "half_open", "closed"]
        assert {t["breaker"] for t in transitions} == {f"llm-provider@{rt.store.owner}"}

        api.reset()
        api.script(None, overloaded())
        clock.t += 600
        await ask(rt, 4)  # a new episode: a new message
        await rt.alerts.drain()
        assert len(fake_slack.bot_messages(ALERTS)) == 2
    finally:
        await rt.shutdown()
    # the episode still open at shutdown is closed in Slack and in the store as "stopped"
    last = fake_slack.bot_messages(ALERTS)[-1]
    assert "the bot stopped while the breaker was open" in last["blocks"][0]["text"]["text"]


async def test_without_a_channel_transitions_and_alerts_are_only_stored(fake_slack, tmp_path):
    clock = Clock(datetime(2026, 3, 28, 2, 10, tzinfo=timezone.utc).timestamp())
    settings = make_settings(tmp_path)
    settings.report.channel = None
    settings.alerts.channel = None
    rt = await make_runtime(settings, fake_slack, clock)
    rt.alerts.start()
    try:
        rt.resilience.provider.record_failure("auth")
        await rt.alerts.drain()
        assert fake_slack.calls_to("chat.postMessage") == []
        assert [(a["name"], a["status"]) for a in await rt.store.alerts()] == [("llm-provider", "open")]
    finally:
        await rt.shutdown()
