"""Change records (issue 28): with `changes.require_record: servicenow` (or `jira`) a change applies
only when its record is approved there as well as in Slack. Loopback ServiceNow Table API and
Jira REST API v2 (tests/fakes/), the Slack app on the lab, the user's path: an operator's
question, a second operator's clicks.
"""

from __future__ import annotations

import json

import pytest

from agents.lab import device_fixture_dir
from bot.config.settings import RoleGrants
from tests.fakes.jira_api import fake_jira_fixture  # noqa: F401
from tests.fakes.servicenow_api import fake_servicenow_fixture  # noqa: F401
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.changes import DEVICE, SECOND, ask_as_operator, click, thread_text
from tests.harness.slack_bot import OPERATOR

FIX_LINE = "service-policy output WAN-EDGE-QOS"


@pytest.fixture
def bot_options(fake_servicenow, monkeypatch):
    """Changes need a ServiceNow record here: the loopback ServiceNow, two operators, a lab put back
    as shipped around each test."""
    monkeypatch.setenv("NOC_SERVICENOW_PASSWORD", fake_servicenow.password)

    def configure(b):
        s = b.runtime.settings
        s.changes.require_record = "servicenow"
        s.servicenow.url, s.servicenow.user = fake_servicenow.url, fake_servicenow.user

    return {"operator": RoleGrants(users=[OPERATOR, SECOND]), "reset_lab": True, "configure": configure}


def running() -> str:
    return json.loads((device_fixture_dir("wan-congestion", DEVICE) / "get_config.1").read_text())["running"]


async def audit(bot) -> list[tuple]:
    return [(e["user_id"], e["command"].split(" ")[0], e["outcome"]) for e in await bot.runtime.store.audit_events()]


async def test_a_change_applies_only_once_its_record_is_approved_and_the_record_gets_the_outcome(bot, fake_slack, fake_servicenow):
    before = running()
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    [proposal] = await bot.runtime.store.changes()
    [record] = fake_servicenow.records.values()
    assert record["short_description"].startswith(f"noc-chatops {proposal.id}:") and record["risk"] in ("3", "2", "1", "4")
    assert FIX_LINE in record["implementation_plan"] and "Pre-checks:" in record["test_plan"]
    assert "revert timer" in record["backout_plan"] and "https://noc.slack.com/archives/C0NOC/p" in record["description"]
    text = thread_text(fake_slack, thread_ts)
    assert f"change record {record['number']}" in text and "must be approved there as well as here" in text

    # Approved in Slack only: refused in the thread with the reason; nothing reaches the device.
    reply = await click(bot, fake_slack, message, thread_ts, SECOND)
    assert f"Change record {record['number']} is 'requested' in ServiceNow" in reply
    assert "*approve-refused*" in thread_text(fake_slack, thread_ts)
    assert (await bot.runtime.store.change(proposal.id)).state == "pending" and running() == before

    # Approved in ServiceNow as well: it applies, and the record is closed with the outcome.
    fake_servicenow.set_approval(record["number"], "approved")
    assert "Approved" in await click(bot, fake_slack, message, thread_ts, SECOND)
    assert (await bot.runtime.store.change(proposal.id)).state == "confirmed" and FIX_LINE in running()
    closed = fake_servicenow.by_number(record["number"])
    assert closed["state"] == "3" and closed["close_code"] == "successful" and "confirmed" in closed["close_notes"]
    [notes] = fake_servicenow.work_notes[closed["sys_id"]]
    assert "post-check: passed" in notes
    assert "*record-closed*" in thread_text(fake_slack, thread_ts)
    rows = await audit(bot)
    assert (OPERATOR, "servicenow.record.create", "ok") in rows and (SECOND, "servicenow.record.read", "ok") in rows
    assert (SECOND, "servicenow.record.close", "ok") in rows


async def test_servicenow_down_at_the_proposal_is_told_and_the_record_is_made_at_approval(bot, fake_slack, fake_servicenow):
    fake_servicenow.down = True
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    assert "the ServiceNow change record could not be created (HTTP 503" in thread_text(fake_slack, thread_ts)
    reply = await click(bot, fake_slack, message, thread_ts, SECOND)
    assert "needs an approved ServiceNow change record and none could be created" in reply
    fake_servicenow.down = False
    reply = await click(bot, fake_slack, message, thread_ts, SECOND)
    [record] = fake_servicenow.records.values()  # made now, once
    assert f"Change record {record['number']} is 'requested'" in reply
    fake_servicenow.set_approval(record["number"], "rejected")
    assert "is 'rejected' in ServiceNow" in await click(bot, fake_slack, message, thread_ts, SECOND)
    assert len(fake_servicenow.records) == 1
    rows = await audit(bot)
    assert (OPERATOR, "servicenow.record.create", "failed") in rows
    stored = json.dumps([list(e.values()) for e in await bot.runtime.store.audit_events()])
    assert fake_servicenow.password not in json.dumps(fake_slack.bot_messages()) and fake_servicenow.password not in stored


async def test_jira_issue_as_the_record_gates_the_change_and_gets_the_outcome(bot, fake_slack, fake_jira, monkeypatch):
    monkeypatch.setenv("NOC_JIRA_TOKEN", fake_jira.token)
    s = bot.runtime.settings
    s.changes.require_record = "jira"
    s.jira.url, s.jira.user, s.jira.project = fake_jira.url, fake_jira.user, "NOC"
    before = running()
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    [proposal] = await bot.runtime.store.changes()
    [(key, issue)] = fake_jira.issues.items()
    assert key == "NOC-1" and issue["fields"]["issuetype"] == {"name": "Change"}
    assert issue["fields"]["summary"].startswith(f"noc-chatops {proposal.id}:") and FIX_LINE in issue["fields"]["description"]
    assert f"{fake_jira.url}/browse/NOC-1" in thread_text(fake_slack, thread_ts)

    assert "Change record NOC-1 is 'Awaiting approval' in Jira" in await click(bot, fake_slack, message, thread_ts, SECOND)
    assert running() == before
    fake_jira.set_status("NOC-1", "Approved")
    assert "Approved" in await click(bot, fake_slack, message, thread_ts, SECOND)
    assert (await bot.runtime.store.change(proposal.id)).state == "confirmed" and FIX_LINE in running()
    assert fake_jira.issues["NOC-1"]["status"] == "Done"
    [comment] = fake_jira.comments["NOC-1"]
    assert "confirmed" in comment and "post-check: passed" in comment
    rows = await audit(bot)
    assert (OPERATOR, "jira.record.create", "ok") in rows and (SECOND, "jira.record.close", "ok") in rows
