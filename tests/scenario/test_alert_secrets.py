"""Secrets in alerts are redacted before they are posted, stored or sent to a model.

Through the HTTP app: Alertmanager webhook payloads (version 4, the shape of Alertmanager's
documentation and of its `notify/webhook` tests) and generic alerts whose summaries, descriptions
and labels carry device secrets in each platform's own form (a config-drift rule quoting the
running config, an SNMP job with its community as a label, a URL with a password). Afterwards no
secret value may appear in any Slack call, in any row of the store (every table, read back with
sqlite3), or in any request the loopback Anthropic API received.
"""

from __future__ import annotations

import copy
import json
import sqlite3

import pytest

from agents.llm.schemas import PlanOut, PlanStepOut, RouteOut, SpecialistReport, SynthesisOut
from tests.fakes.anthropic_api import fake_anthropic, text  # noqa: F401
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.alerts import BGP_DOWN, CHANNEL, TOKEN, send
from tests.harness.slack_bot import start

QUOTED = [
    ("ios", "snmp-server community N0c-Rw-9x RW 99", "N0c-Rw-9x"),
    ("ios", "username netops privilege 15 secret 0 Adm1n-Secret-41", "Adm1n-Secret-41"),
    ("ios", "neighbor 192.0.2.1 password 7 094F471A1A0A464058", "094F471A1A0A464058"),
    ("nxos", "tacacs-server key 7 \"Nx0sTacKey77\"", "Nx0sTacKey77"),
    ("nxos", "snmp-server user ops network-admin auth md5 0x3a5c7e9b11d2f4 priv 0x77aa91c3e0 localizedkey", "0x3a5c7e9b11d2f4"),
    ("eos", "ntp authentication-key 3 md5 7 EosNtpKey31", "EosNtpKey31"),
    ("iosxr", "key-string clear XrKeyString55", "XrKeyString55"),
    ("junos", 'set snmp community JunComm88 authorization read-only', "JunComm88"),
    ("junos", 'set system root-authentication encrypted-password "$6$abcd$Jun0sR00tHash"', "Jun0sR00tHash"),
]


def _drift_alert(n: int, platform: str, line: str) -> dict:
    """A config-drift alert as a rule over an exporter's config diff would send it."""
    body = copy.deepcopy(BGP_DOWN)
    body["groupKey"] = f'{{}}/{{alertname="ConfigDrift"}}:{{device="r{n}"}}'
    labels = {"alertname": "ConfigDrift", "severity": "warning", "device": f"{platform}-rtr-{n:02d}", "job": "config-diff"}
    annotations = {"summary": f"Running config differs from startup: `{line}`",
                   "description": f"Line added since the last save:\n{line}\nReview before the next reload."}
    body.update(commonLabels=labels, groupLabels={"alertname": "ConfigDrift"}, commonAnnotations=annotations)
    for alert in body["alerts"]:
        alert["labels"] = {**labels, "instance": f"{platform}-rtr-{n:02d}:161"}
        alert["annotations"] = annotations
    return body


def _label_alert() -> tuple[dict, list[str]]:
    """An SNMP exporter alert whose labels carry the community and auth secrets by name."""
    body = copy.deepcopy(BGP_DOWN)
    body["groupKey"] = '{}/{alertname="SNMPTimeout"}'
    labels = {"alertname": "SNMPTimeout", "severity": "critical", "device": "edge-rtr-01", "community": "Lbl-Comm-66",
              "auth_password": "Lbl-AuthPw-67", "priv_password": "Lbl-PrivPw-68"}
    annotations = {"summary": "SNMP walk of edge-rtr-01 timed out", "runbook_url": "https://ops:Url-Pw-69@wiki.example.net/snmp"}
    body.update(commonLabels=labels, groupLabels={"alertname": "SNMPTimeout"}, commonAnnotations=annotations)
    for alert in body["alerts"]:
        alert["labels"] = labels
        alert["annotations"] = annotations
    return body, ["Lbl-Comm-66", "Lbl-AuthPw-67", "Lbl-PrivPw-68", "Url-Pw-69"]


def _generic() -> tuple[dict, list[str]]:
    return ({"device": "core-sw-01", "severity": "high",
             "summary": "AAA change detected: 'radius-server host 10.1.1.5 key 7 GenRadKey71' added on core-sw-01",
             "labels": {"alertname": "AAAChange", "tacacs_key": "GenTacKey72"}}, ["GenRadKey71", "GenTacKey72"])


def _every_row(db_path) -> str:
    with sqlite3.connect(db_path) as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type = 'table'")]
        return json.dumps({t: [list(map(str, row)) for row in db.execute(f'select * from "{t}"')] for t in tables})


@pytest.fixture
async def claude_bot(fake_slack, fake_anthropic, tmp_path, monkeypatch):
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis"], devices=[], reasoning="alert")))
    api.script("planner", text(PlanOut(reasoning="look", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="find the cause", devices=[], depends_on=[])])))
    api.script(None, text(SpecialistReport(summary="looked", findings=[], recommendations=[], confidence=0.5)))
    api.script("synthesis", text(SynthesisOut(summary="Looked.", conflicts=[])))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    monkeypatch.setenv("NOC_ALERT_TOKEN", TOKEN)
    from agents.config import LLMConfig

    b = await start(fake_slack, tmp_path, scenario="healthy", llm=LLMConfig(router_margin=100))
    b.runtime.settings.alerts.channel = CHANNEL
    b.runtime.triage.limiter.per_minute = 600
    yield b
    await b.running.stop(b.runtime)


async def test_secrets_in_alerts_reach_neither_slack_nor_store_nor_model(claude_bot, fake_slack, fake_anthropic, tmp_path):
    values = [v for _, _, v in QUOTED]
    for n, (platform, line, _) in enumerate(QUOTED):
        assert (await send(claude_bot, _drift_alert(n, platform, line)))[0] == 202
    labelled, label_values = _label_alert()
    assert (await send(claude_bot, labelled))[0] == 202
    generic, generic_values = _generic()
    assert (await send(claude_bot, generic, path="generic"))[0] == 202
    await claude_bot.settle(timeout_s=120)
    resolved = copy.deepcopy(labelled)
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
    assert (await send(claude_bot, resolved))[0] == 202
    await claude_bot.settle()
    values += label_values + generic_values

    slack = json.dumps([c.args for c in fake_slack.calls])
    store = _every_row(tmp_path / "noc.db")
    prompts = json.dumps(fake_anthropic.requests)
    # the alerts were posted, stored and investigated, with their lines kept and only values gone
    assert slack.count("ConfigDrift") >= len(QUOTED) and "snmp-server community &lt;redacted&gt; RW 99" in slack
    assert "SNMPTimeout" in store and "AAAChange" in store and "community" in store
    assert "set snmp community <redacted> authorization read-only" in prompts
    for where, blob in (("Slack", slack), ("store", store), ("model", prompts)):
        assert [v for v in values if v in blob] == [], where
