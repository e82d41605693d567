"""Alert-driven triage through the HTTP app and the loopback Slack.

Payloads follow Alertmanager's webhook format, version 4, as its documentation gives it
(prometheus.io/docs/alerting/latest/configuration/#webhook_config, Apache-2.0); `noc lab alert`
builds the same shape for a lab scenario.
"""

from __future__ import annotations

import copy
import json

import pytest

from agents.lab import get_scenario
from bot.config.settings import AlertsConfig
from bot.triage.intake import InvestigationLimiter
from bot.triage.lab_alert import scenario_payload
from bot.triage.payloads import AlertmanagerPayload, from_alertmanager
from tests.fakes.slack_api import (
    BOT_ID,
    fake_slack,  # noqa: F401
)
from tests.harness.alerts import BGP_DOWN, CHANNEL, TOKEN, roots, send


@pytest.fixture
def bot_options(monkeypatch):
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)

    def configure(b):
        b.runtime.settings.alerts.channel = CHANNEL

    return {"scenario": "bgp-peer-down", "configure": configure}


def answered(fake, ts: str) -> bool:
    return any(m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in (m.get("blocks") or []))
               for m in fake.thread(CHANNEL, ts))


async def test_two_alerts_one_thread_with_a_triage_answer_then_repeat_then_resolved(bot, fake_slack):
    status, body = await send(bot, BGP_DOWN)
    assert status == 202 and body["alert"] == "BGPSessionDown"
    await fake_slack.wait_for_async(lambda s: roots(s) and answered(s, roots(s)[0]["ts"]), timeout=60)
    [root] = roots(fake_slack)
    assert "BGPSessionDown" in root["text"] and "branch-rtr-01" in root["text"]
    thread = fake_slack.thread(CHANNEL, root["ts"])
    answer = next(m for m in thread if any(b.get("type") == "actions" for b in (m.get("blocks") or [])))
    assert "remote" in json.dumps(answer).lower()  # the injected fault: the wrong remote AS
    assert "Confidence" in json.dumps(answer) or "confidence" in json.dumps(answer)

    await bot.settle()
    assert (await send(bot, BGP_DOWN))[0] == 202  # Alertmanager's repeat
    await bot.settle()
    assert len(roots(fake_slack)) == 1

    resolved = copy.deepcopy(BGP_DOWN)
    resolved["status"] = "resolved"
    for a in resolved["alerts"]:
        a["status"] = "resolved"
    assert (await send(bot, resolved))[0] == 202
    await bot.settle()
    assert len(roots(fake_slack)) == 1
    assert any("Resolved" in (m.get("text") or "") for m in fake_slack.thread(CHANNEL, root["ts"]))
    [stored] = [a for a in await bot.runtime.store.alerts() if a["source"] == "alertmanager"]
    assert stored["status"] == "resolved" and stored["thread_ts"] == root["ts"]


async def test_a_flapping_group_stays_in_its_thread(bot, fake_slack):
    resolved = copy.deepcopy(BGP_DOWN)
    resolved["status"] = "resolved"
    for payload in (BGP_DOWN, resolved, BGP_DOWN):
        assert (await send(bot, payload))[0] == 202
        await bot.settle()
    [root] = roots(fake_slack)
    assert any("flap 1" in (m.get("text") or "") for m in fake_slack.thread(CHANNEL, root["ts"]))
    assert await bot.runtime.store.count("requests") == 1  # no second investigation


async def test_wrong_token_and_malformed_bodies(bot, fake_slack, monkeypatch):
    assert (await send(bot, BGP_DOWN, token="nope"))[0] == 401
    assert (await send(bot, BGP_DOWN, token=None))[0] == 401
    assert (await send(bot, None, raw=b"{not json"))[0] == 400
    assert (await send(bot, None, raw=b"\xff\xfe"))[0] == 400
    status, body = await send(bot, {**BGP_DOWN, "version": "3"})
    assert status == 400 and "version" in body["error"]
    status, body = await send(bot, {**BGP_DOWN, "alerts": []})
    assert status == 400 and "alerts" in body["error"]
    assert (await send(bot, None, raw=b"[" + b"0," * 200_000 + b"0]"))[0] == 413
    status, body = await send(bot, {"device": "edge-rtr-01"}, path="generic")
    assert status == 400 and "summary" in body["error"]
    monkeypatch.delenv("NOC_ALERT_TOKEN")
    status, body = await send(bot, BGP_DOWN)
    assert status == 401 and "NOC_ALERT_TOKEN" in body["error"]
    await bot.settle()
    assert roots(fake_slack) == []


async def test_generic_alert_opens_a_triage_thread(bot, fake_slack):
    status, _ = await send(bot, {"device": "branch-rtr-01", "summary": "BGP neighbour 172.16.100.1 went down",
                                 "severity": "high", "labels": {"alertname": "BgpDown"}}, path="generic")
    assert status == 202
    await fake_slack.wait_for_async(lambda s: roots(s) and answered(s, roots(s)[0]["ts"]), timeout=60)


async def test_investigations_beyond_the_rate_are_queued_and_say_so(bot, fake_slack):
    bot.runtime.triage.limiter.per_minute = 1
    second = copy.deepcopy(BGP_DOWN)
    second["groupKey"] = '{}:{alertname="HighCPU"}'
    second["commonLabels"] = {**second["commonLabels"], "alertname": "HighCPU"}
    for a in second["alerts"]:
        a["labels"]["alertname"] = "HighCPU"
    assert (await send(bot, BGP_DOWN))[0] == 202
    assert (await send(bot, second))[0] == 202
    await fake_slack.wait_for_async(lambda s: len(roots(s)) == 2 and any(
        "Queued" in (m.get("text") or "") for r in roots(s) for m in s.thread(CHANNEL, r["ts"])), timeout=30)


def test_limiter_counts_a_sliding_minute():
    now = [1000.0]
    limiter = InvestigationLimiter(2, clock=lambda: now[0])
    assert limiter.try_start() and limiter.try_start() and not limiter.try_start()
    assert limiter.wait_s() == 60.0
    now[0] += 60.0
    assert limiter.try_start()


def test_lab_alert_payload_is_a_valid_alertmanager_body():
    from bot.triage.payloads import AlertmanagerPayload, from_alertmanager

    group = from_alertmanager(AlertmanagerPayload.model_validate(scenario_payload(get_scenario("wan-congestion"))))
    assert group.device == "branch-rtr-01" and group.name == "NocLabWanCongestion" and group.status == "firing"


def test_lab_alert_cli_needs_a_token_and_a_bot(runner, monkeypatch):
    from bot.cli.main import cli

    monkeypatch.delenv("NOC_ALERT_TOKEN", raising=False)
    result = runner.invoke(cli, ["lab", "alert", "wan-congestion"])
    assert result.exit_code == 2 and "NOC_ALERT_TOKEN" in result.output
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)
    result = runner.invoke(cli, ["lab", "alert", "wan-congestion", "--url", "http://127.0.0.1:9/alerts/alertmanager"])
    assert result.exit_code == 2 and "cannot reach the bot" in result.output


def test_alerts_settings_defaults():
    config = AlertsConfig()
    assert config.max_investigations_per_minute == 10 and config.triage_role == "viewer"





async def test_the_daily_report_lists_the_days_alerts_and_their_triage(bot, fake_slack):
    from bot.report.build import ReportSources, build_report
    from bot.report.text import render_text

    assert (await send(bot, BGP_DOWN))[0] == 202
    await fake_slack.wait_for_async(lambda s: roots(s) and answered(s, roots(s)[0]["ts"]), timeout=60)
    await bot.settle()
    report = await build_report(ReportSources(bot.runtime.settings, bot.runtime.store, bot.runtime.toolbox))
    [alert] = report.changes.alerts
    assert alert.name == "BGPSessionDown" and alert.device == "branch-rtr-01" and "confidence" in alert.outcome
    assert "BGPSessionDown on branch-rtr-01 (open)" in render_text(report)


async def test_an_alert_resumed_after_its_channels_were_unset_is_stored_not_posted_nowhere(bot, fake_slack):
    """A process stopped after storing an alert's row but before posting its thread, and the alerts
    and report channels were then removed from the settings: the resumed notification has nowhere
    to go, so it is stored and done (as a new one would be), not retried forever with posts that
    name no channel (mypy found `_resume` passing a channel that may be None on as a str)."""
    store, triage = bot.runtime.store, bot.runtime.triage
    group = from_alertmanager(AlertmanagerPayload.model_validate(BGP_DOWN))
    inbox_id = await store.accept_alert(group.key, group.model_dump())
    alert_id = await store.open_alert(source=group.source, name=group.name, summary=group.summary, severity=group.severity,
                                      fingerprint=group.key, payload=group.model_dump())
    await store.advance_alert(inbox_id, "accepted", alert_id=alert_id)
    bot.runtime.settings.alerts.channel = None
    bot.runtime.settings.report.channel = None

    row = next(r for r in await store.alert_inbox() if r["id"] == inbox_id)
    assert await triage.process(group, row) == "stored"
    assert [(r["state"], r["outcome"], r["attempts"]) for r in await store.alert_inbox() if r["id"] == inbox_id] == [("done", "stored", 0)]
    assert fake_slack.calls_to("chat.postMessage") == []
