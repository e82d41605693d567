"""A viewer never receives configuration or audit findings, whatever path the request takes.

Each test drives the running Slack app (signed HTTP into Bolt, the loopback Slack Web API) the
way a hostile viewer would: a padded question, a thread follow-up after an operator's audit,
Claude routing a step to security (loopback Anthropic server), a specialist chain, buttons
clicked in another channel. Each has a positive control (an operator does get the data), so the
check can fail.
"""

from __future__ import annotations

import json
import random

import pytest

from agents.config import LLMConfig
from agents.llm.schemas import DiagnosisReport, PlanOut, PlanStepOut, RouteOut, SecurityReport, SynthesisOut
from agents.models import MAX_QUESTION_CHARS, Request
from agents.supervisor import Supervisor
from agents.tools.roles import ToolRoles
from bot.config.settings import AccessConfig
from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    text,
    tool_use,
)
from tests.fakes.slack_api import (
    app_mention_event,
    block_action,
    fake_slack,  # noqa: F401
    slash_command,
)
from tests.harness.slack_bot import OPERATOR, answer_message, start

VIEWER = "U123"
DEVICE = "branch-rtr-01"
CONFIG_QUESTION = f"show me the running config of {DEVICE} with the snmp community and the vty passwords"


async def config_markers(toolbox) -> list[str]:
    """Distinctive lines of the device's (redacted) running config: none may reach a viewer."""
    cfg = await toolbox.get_device_config(DEVICE)
    assert cfg.ok
    keep = ("snmp-server", "username", "line vty", "aaa ", "logging host", "ntp server", "enable secret", "transport input")
    # Slack text escapes <, > and &, so lines holding them (the <redacted> marker) cannot be matched.
    return sorted({line.strip() for line in cfg.running.splitlines()
                   if line.strip().startswith(keep) and not set("<>&") & set(line)})


def audit_titles(toolbox) -> list[str]:
    return [rule.title for rule in toolbox.rules]


def everything_posted(fake) -> str:
    """Every message, edit, ephemeral and uploaded file the bot sent to Slack."""
    parts = [json.dumps(c.args, default=str) for c in fake.calls]
    parts += [f["content"].decode(errors="replace") if isinstance(f.get("content"), bytes) else str(f.get("content"))
              for f in fake.files.values()]
    return "\n".join(parts)


def leaks(body: str, markers: list[str], titles: list[str]) -> list[str]:
    return [m for m in markers if m in body] + [t for t in titles if t in body]


async def test_padded_config_question_is_authorised_on_the_text_that_is_answered(bot, fake_slack):
    markers, titles = await config_markers(bot.runtime.toolbox), audit_titles(bot.runtime.toolbox)
    assert len(markers) >= 3
    padding = " please" * ((MAX_QUESTION_CHARS - len(CONFIG_QUESTION)) // 7 + 10)
    question = CONFIG_QUESTION + padding + " it is down, troubleshoot why the link keeps flapping and dropping packets"
    await bot.post(app_mention_event(question, user=VIEWER))
    await bot.post(slash_command("/noc", question, user=VIEWER))
    await bot.settle()
    assert leaks(everything_posted(fake_slack), markers, titles) == []
    assert len(fake_slack.calls_to("chat.postEphemeral")) == 2  # both denied at the listener, on the cut text

    # positive control: the operator asking the same gets the configuration
    await bot.post(app_mention_event(question, user=OPERATOR))
    await bot.settle()
    assert any(m in everything_posted(fake_slack) for m in markers)


async def test_viewer_follow_up_in_an_operators_audit_thread_gets_no_findings(bot, fake_slack):
    titles = audit_titles(bot.runtime.toolbox)
    first = app_mention_event(f"audit the security of {DEVICE}", user=OPERATOR)
    await bot.post(first)
    await bot.settle()
    root = first["event"]["ts"]
    operator_view = json.dumps(fake_slack.thread("C0NOC", root))
    seen = [t for t in titles if t in operator_view]
    assert seen, "the operator's audit shows findings (positive control)"

    before_files = set(fake_slack.files)
    before_calls = len(fake_slack.calls)
    await bot.post(app_mention_event("write an incident report", user=VIEWER, thread_ts=root, ts=None))
    await bot.settle()
    later = [json.dumps(c.args, default=str) for c in fake_slack.calls[before_calls:]]
    later += [str(f.get("content")) for fid, f in fake_slack.files.items() if fid not in before_files]
    body = "\n".join(later)
    assert [t for t in seen if t in body] == []
    assert "need the operator role" in body  # the withheld context is named, not silently dropped


async def test_buttons_from_another_channel_find_nothing(bot, fake_slack):
    event = app_mention_event(f"audit the security of {DEVICE}", user=OPERATOR, channel="C0SECRET")
    await bot.post(event)
    await bot.settle()
    answer = answer_message(fake_slack.thread("C0SECRET", event["event"]["ts"]))
    request_id = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    elsewhere = app_mention_event("is anything wrong?", user=VIEWER, channel="C0PUBLIC")
    await bot.post(elsewhere)
    await bot.settle()
    there = answer_message(fake_slack.thread("C0PUBLIC", elsewhere["event"]["ts"]))
    before = len(fake_slack.calls)
    for action in ("noc_details", "noc_rerun", "noc_feedback_up"):
        await bot.post(block_action(action, request_id, user=VIEWER, channel="C0PUBLIC", message_ts=there["ts"]))
    await bot.post(block_action("noc_feedback_down", "x" * 5000, user=VIEWER, channel="C0PUBLIC", message_ts=there["ts"]))
    await bot.settle()
    later = fake_slack.calls[before:]
    assert [c.method for c in later] == ["chat.postEphemeral"] * 4
    assert all("not found here" in c.args["text"] for c in later)
    assert await bot.runtime.store.feedback(request_id) == []
    body = json.dumps([c.args for c in later])
    assert leaks(body, [], audit_titles(bot.runtime.toolbox)) == []


async def test_details_of_an_operator_answer_need_operator(bot, fake_slack):
    event = app_mention_event(f"audit the security of {DEVICE}", user=OPERATOR)
    await bot.post(event)
    await bot.settle()
    answer = answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))
    request_id = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    before = len(fake_slack.calls)
    await bot.post(block_action("noc_details", request_id, user=VIEWER, message_ts=answer["ts"]))
    await bot.post(block_action("noc_rerun", request_id, user=VIEWER, message_ts=answer["ts"]))
    await bot.settle()
    body = "\n".join(json.dumps(c.args, default=str) for c in fake_slack.calls[before:])
    assert leaks(body, [], audit_titles(bot.runtime.toolbox)) == []
    assert "needs the *operator* role" in body


# -- Claude routing, planning and specialist chains ------------------------------------------


async def test_claude_routed_security_step_and_chain_are_gated(fake_slack, fake_anthropic, tmp_path, monkeypatch):
    api = fake_anthropic
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    api.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis", "security"], devices=[DEVICE], reasoning="r")))
    api.script("planner", text(PlanOut(reasoning="p", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="why is bgp down", devices=[DEVICE], depends_on=[]),
        PlanStepOut(id="s2", agent="security", instruction="audit it", devices=[DEVICE], depends_on=[])])))
    api.script("specialist:diagnosis",
               tool_use(("get_device_config", {"device": DEVICE}), ("check_routing_protocol", {"device": DEVICE, "protocol": "bgp"}),
                        ("ask_specialist", {"specialist": "config", "request": "show the running config", "devices": [DEVICE]})),
               text(DiagnosisReport(summary="bgp state read", findings=[], recommendations=[], confidence=0.8,
                                    root_cause="unknown", affected_layer="network")))
    api.script("specialist:config", tool_use(("get_device_config", {"device": DEVICE})),
               text(DiagnosisReport(summary="config", findings=[], recommendations=[], confidence=0.5, root_cause="-", affected_layer="-")))
    api.script("specialist:security", tool_use(("scan_security_vulnerabilities", {"device": DEVICE})),
               text(SecurityReport(summary="audit", findings=[], recommendations=[], confidence=0.5, risk_scores={})))
    api.script("coordinator", text({"gaps": []}))
    api.script("synthesis", text(SynthesisOut(summary="summary", conflicts=[])))

    b = await start(fake_slack, tmp_path, scenario="bgp-peer-down", llm=LLMConfig(router_margin=100))
    try:
        markers, titles = await config_markers(b.runtime.toolbox), audit_titles(b.runtime.toolbox)
        event = app_mention_event("why can't the branch reach HQ over BGP?", user=VIEWER)
        await b.post(event)
        await b.settle()
        sent = json.dumps(api.requests)
        assert leaks(sent, markers, titles) == []
        assert "needs operator: skipped the running config of branch-rtr-01" in sent  # the model is told why
        offered = {t["name"] for body in api.requests_for("specialist:security") for t in body.get("tools", [])}
        assert offered and "scan_security_vulnerabilities" not in offered
        posted = everything_posted(fake_slack)
        assert leaks(posted, markers, titles) == []
        assert "needs operator: skipped the security audit of branch-rtr-01" in posted
    finally:
        await b.running.stop(b.runtime)


@pytest.fixture
def bot_options():
    """The lab with management-plane findings on branch-rtr-01, so an audit has something to leak."""
    return {"scenario": "insecure-mgmt"}


# -- property-style: random question x role x path through the engine -----------------------

QUESTIONS = [
    CONFIG_QUESTION, f"audit the security of {DEVICE}", "why is the branch office slow?", "is telnet enabled anywhere?",
    f"why is bgp down on {DEVICE}?", "write an incident report", f"does {DEVICE} have unsaved config changes?",
    "check the snmp communities and vty lines on all routers", "what is wrong with the network?",
]


async def test_random_questions_roles_and_paths_never_give_a_viewer_config_or_findings(make_toolbox):
    rng = random.Random(20261127)
    toolbox = make_toolbox("insecure-mgmt")
    markers, titles = await config_markers(toolbox), audit_titles(toolbox)
    operator_answer = await Supervisor(toolbox).run(Request.from_text(f"audit the security of {DEVICE}", role="operator"))
    prior = [f for f in operator_answer.findings]
    assert any(t in operator_answer.model_dump_json() for t in titles)  # positive control
    for _ in range(24):
        question, role = rng.choice(QUESTIONS), rng.choice(["viewer", "viewer", "operator"])
        path = rng.choice(["direct", "padded", "thread"])
        text_in = question + (" x" * 3000 + " troubleshoot the flapping link" if path == "padded" else "")
        request = Request.from_text(text_in, role=role)
        if path == "thread" and role == "operator":
            request.context_findings = prior
        answer = await Supervisor(toolbox, tool_roles=ToolRoles()).run(request)
        body = answer.model_dump_json()
        if role == "viewer":
            assert leaks(body, markers, titles) == [], (question, path)
            assert answer.data_role == "viewer"
        assert all(n.startswith("needs operator") for n in answer.notices if "needs" in n and "skipped" in n)


async def test_tool_roles_are_configurable(fake_slack, tmp_path):
    """An admin who lets viewers read configuration gets exactly that, and nothing more."""
    b = await start(fake_slack, tmp_path, scenario="insecure-mgmt", tool_roles={"get_device_config": "viewer"})
    try:
        markers, titles = await config_markers(b.runtime.toolbox), audit_titles(b.runtime.toolbox)
        shown = app_mention_event(f"show me the running config of {DEVICE}", user=VIEWER)
        audit = app_mention_event(f"audit the security of {DEVICE}", user=VIEWER)
        await b.post(shown)
        await b.post(audit)
        await b.settle()
        posted = everything_posted(fake_slack)
        assert any(m in posted for m in markers)
        assert leaks(posted, [], titles) == []
    finally:
        await b.running.stop(b.runtime)


def test_unknown_tool_in_tool_roles_is_a_config_error():
    with pytest.raises(ValueError, match="unknown tool"):
        AccessConfig(tool_roles={"get_everything": "viewer"})
    assert ToolRoles().needed("some_new_tool") == "admin"  # a tool without a role is closed



async def test_command_roles_are_data_in_the_settings(fake_slack, tmp_path):
    """`/noc-audit` needs operator by default; `access.command_roles` lets viewers run it, and the
    audit's data still needs what `access.tool_roles` says (the command role opens the door only)."""
    b = await start(fake_slack, tmp_path, scenario="insecure-mgmt")
    try:
        await b.post(slash_command("/noc-audit", "branch-rtr-01", user=VIEWER))
        await b.settle()
        assert any("`/noc-audit` needs the *operator* role" in e["text"] for e in fake_slack.ephemerals)
        assert not [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    finally:
        await b.running.stop(b.runtime)
    fake_slack.ephemerals.clear()
    b = await start(fake_slack, tmp_path / "open", scenario="insecure-mgmt", command_roles={"/noc-audit": "viewer"},
                    tool_roles={"scan_security_vulnerabilities": "viewer"})
    try:
        await b.post(slash_command("/noc-audit", "branch-rtr-01", user=VIEWER))
        await b.settle()
        assert not any("needs the" in e["text"] for e in fake_slack.ephemerals)
        [root] = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
        thread = fake_slack.thread("C0NOC", root["ts"])
        assert "risk" in "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in thread).lower()
    finally:
        await b.running.stop(b.runtime)


def test_unknown_command_in_command_roles_is_a_config_error():
    with pytest.raises(ValueError, match="unknown command"):
        AccessConfig(command_roles={"/noc-everything": "viewer"})
    assert AccessConfig().command_role("/noc-audit") == "operator" and AccessConfig().command_role("/noc-new") == "admin"
    assert AccessConfig(command_roles={"/noc-health": "operator"}).command_role("/noc-health") == "operator"
