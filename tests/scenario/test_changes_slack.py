"""Human-approved changes end to end: the Slack app on the loopback Slack API, on the lab.

An operator's question becomes a proposal in its thread; a second operator approves; the change
is merged, compared, committed with a revert timer, post-checked and confirmed (or rolled back),
and every step is posted and stored. Refusals change nothing and are told only to the clicker.
Expiry runs on an injected clock: no sleeps, no timing.
"""

from __future__ import annotations

import json

import pytest

from agents.lab import device_fixture_dir
from agents.lab.merge import merge_lines
from agents.lab.stateful import lose_after_commit, reset_scenario
from bot.config.settings import RoleGrants
from tests.fakes.anthropic_api import fake_anthropic  # noqa: F401
from tests.fakes.slack_api import app_mention_event, block_action, fake_slack  # noqa: F401
from tests.harness.changes import (
    DEVICE,
    QUESTION,
    SECOND,
    ask,
    ask_as_operator,
    click,
    proposals,
    the_change,
    thread_text,
    until,
)
from tests.harness.slack_bot import OPERATOR, start

VIEWER = "U123"


@pytest.fixture
def bot_options():
    """Two operators (one proposes, the other approves) on a lab put back as shipped around each test."""
    return {"operator": RoleGrants(users=[OPERATOR, SECOND]), "reset_lab": True}


async def test_question_proposal_second_operator_approves_commit_postcheck_confirm(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    body = json.dumps(message["blocks"])
    assert "service-policy output WAN-EDGE-QOS" in body and "Pre-checks" in body and "Risk" in body
    proposal = await the_change(bot)
    assert proposal.state == "pending" and proposal.requester == OPERATOR and proposal.kind == "qos_policy"
    assert proposal.lines == ["interface GigabitEthernet0/0/0", " service-policy output WAN-EDGE-QOS"]
    assert {s.kind for s in proposal.symptoms} >= {"high_utilisation"}

    reply = await click(bot, fake_slack, message, thread_ts, SECOND)
    assert "Approved" in reply
    done = await the_change(bot)
    assert done.state == "confirmed" and done.approver == SECOND
    steps = [e["step"] for e in await bot.runtime.store.change_events(done.id)]
    assert steps == ["proposed", "approved", "merge", "commit", "post-check", "confirmed"]
    events = await bot.runtime.store.change_events(done.id)
    assert all(e["diff_hash"] == done.diff_hash for e in events) and events[1]["actor"] == SECOND
    text = thread_text(fake_slack, thread_ts)
    assert "revert timer" in text and "post-check" in text and "confirm_commit" in text

    # a double click after the decision changes nothing
    assert "already confirmed" in await click(bot, fake_slack, message, thread_ts, SECOND)

    # a later question no longer finds the congestion
    later = app_mention_event(QUESTION, user=VIEWER)
    await bot.post(later)
    answered = await until(bot, lambda: [m for m in fake_slack.thread("C0NOC", later["event"]["ts"])
                                             if "noc_rerun" in json.dumps(m.get("blocks") or [])])
    answer = json.dumps(answered[0]["blocks"])
    assert "branch-rtr-01" in answer and "96%" not in answer and "WAN congestion" not in answer
    assert len(await bot.runtime.store.changes()) == 1  # a viewer's question proposes nothing


async def test_self_approval_viewer_and_foreign_channel_are_refused(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    assert "two-person" in await click(bot, fake_slack, message, thread_ts, OPERATOR)
    assert "operator" in await click(bot, fake_slack, message, thread_ts, VIEWER)
    assert "not found here" in await click(bot, fake_slack, message, thread_ts, SECOND, channel="C0OTHER")
    assert (await the_change(bot)).state == "pending"
    # the requester may withdraw (reject) their own proposal
    assert "Rejected" in await click(bot, fake_slack, message, thread_ts, OPERATOR, action="noc_change_reject")
    assert (await the_change(bot)).state == "rejected"


async def test_a_click_after_expiry_changes_nothing(bot, fake_slack):
    now = [1_000_000.0]
    bot.runtime.changes.set_clock(lambda: now[0])
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    now[0] += bot.runtime.settings.changes.expiry_s + 1
    assert "expired" in await click(bot, fake_slack, message, thread_ts, SECOND)
    assert (await the_change(bot)).state == "expired"


@pytest.mark.parametrize("bot", ["wan-oversubscribed"], indirect=True)
async def test_a_failing_postcheck_is_rolled_back(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    await click(bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(bot)
    assert done.state == "rolled_back" and "still seen" in done.reason
    assert "rolled back" in thread_text(fake_slack, thread_ts)
    bot.runtime.toolbox.gateway.invalidate(DEVICE)
    config = await bot.runtime.toolbox.get_device_config(DEVICE)
    assert "service-policy output WAN-EDGE-QOS" not in config.running  # the device is as it was


async def test_a_running_config_changed_after_the_proposal_aborts(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    fixture = device_fixture_dir("wan-congestion", DEVICE) / "get_config.1"
    config = json.loads(fixture.read_text())
    config["running"] = merge_lines(config["running"], ["interface GigabitEthernet0/0/1", " description changed by hand"])
    fixture.write_text(json.dumps(config))
    await click(bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(bot)
    assert done.state == "aborted" and "running config changed" in done.reason
    assert "service-policy output WAN-EDGE-QOS" not in json.loads(fixture.read_text())["running"].split("GigabitEthernet0/0/1")[0]


async def test_a_device_lost_after_the_commit_is_reported_as_needing_a_person(bot, fake_slack):
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    lose_after_commit(DEVICE)
    await click(bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(bot)
    assert done.state == "needs_attention" and "revert timer" in done.reason
    assert "needs_attention" in thread_text(fake_slack, thread_ts)


async def test_a_drafted_line_outside_the_grammar_is_refused(bot):
    proposal = await bot.runtime.changes.engine.propose(
        DEVICE, intent="attach the QoS policy", source="claude", requester=OPERATOR, role="operator",
        lines=["interface GigabitEthernet0/0/0", " service-policy output WAN-EDGE-QOS", " ip address 10.9.9.9 255.255.255.0"])
    assert proposal is not None and proposal.state == "refused"
    assert "ip address 10.9.9.9 255.255.255.0" in proposal.reason and not proposal.diff


async def test_a_claude_drafted_line_outside_the_grammar_is_refused_in_the_thread(fake_slack, fake_anthropic, tmp_path,
                                                                                 monkeypatch):
    """Through the user path: an operator's question on the Claude engine (loopback Anthropic
    API), whose diagnosis recommends drafted commands the templates do not know; one line is
    outside the change grammar, so the proposal is refused in the thread, naming the line, and
    no one is asked to approve it."""
    from agents.config import LLMConfig
    from agents.llm.schemas import DiagnosisReport, FindingOut, PlanOut, PlanStepOut, RecommendationOut, RouteOut, SynthesisOut
    from tests.fakes.anthropic_api import text

    rogue = " ip address 10.9.9.9 255.255.255.0"
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_anthropic.url)
    fake_anthropic.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis"], devices=[DEVICE], reasoning="r")))
    fake_anthropic.script("planner", text(PlanOut(reasoning="p", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="why is the branch slow", devices=[DEVICE], depends_on=[])])))
    fake_anthropic.script("specialist:diagnosis", text(DiagnosisReport(
        summary="The WAN uplink is congested and has no queueing policy.",
        findings=[FindingOut(text="GigabitEthernet0/0/0 at 96% with drops", severity="high", device=DEVICE)],
        recommendations=[RecommendationOut(text="Rework the uplink", device=DEVICE, priority=1,
                                           commands=["interface GigabitEthernet0/0/0", " service-policy output WAN-EDGE-QOS", rogue])],
        confidence=0.8, root_cause="congestion", affected_layer="network")))
    fake_anthropic.script("coordinator", text({"gaps": []}))
    fake_anthropic.script("synthesis", text(SynthesisOut(summary="Congested WAN uplink without QoS.", conflicts=[])))
    reset_scenario("wan-congestion")
    b = await start(fake_slack, tmp_path, scenario="wan-congestion", operator=RoleGrants(users=[OPERATOR, SECOND]),
                    llm=LLMConfig(router_margin=100))
    try:
        event = app_mention_event("the branch office is slow, what should we change?", user=OPERATOR)
        assert (await b.post(event))[0] == 200
        thread_ts = event["event"]["ts"]

        def refusal():
            return [m for m in fake_slack.thread("C0NOC", thread_ts) if "Refused before anyone was asked" in json.dumps(m.get("blocks"))]
        [message] = await until(b, refusal)
        assert rogue.strip() in json.dumps(message["blocks"])
        assert proposals(fake_slack, thread_ts) == []  # nothing to approve
        [stored] = await b.runtime.store.changes()
        assert stored.state == "refused" and stored.source == "claude"
    finally:
        await b.running.stop(b.runtime)
        reset_scenario("wan-congestion")


async def test_a_question_that_asks_for_a_change_gets_a_proposal(bot, fake_slack):
    """An operator asks for the change itself (no diagnosis first): the config specialist renders
    it from the templates and the bot proposes it in the thread for a second operator."""
    thread_ts, message = await ask_as_operator(bot, fake_slack, f"apply the QoS policy WAN-EDGE-QOS on {DEVICE} GigabitEthernet0/0/0")
    body = json.dumps(message["blocks"])
    assert "service-policy output WAN-EDGE-QOS" in body and DEVICE in body


async def test_an_unanswered_proposal_expires_on_time_and_its_message_loses_the_buttons(bot, fake_slack):
    """The scheduled sweep (not a click) expires a proposal once its time has passed, on the desk's
    injected clock; the approval message then says so and has no buttons, and a late click is
    refused with the reason."""
    now = [1_000_000.0]
    bot.runtime.changes.set_clock(lambda: now[0])
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    scheduler = bot.runtime.scheduler
    scheduler.start()
    try:
        assert scheduler.scheduler.get_job("changes") is not None  # the sweep is a scheduled job
    finally:
        scheduler.shutdown()

    now[0] += bot.runtime.settings.changes.expiry_s - 1
    await scheduler.run_changes()
    assert (await the_change(bot)).state == "pending"  # one second before its expiry: untouched
    now[0] += 2
    await scheduler.run_changes()
    assert (await the_change(bot)).state == "expired"
    await bot.settle()
    updated = next(m for m in fake_slack.thread("C0NOC", thread_ts) if m["ts"] == message["ts"])
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert "expired" in json.dumps(updated["blocks"]) and "can no longer be approved or rejected" in json.dumps(updated["blocks"])
    assert "*expired*" in thread_text(fake_slack, thread_ts)

    reply = await click(bot, fake_slack, message, thread_ts, SECOND)
    assert "expired without a decision" in reply and "nothing was done" in reply
    assert (await the_change(bot)).state == "expired"
    await scheduler.run_changes()  # a second sweep finds nothing more to do
    steps = [e["step"] for e in await bot.runtime.store.change_events((await the_change(bot)).id)]
    assert steps.count("expired") == 1


async def test_a_lost_device_without_an_armed_timer_is_not_said_to_have_one(bot, fake_slack):
    """The needs-attention text names the device's revert timer only when a commit armed one:
    here the commit itself fails (the device is unreachable from the commit on), so no timer is
    known to run, and the thread says so instead."""
    thread_ts, message = await ask_as_operator(bot, fake_slack)
    inventory = bot.runtime.toolbox.inventory
    device = inventory.get(DEVICE)
    device.optional_args["fail_on_open"] = True  # the lab's unreachable device, from the approval on
    try:
        await click(bot, fake_slack, message, thread_ts, SECOND)
        done = await the_change(bot)
    finally:
        device.optional_args["fail_on_open"] = False
    assert done.state == "needs_attention", done.reason
    assert "revert timer (" not in done.reason and "No revert timer is known to be armed" in done.reason
    assert "No revert timer is known to be armed" in thread_text(fake_slack, thread_ts)


@pytest.mark.parametrize("bot", ["healthy"], indirect=True)
async def test_questions_for_risky_or_impossible_changes_are_rated_or_refused_in_the_thread(bot, fake_slack):
    """Through Slack: a default route and a route over the management subnet are proposed as
    critical with the reason in the approval message; an access port on an interface the device
    does not have, and a route to an address that is not one, get no Approve button."""
    _, text = await ask(bot, fake_slack, "add a default route via 192.0.2.9 on branch-rtr-01")
    assert "*Risk:* :rotating_light: critical" in text and "replaces the default route" in text
    _, text = await ask(bot, fake_slack, "add a static route to 10.20.99.0/24 via 192.0.2.9 on branch-rtr-01")
    assert "covers the device's management address 10.20.99.1" in text
    ts, text = await ask(bot, fake_slack, "configure GigabitEthernet0/0/9 as an access port in vlan 10 on branch-rtr-01")
    assert "GigabitEthernet0/0/9 does not exist on the device" in text and not proposals(fake_slack, ts)
    ts, _ = await ask(bot, fake_slack, "add a static route to 999.999.999.0/24 via 192.0.2.9 on branch-rtr-01")
    assert not proposals(fake_slack, ts)
    states = sorted((p.state, p.risk) for p in await bot.runtime.store.changes())
    assert states.count(("pending", "critical")) == 2 and not [s for s in states if s[0] == "pending" and s[1] != "critical"]
