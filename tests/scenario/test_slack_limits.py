"""A huge answer through the real app path: every message under Slack's total-text limit, the rest
as a file, nothing refused and nothing lost.

The loopback Slack refuses blocks carrying more than 12,000 characters of text in total with
`msg_blocks_too_long`, as Slack does (tests/fakes/slack_api.py, BLOCKS_TEXT_LIMIT); the bot packs
under 10,000 and, past three continuation messages, uploads the rest with
files.getUploadURLExternal + files.completeUploadExternal (slack_sdk's files_upload_v2).
"""

from __future__ import annotations

import json

import pytest

from agents.config import LLMConfig
from agents.llm.schemas import FindingOut, PlanOut, PlanStepOut, RecommendationOut, RouteOut, SynthesisOut, report_model
from agents.models import Specialist
from bot.slack.views.layout import MAX_CONTINUATIONS, MAX_MESSAGE_CHARS, message_chars
from tests.fakes.anthropic_api import fake_anthropic, text  # noqa: F401
from tests.fakes.slack_api import BLOCKS_TEXT_LIMIT, app_mention_event, fake_slack  # noqa: F401
from tests.harness.slack_bot import start

FINDINGS = 160
RECOMMENDATIONS = 60


async def test_the_fake_refuses_blocks_over_the_total_like_slack(fake_slack):
    from slack_sdk.errors import SlackApiError

    client = fake_slack.client()
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    await client.chat_postMessage(channel="C0NOC", text="fits", blocks=[section] * 4)  # 11,600
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel="C0NOC", text="too much", blocks=[section] * 5)  # 14,500
    assert refused.value.response["error"] == "msg_blocks_too_long"
    assert MAX_MESSAGE_CHARS < BLOCKS_TEXT_LIMIT


@pytest.fixture(params=["edit", "stream"])
async def claude_bot(request, fake_slack, fake_anthropic, tmp_path, monkeypatch):
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis"], devices=["edge-rtr-01"], reasoning="why")))
    api.script("planner", text(PlanOut(reasoning="look", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="find the cause", devices=["edge-rtr-01"], depends_on=[])])))
    findings = [FindingOut(text=f"finding-{i:03d}-end: Gi0/{i} input errors rose to {i * 37} per minute since 02:14, CRC and "
                                f"runts both climbing, the optic reads -{i % 9}.{i % 7} dBm " + "(detail) " * 12,
                           severity="medium", device="edge-rtr-01") for i in range(FINDINGS)]
    recs = [RecommendationOut(text=f"recommendation-{i:03d}-end: check the optic on Gi0/{i}",
                              commands=[f"show interfaces Gi0/{i} transceiver detail", f"show logging | include Gi0/{i}"],
                              device="edge-rtr-01", priority=1 + i % 3) for i in range(RECOMMENDATIONS)]
    report = report_model(Specialist("diagnosis"))(summary="Many ports are erroring.", findings=findings, recommendations=recs,
                                                   confidence=0.7, root_cause="failing optics", affected_layer="physical")
    api.script("specialist:diagnosis", text(report))
    api.script("synthesis", text(SynthesisOut(summary="Many ports on edge-rtr-01 are erroring.", conflicts=[])))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
    b = await start(fake_slack, tmp_path, scenario="healthy", llm=LLMConfig(router_margin=100), progress=request.param)
    yield b
    await b.running.stop(b.runtime)


async def test_a_huge_answer_is_posted_under_the_limit_with_the_rest_as_a_file(claude_bot, fake_slack):
    event = app_mention_event("why is edge-rtr-01 dropping packets on so many ports?", channel="C0NOC")
    await claude_bot.post(event)
    await claude_bot.settle(timeout_s=120)

    posts = fake_slack.calls_to("chat.postMessage") + fake_slack.calls_to("chat.update")
    assert posts and all(c.response and c.response.get("ok") for c in posts), [c.response for c in posts if not c.response["ok"]]
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    answer_parts = [m for m in thread if m.get("blocks") and ("NOC answer" in json.dumps(m["blocks"])
                                                              or any(b["type"] == "actions" for b in m["blocks"]))]
    assert len(answer_parts) == 1 + MAX_CONTINUATIONS
    assert all(message_chars(m["blocks"]) <= MAX_MESSAGE_CHARS for m in answer_parts)
    [upload] = [f for f in fake_slack.files.values() if f["filename"].startswith("answer-")]
    assert upload["thread_ts"] == event["event"]["ts"] and fake_slack.calls_to("files.completeUploadExternal")
    assert upload["filename"] in json.dumps(answer_parts[0]["blocks"])  # the main message says where the rest went
    everything = json.dumps([m["blocks"] for m in answer_parts]) + upload["content"].decode()
    for i in range(FINDINGS):
        assert everything.count(f"finding-{i:03d}-end") == 1, i
    for i in range(RECOMMENDATIONS):
        assert everything.count(f"recommendation-{i:03d}-end") == 1, i


async def test_a_crowded_daily_report_fits_one_message(fake_slack, tmp_path):
    """12 long alerts and 12 devices with 5 long problems each: over Slack's total, so the message
    is cut with a note (the full report goes to the thread as a file) and Slack accepts it."""
    from agents.severity import Severity
    from agents.tools import build_toolbox
    from bot.config.settings import Settings, StoreConfig
    from bot.report.blocks import render_report
    from bot.report.build import ReportSources, build_report
    from bot.report.model import AlertItem, DeviceRow, Problem
    from bot.store import Store

    settings = Settings(store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"))
    store = await Store(settings.store.url).open()
    toolbox = build_toolbox(settings.network)
    try:
        from agents.resilience.guard import Resilience

        report = await build_report(ReportSources(settings=settings, store=store, toolbox=toolbox,
                                                  resilience=Resilience(settings.resilience)))
    finally:
        toolbox.gateway.close()
        await store.close()
    alerts = [AlertItem(kind="breaker", severity=Severity.high, title=f"alert-{i:02d} " + "t" * 120, detail="d" * 600)
              for i in range(12)]
    devices = [DeviceRow(device=f"dev-{i:02d}", severity=Severity.high,
                         problems=[Problem(kind="x", severity=Severity.high, message=f"problem {j} " + "p" * 300) for j in range(5)])
               for i in range(12)]
    crowded = report.model_copy(update={"alerts": alerts, "network": report.network.model_copy(update={"devices": devices})})
    text_, blocks = render_report(crowded)
    assert message_chars(blocks) <= MAX_MESSAGE_CHARS and "cut to fit Slack" in json.dumps(blocks)
    await fake_slack.client().chat_postMessage(channel="C0NOC", text=text_, blocks=blocks)  # accepted


async def test_a_message_slack_refuses_anyway_goes_as_a_file_with_its_buttons(fake_slack, tmp_path):
    """Should Slack's total-text limit be lower than measured, the refused message is not retried
    in vain nor lost: its text is uploaded as a file and a short message keeps the buttons."""
    fake_slack.blocks_text_limit = 1500  # a stricter Slack than any report
    b = await start(fake_slack, tmp_path, scenario="wan-congestion", progress="edit")
    try:
        event = app_mention_event("why is the branch office slow?", channel="C0NOC")
        await b.post(event)
        await b.settle(timeout_s=60)
    finally:
        await b.running.stop(b.runtime)
    refused = [c for c in fake_slack.calls_to("chat.postMessage") if c.response.get("error") == "msg_blocks_too_long"]
    assert len(refused) == 1, "a refusal is not retried"
    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    [kept] = [m for m in thread if any(bl.get("type") == "actions" for bl in m.get("blocks") or [])]
    assert "attached as `answer.txt`" in json.dumps(kept["blocks"])
    [upload] = [f for f in fake_slack.files.values() if f["filename"] == "answer.txt"]
    assert upload["thread_ts"] == event["event"]["ts"] and "WAN congestion" in upload["content"].decode()
