"""Human-approved changes end to end: the Slack app on the loopback Slack API, on the lab.

An operator's question becomes a proposal in its thread; a second operator approves; the change
is merged, compared, committed with a revert timer, post-checked and confirmed (or rolled back),
and every step is posted and stored. Refusals change nothing and are told only to the clicker.
Expiry runs on an injected clock: no sleeps, no timing.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from agents.lab import device_fixture_dir
from agents.lab.merge import merge_lines
from agents.lab.stateful import lose_after_commit, reset_scenario
from bot.config.settings import RoleGrants
from tests.fakes.anthropic_api import fake_anthropic  # noqa: F401
from tests.fakes.slack_api import app_mention_event, block_action, fake_slack  # noqa: F401
from tests.test_slack_app import OPERATOR, start

SECOND = "UOPS2"
VIEWER = "U123"
QUESTION = "why is the branch office slow?"
DEVICE = "branch-rtr-01"


@pytest.fixture
async def lab_bot(fake_slack, tmp_path, request):
    scenario = getattr(request, "param", "wan-congestion")
    reset_scenario(scenario)
    b = await start(fake_slack, tmp_path, scenario=scenario, operator=RoleGrants(users=[OPERATOR, SECOND]))
    yield b
    await b.running.stop(b.runtime)
    lose_after_commit(DEVICE, False)
    reset_scenario(scenario)


def _proposals(fake, thread_ts: str) -> list[dict]:
    return [m for m in fake.thread("C0NOC", thread_ts)
            if any(e.get("action_id") == "noc_change_approve" for b in m.get("blocks") or [] if b["type"] == "actions"
                   for e in b["elements"])]


async def until(bot, found):
    """Settle until `found()` returns something: a cold first request can take longer to reach
    its listener than settle's quiet spell."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not found() and loop.time() < deadline:
        await bot.settle()
        await asyncio.sleep(0.05)
    result = found()
    assert result, "nothing arrived"
    return result


async def proposal_message(bot, fake, thread_ts: str) -> dict:
    return (await until(bot, lambda: _proposals(fake, thread_ts)))[0]


async def ask_as_operator(bot, fake, question: str = QUESTION) -> tuple[str, dict]:
    event = app_mention_event(question, user=OPERATOR)
    status, _ = await bot.post(event)
    assert status == 200
    thread_ts = event["event"]["ts"]
    return thread_ts, await proposal_message(bot, fake, thread_ts)


async def click(bot, fake, message: dict, thread_ts: str, user: str, action: str = "noc_change_approve",
                channel: str = "C0NOC") -> str:
    change_id = next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"])
    before = len(fake.ephemerals)
    await bot.post(block_action(action, change_id, user=user, channel=channel, message_ts=message["ts"], thread_ts=thread_ts))
    told = await until(bot, lambda: [e for e in fake.ephemerals[before:] if e.get("user") == user])
    await bot.settle()
    return told[-1]["text"]


def thread_text(fake, thread_ts: str) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in fake.thread("C0NOC", thread_ts))


async def the_change(bot):
    [proposal] = await bot.runtime.store.changes()
    return proposal


async def test_question_proposal_second_operator_approves_commit_postcheck_confirm(lab_bot, fake_slack):
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    body = json.dumps(message["blocks"])
    assert "service-policy output WAN-EDGE-QOS" in body and "Pre-checks" in body and "Risk" in body
    proposal = await the_change(lab_bot)
    assert proposal.state == "pending" and proposal.requester == OPERATOR and proposal.kind == "qos_policy"
    assert proposal.lines == ["interface GigabitEthernet0/0/0", " service-policy output WAN-EDGE-QOS"]
    assert {s.kind for s in proposal.symptoms} >= {"high_utilisation"}

    reply = await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    assert "Approved" in reply
    done = await the_change(lab_bot)
    assert done.state == "confirmed" and done.approver == SECOND
    steps = [e["step"] for e in await lab_bot.runtime.store.change_events(done.id)]
    assert steps == ["proposed", "approved", "merge", "commit", "post-check", "confirmed"]
    events = await lab_bot.runtime.store.change_events(done.id)
    assert all(e["diff_hash"] == done.diff_hash for e in events) and events[1]["actor"] == SECOND
    text = thread_text(fake_slack, thread_ts)
    assert "revert timer" in text and "post-check" in text and "confirm_commit" in text

    # a double click after the decision changes nothing
    assert "already confirmed" in await click(lab_bot, fake_slack, message, thread_ts, SECOND)

    # a later question no longer finds the congestion
    later = app_mention_event(QUESTION, user=VIEWER)
    await lab_bot.post(later)
    answered = await until(lab_bot, lambda: [m for m in fake_slack.thread("C0NOC", later["event"]["ts"])
                                             if "noc_rerun" in json.dumps(m.get("blocks") or [])])
    answer = json.dumps(answered[0]["blocks"])
    assert "branch-rtr-01" in answer and "96%" not in answer and "WAN congestion" not in answer
    assert len(await lab_bot.runtime.store.changes()) == 1  # a viewer's question proposes nothing


async def test_self_approval_viewer_and_foreign_channel_are_refused(lab_bot, fake_slack):
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    assert "two-person" in await click(lab_bot, fake_slack, message, thread_ts, OPERATOR)
    assert "operator" in await click(lab_bot, fake_slack, message, thread_ts, VIEWER)
    assert "not found here" in await click(lab_bot, fake_slack, message, thread_ts, SECOND, channel="C0OTHER")
    assert (await the_change(lab_bot)).state == "pending"
    # the requester may withdraw (reject) their own proposal
    assert "Rejected" in await click(lab_bot, fake_slack, message, thread_ts, OPERATOR, action="noc_change_reject")
    assert (await the_change(lab_bot)).state == "rejected"


async def test_a_click_after_expiry_changes_nothing(lab_bot, fake_slack):
    now = [1_000_000.0]
    lab_bot.runtime.changes.set_clock(lambda: now[0])
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    now[0] += lab_bot.runtime.settings.changes.expiry_s + 1
    assert "expired" in await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    assert (await the_change(lab_bot)).state == "expired"


@pytest.mark.parametrize("lab_bot", ["wan-oversubscribed"], indirect=True)
async def test_a_failing_postcheck_is_rolled_back(lab_bot, fake_slack):
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(lab_bot)
    assert done.state == "rolled_back" and "still seen" in done.reason
    assert "rolled back" in thread_text(fake_slack, thread_ts)
    lab_bot.runtime.toolbox.gateway.invalidate(DEVICE)
    config = await lab_bot.runtime.toolbox.get_device_config(DEVICE)
    assert "service-policy output WAN-EDGE-QOS" not in config.running  # the device is as it was


async def test_a_running_config_changed_after_the_proposal_aborts(lab_bot, fake_slack):
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    fixture = device_fixture_dir("wan-congestion", DEVICE) / "get_config.1"
    config = json.loads(fixture.read_text())
    config["running"] = merge_lines(config["running"], ["interface GigabitEthernet0/0/1", " description changed by hand"])
    fixture.write_text(json.dumps(config))
    await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(lab_bot)
    assert done.state == "aborted" and "running config changed" in done.reason
    assert "service-policy output WAN-EDGE-QOS" not in json.loads(fixture.read_text())["running"].split("GigabitEthernet0/0/1")[0]


async def test_a_device_lost_after_the_commit_is_reported_as_needing_a_person(lab_bot, fake_slack):
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    lose_after_commit(DEVICE)
    await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    done = await the_change(lab_bot)
    assert done.state == "needs_attention" and "revert timer" in done.reason
    assert "needs_attention" in thread_text(fake_slack, thread_ts)


async def test_a_drafted_line_outside_the_grammar_is_refused(lab_bot):
    proposal = await lab_bot.runtime.changes.engine.propose(
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
        assert _proposals(fake_slack, thread_ts) == []  # nothing to approve
        [stored] = await b.runtime.store.changes()
        assert stored.state == "refused" and stored.source == "claude"
    finally:
        await b.running.stop(b.runtime)
        reset_scenario("wan-congestion")


async def test_a_question_that_asks_for_a_change_gets_a_proposal(lab_bot, fake_slack):
    """An operator asks for the change itself (no diagnosis first): the config specialist renders
    it from the templates and the bot proposes it in the thread for a second operator."""
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack, f"apply the QoS policy WAN-EDGE-QOS on {DEVICE} GigabitEthernet0/0/0")
    body = json.dumps(message["blocks"])
    assert "service-policy output WAN-EDGE-QOS" in body and DEVICE in body


async def test_an_unanswered_proposal_expires_on_time_and_its_message_loses_the_buttons(lab_bot, fake_slack):
    """The scheduled sweep (not a click) expires a proposal once its time has passed, on the desk's
    injected clock; the approval message then says so and has no buttons, and a late click is
    refused with the reason."""
    now = [1_000_000.0]
    lab_bot.runtime.changes.set_clock(lambda: now[0])
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    scheduler = lab_bot.runtime.scheduler
    scheduler.start()
    try:
        assert scheduler.scheduler.get_job("changes") is not None  # the sweep is a scheduled job
    finally:
        scheduler.shutdown()

    now[0] += lab_bot.runtime.settings.changes.expiry_s - 1
    await scheduler.run_changes()
    assert (await the_change(lab_bot)).state == "pending"  # one second before its expiry: untouched
    now[0] += 2
    await scheduler.run_changes()
    assert (await the_change(lab_bot)).state == "expired"
    await lab_bot.settle()
    updated = next(m for m in fake_slack.thread("C0NOC", thread_ts) if m["ts"] == message["ts"])
    assert not [b for b in updated["blocks"] if b["type"] == "actions"]
    assert "expired" in json.dumps(updated["blocks"]) and "can no longer be approved or rejected" in json.dumps(updated["blocks"])
    assert "*expired*" in thread_text(fake_slack, thread_ts)

    reply = await click(lab_bot, fake_slack, message, thread_ts, SECOND)
    assert "expired without a decision" in reply and "nothing was done" in reply
    assert (await the_change(lab_bot)).state == "expired"
    await scheduler.run_changes()  # a second sweep finds nothing more to do
    steps = [e["step"] for e in await lab_bot.runtime.store.change_events((await the_change(lab_bot)).id)]
    assert steps.count("expired") == 1


async def test_a_lost_device_without_an_armed_timer_is_not_said_to_have_one(lab_bot, fake_slack):
    """The needs-attention text names the device's revert timer only when a commit armed one:
    here the commit itself fails (the device is unreachable from the commit on), so no timer is
    known to run, and the thread says so instead."""
    thread_ts, message = await ask_as_operator(lab_bot, fake_slack)
    inventory = lab_bot.runtime.toolbox.inventory
    device = inventory.get(DEVICE)
    device.optional_args["fail_on_open"] = True  # the lab's unreachable device, from the approval on
    try:
        await click(lab_bot, fake_slack, message, thread_ts, SECOND)
        done = await the_change(lab_bot)
    finally:
        device.optional_args["fail_on_open"] = False
    assert done.state == "needs_attention", done.reason
    assert "revert timer (" not in done.reason and "No revert timer is known to be armed" in done.reason
    assert "No revert timer is known to be armed" in thread_text(fake_slack, thread_ts)


async def _ask(bot, fake, question: str) -> tuple[str, str]:
    event = app_mention_event(question, user=OPERATOR)
    await bot.post(event)
    ts = event["event"]["ts"]
    await until(bot, lambda: [m for m in fake.thread("C0NOC", ts) if "noc_rerun" in json.dumps(m.get("blocks") or [])])
    await bot.settle()
    return ts, thread_text(fake, ts)


@pytest.mark.parametrize("lab_bot", ["healthy"], indirect=True)
async def test_questions_for_risky_or_impossible_changes_are_rated_or_refused_in_the_thread(lab_bot, fake_slack):
    """Through Slack: a default route and a route over the management subnet are proposed as
    critical with the reason in the approval message; an access port on an interface the device
    does not have, and a route to an address that is not one, get no Approve button."""
    _, text = await _ask(lab_bot, fake_slack, "add a default route via 192.0.2.9 on branch-rtr-01")
    assert "*Risk:* :rotating_light: critical" in text and "replaces the default route" in text
    _, text = await _ask(lab_bot, fake_slack, "add a static route to 10.20.99.0/24 via 192.0.2.9 on branch-rtr-01")
    assert "covers the device's management address 10.20.99.1" in text
    ts, text = await _ask(lab_bot, fake_slack, "configure GigabitEthernet0/0/9 as an access port in vlan 10 on branch-rtr-01")
    assert "GigabitEthernet0/0/9 does not exist on the device" in text and not _proposals(fake_slack, ts)
    ts, _ = await _ask(lab_bot, fake_slack, "add a static route to 999.999.999.0/24 via 192.0.2.9 on branch-rtr-01")
    assert not _proposals(fake_slack, ts)
    states = sorted((p.state, p.risk) for p in await lab_bot.runtime.store.changes())
    assert states.count(("pending", "critical")) == 2 and not [s for s in states if s[0] == "pending" and s[1] != "critical"]
