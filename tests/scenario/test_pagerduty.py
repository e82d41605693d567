"""Incidents out (issue 28): PagerDuty's Events API v2 on a loopback server that speaks it
(tests/fakes/pagerduty_api.py), through the Slack app on the lab.

A P1 answer triggers one incident with its summary and a link to its thread; PagerDuty down
once is said in the thread and the event is sent again without ever making a second incident;
an alert investigation that finds P2 triggers with the group's key, Alertmanager's repeat adds
nothing and the group's resolve resolves it; "Page on-call" pages on demand for an operator
and not for a viewer. Every call is in the audit log with who caused it.
"""

from __future__ import annotations

import copy
import json

import pytest

from agents.severity import Severity
from bot.triage.payloads import AlertmanagerPayload, from_alertmanager
from tests.fakes.pagerduty_api import fake_pagerduty_fixture  # noqa: F401
from tests.fakes.slack_api import app_mention_event, block_action, fake_slack  # noqa: F401
from tests.harness.alerts import BGP_DOWN, CHANNEL, TOKEN, roots, send
from tests.harness.slack_bot import OPERATOR

QUESTION = "why can't the branch reach HQ over BGP?"
VIEWER = "U123"


@pytest.fixture
def bot_options(fake_pagerduty, monkeypatch):
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)
    monkeypatch.setenv("NOC_PAGERDUTY_ROUTING_KEY", fake_pagerduty.routing_key)

    def configure(b):
        settings = b.runtime.settings
        settings.alerts.channel = CHANNEL
        settings.pagerduty.enabled, settings.pagerduty.url = True, fake_pagerduty.url
        b.runtime.incidents.pagerduty.retry_delays_s = (0.05, 0.2, 1.0)

    return {"scenario": "bgp-peer-down", "configure": configure}


def text_of(fake, channel: str, ts: str) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in fake.thread(channel, ts))


async def ask(bot, fake, user: str = OPERATOR) -> tuple[str, dict]:
    event = app_mention_event(QUESTION, user=user)
    await bot.post(event)
    ts = event["event"]["ts"]
    await fake.wait_for_async(lambda s: any("noc_page" in json.dumps(m.get("blocks") or []) for m in s.thread("C0NOC", ts)), timeout=60)
    await bot.settle()
    answer = next(m for m in fake.thread("C0NOC", ts) if "noc_page" in json.dumps(m.get("blocks") or []))
    return ts, answer


async def audit(bot) -> list[tuple]:
    return [(e["user_id"], e["command"].split(" ")[0], e["outcome"]) for e in await bot.runtime.store.audit_events()]


async def test_a_p1_answer_triggers_one_incident_with_its_summary_and_thread(bot, fake_slack, fake_pagerduty):
    bot.runtime.settings.engine.incident_priorities[Severity.high] = "P1"
    ts, _ = await ask(bot, fake_slack)
    stored = await bot.runtime.store.answer(fake_pagerduty.events[0]["payload"]["custom_details"]["request_id"])
    [incident] = fake_pagerduty.incidents
    event = incident.events[0]
    assert incident.status == "triggered" and incident.dedup_key == f"noc-chatops:{stored[0].request_id}"
    assert stored[0].incident_priority == "P1" and event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == stored[0].summary[:1024]
    assert event["links"][0]["href"].startswith("https://noc.slack.com/archives/C0NOC/p")
    assert "PagerDuty: incident triggered (P1)" in text_of(fake_slack, "C0NOC", ts)
    assert (OPERATOR, "pagerduty.trigger", "ok") in await audit(bot)


async def test_pagerduty_down_is_told_and_retried_without_a_second_incident(bot, fake_slack, fake_pagerduty):
    fake_pagerduty.fail(times=2)
    ts, _ = await ask(bot, fake_slack)
    await fake_slack.wait_for_async(lambda s: "after a retry" in text_of(s, "C0NOC", ts), timeout=30)
    text = text_of(fake_slack, "C0NOC", ts)
    assert "PagerDuty did not take the event (HTTP 500" in text and "same dedup key" in text
    assert len(fake_pagerduty.incidents) == 1 and len(fake_pagerduty.incidents[0].events) == 1
    rows = [r for r in await audit(bot) if r[1] == "pagerduty.trigger"]
    assert rows == [(OPERATOR, "pagerduty.trigger", "failed")] * 2 + [(OPERATOR, "pagerduty.trigger", "ok")]
    stored = json.dumps([list(e.values()) for e in await bot.runtime.store.audit_events()])
    assert fake_pagerduty.routing_key not in json.dumps(fake_slack.bot_messages()) and fake_pagerduty.routing_key not in stored


async def test_an_alert_pages_with_its_group_key_repeats_add_nothing_and_its_resolve_resolves(bot, fake_slack, fake_pagerduty):
    assert (await send(bot, BGP_DOWN))[0] == 202
    await fake_slack.wait_for_async(lambda s: roots(s) and "PagerDuty: incident triggered" in text_of(s, CHANNEL, roots(s)[0]["ts"]),
                                    timeout=60)
    await bot.settle()
    [incident] = fake_pagerduty.incidents
    group = from_alertmanager(AlertmanagerPayload.model_validate(BGP_DOWN))  # the group's stable key
    assert incident.dedup_key == group.key and incident.events[0]["payload"]["summary"].startswith("BGPSessionDown: ")
    assert incident.events[0]["payload"]["source"] == "branch-rtr-01"
    assert (await send(bot, BGP_DOWN))[0] == 202  # Alertmanager's repeat
    await bot.settle()
    assert len(fake_pagerduty.events) == 1

    resolved = copy.deepcopy(BGP_DOWN)
    resolved["status"] = "resolved"
    for a in resolved["alerts"]:
        a["status"] = "resolved"
    assert (await send(bot, resolved))[0] == 202
    await fake_slack.wait_for_async(lambda s: "incident resolved" in text_of(s, CHANNEL, roots(s)[0]["ts"]), timeout=30)
    assert incident.status == "resolved" and [e["event_action"] for e in fake_pagerduty.events] == ["trigger", "resolve"]
    assert (None, "pagerduty.resolve", "ok") in await audit(bot)


async def test_page_on_call_button_pages_for_an_operator_only(bot, fake_slack, fake_pagerduty):
    bot.runtime.settings.pagerduty.enabled = False  # nothing pages by itself
    ts, answer = await ask(bot, fake_slack, user=VIEWER)
    assert fake_pagerduty.events == []
    request_id = next(e["value"] for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"] if e["action_id"] == "noc_page")
    await bot.post(block_action("noc_page", request_id, user=VIEWER, message_ts=answer["ts"], thread_ts=ts))
    await bot.settle()
    assert fake_pagerduty.events == []
    await bot.post(block_action("noc_page", request_id, user=OPERATOR, message_ts=answer["ts"], thread_ts=ts))
    await fake_slack.wait_for_async(lambda s: any(e.get("user") == OPERATOR and "On-call is paged" in e.get("text", "")
                                                  for e in s.ephemerals), timeout=30)
    [incident] = fake_pagerduty.incidents
    assert incident.dedup_key == f"noc-chatops:{request_id}"
    assert f"on-call paged by <@{OPERATOR}>" in text_of(fake_slack, "C0NOC", ts)
    assert (OPERATOR, "pagerduty.trigger", "ok") in await audit(bot)
