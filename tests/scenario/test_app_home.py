"""The Messages tab and App Home through the HTTP app and the loopback Slack fake.

A new assistant thread gets suggested prompts that name a real lab interface and device; the
Home tab shows the latest report's headline, the breakers and the user's own requests (never
another user's), and a failing read still publishes a view that says what is missing.
"""

from __future__ import annotations

import json

from slack_sdk.models.views import View

from agents.tools.results import TrafficAnalysis
from bot.report.home_view import MAX_VIEW_BLOCKS, HomeData, render_home
from bot.slack.suggestions import STATIC_PROMPTS, PromptChooser, busiest, prompts_for, riskiest
from tests.fakes.slack_api import dm_event, event_callback, fake_slack, next_ts  # noqa: F401

ALICE, BOB = "UALICE", "UBOB"


def thread_started(user: str = ALICE, channel: str = "D0NOC") -> dict:
    """An `assistant_thread_started` event as Slack sends it when a user opens a new thread."""
    ts = next_ts()
    return event_callback({"type": "assistant_thread_started", "event_ts": ts, "assistant_thread": {
        "user_id": user, "channel_id": channel, "thread_ts": ts,
        "context": {"channel_id": "C0NOC", "team_id": "T0NOC", "enterprise_id": None}}})


def home_opened(user: str = ALICE, tab: str = "home") -> dict:
    ts = next_ts()
    return event_callback({"type": "app_home_opened", "user": user, "channel": "D0NOC", "tab": tab, "event_ts": ts})


def view_text(view: dict) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


# -- the Messages tab: thread titles ---------------------------------------------------------


async def test_an_assistant_threads_first_question_becomes_its_title(bot, fake_slack):
    started = thread_started()
    thread_ts = started["event"]["assistant_thread"]["thread_ts"]
    await bot.post(started)
    first = "why is the branch office slow? " + "it has been crawling since the morning " * 5
    await bot.post(dm_event(first, user=ALICE, thread_ts=thread_ts))
    await bot.settle()
    await bot.post(dm_event("and is the edge router busy too?", user=ALICE, thread_ts=thread_ts))
    await bot.settle()
    titles = fake_slack.thread_titles[("D0NOC", thread_ts)]
    assert len(titles) == 1 and titles[0].startswith("why is the branch office slow?") and len(titles[0]) <= 80


async def test_a_plain_dm_outside_an_assistant_thread_gets_no_title(bot, fake_slack):
    await bot.post(dm_event("is anything wrong with the network?", user=ALICE))
    await bot.settle()
    assert fake_slack.thread_titles == {}


# -- the Messages tab: suggested prompts ------------------------------------------------------


async def test_thread_started_suggests_prompts_naming_a_real_interface_and_device(bot, fake_slack):
    body = thread_started()
    status, _ = await bot.post(body)
    assert status == 200
    await bot.settle()
    [call] = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert call.response["ok"] is True
    thread = body["event"]["assistant_thread"]
    assert call.args["channel_id"] == thread["channel_id"] and call.args["thread_ts"] == thread["thread_ts"]
    prompts = call.args["prompts"]
    assert 1 <= len(prompts) <= 4 and all(p["title"] and p["message"] for p in prompts)
    # wan-congestion: the branch WAN circuit runs at 96% and drops packets
    assert prompts[0]["message"] == "Why is branch-rtr-01 GigabitEthernet0/0/0 dropping packets?"
    devices = {d.name for d in bot.runtime.toolbox.inventory.filter()}
    audit = next(p for p in prompts if p["message"].startswith("Audit "))
    assert audit["message"].removeprefix("Audit ") in devices
    assert any("wrong with the network" in p["message"] for p in prompts)
    assert any(p["message"].startswith("How do I") for p in prompts)


async def test_prompts_are_cached_between_threads(bot, fake_slack):
    toolbox = bot.runtime.toolbox
    reads: list[str] = []
    real = toolbox.analyze_traffic_patterns

    async def counting(device, interface=None):
        reads.append(device)
        return await real(device, interface)

    toolbox.analyze_traffic_patterns = counting  # type: ignore[method-assign]
    for _ in range(3):
        await bot.post(thread_started())
        await bot.settle()
    calls = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert len(calls) == 3 and len({json.dumps(c.args["prompts"]) for c in calls}) == 1
    assert sorted(reads) == sorted(d.name for d in toolbox.inventory.filter()), "one sweep for three threads"


async def test_prompts_fall_back_to_static_ones_when_the_network_cannot_be_read(bot, fake_slack):
    async def broken(*args, **kwargs):
        raise ConnectionError("gateway down")

    bot.runtime.toolbox.analyze_traffic_patterns = broken  # type: ignore[method-assign]
    bot.runtime.toolbox.scan_security_vulnerabilities = broken  # type: ignore[method-assign]
    await bot.post(thread_started())
    await bot.settle()
    [call] = fake_slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert call.response["ok"] is True and call.args["prompts"] == STATIC_PROMPTS


async def test_a_thread_started_event_without_a_thread_is_ignored(bot, fake_slack):
    body = event_callback({"type": "assistant_thread_started", "event_ts": next_ts(), "assistant_thread": {"user_id": ALICE}})
    status, _ = await bot.post(body)
    assert status == 200
    await bot.settle()
    assert fake_slack.calls_to("assistant.threads.setSuggestedPrompts") == []


async def test_context_changed_is_acknowledged(bot, fake_slack):
    body = thread_started()
    body["event"]["type"] = "assistant_thread_context_changed"
    status, _ = await bot.post(body)
    assert status == 200
    await bot.settle()
    assert fake_slack.calls_to("assistant.threads.setSuggestedPrompts") == [] and not fake_slack.unknown_methods


# -- App Home ---------------------------------------------------------------------------------


async def test_home_shows_the_report_headline_breakers_and_only_the_users_own_requests(bot, fake_slack):
    await bot.post(dm_event("why is the branch office slow?", user=ALICE))
    await bot.post(dm_event("is bgp up on edge-rtr-01?", user=BOB))
    await bot.settle()
    await bot.runtime.reports.publish("C0REPORT", kind="daily", day="2025-03-04")
    bot.runtime.resilience.provider.record_failure("auth")  # opens at once

    status, _ = await bot.post(home_opened(ALICE))
    assert status == 200
    await bot.settle()
    [call] = fake_slack.calls_to("views.publish")
    assert call.response["ok"] is True and call.args["user_id"] == ALICE
    view = call.args["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= MAX_VIEW_BLOCKS
    text = view_text(view)
    assert "Daily report 2025-03-04" in text and "11 devices checked" in text
    assert "branch-rtr-01" in text, "the device that needs attention is named"
    assert "`llm-provider` open" in text
    assert "why is the branch office slow?" in text and "answered" in text
    assert "edge-rtr-01?" not in text, "Bob's question is not on Alice's home tab"
    View(**view).validate_json()


async def test_home_for_a_new_user_says_what_is_not_there_yet(bot, fake_slack):
    await bot.post(home_opened(BOB))
    await bot.settle()
    [call] = fake_slack.calls_to("views.publish")
    text = view_text(call.args["view"])
    breakers = 1 + len(bot.runtime.resilience.snapshot()["instances"])
    assert "No health report yet" in text and f"All {breakers} breakers closed" in text and "Nothing yet" in text


async def test_a_failing_read_still_publishes_a_view(bot, fake_slack):
    async def broken(*args, **kwargs):
        raise RuntimeError("store down")

    def no_snapshot():
        raise RuntimeError("no breakers")

    bot.runtime.store.last_health_sweep = broken  # type: ignore[method-assign]
    bot.runtime.store.requests = broken  # type: ignore[method-assign]
    bot.runtime.resilience.snapshot = no_snapshot  # type: ignore[method-assign]
    await bot.post(home_opened(ALICE))
    await bot.settle()
    [call] = fake_slack.calls_to("views.publish")
    assert call.response["ok"] is True
    text = view_text(call.args["view"])
    assert text.count(":warning:") == 3 and "RuntimeError" in text and "store down" not in text


async def test_the_messages_tab_publishes_no_home_view(bot, fake_slack):
    await bot.post(home_opened(ALICE, tab="messages"))
    await bot.settle()
    assert fake_slack.calls_to("views.publish") == []


# -- units: the view's limits and the prompt choice ------------------------------------------


def test_home_view_stays_within_block_kit_limits_however_much_there_is():
    rows = [{"device": f"sw-{i:03d}", "severity": "high", "problems": [{"kind": "x", "severity": "high", "message": "<b>" * 900}]}
            for i in range(400)]
    data = HomeData(user=ALICE, now=1_700_000_000.0, sweep={"at": 1_700_000_000.0, "request_id": "report:daily:2023-11-14",
                                                            "result": {"devices": rows}},
                    breakers=[(f"agent/{i}", "open") for i in range(300)],
                    requests=[{"id": f"{i:012x}", "status": "answered", "created_at": 1_699_999_000.0, "channel": "C0NOC",
                               "question": "why? " * 400, "summary": "& " * 2000} for i in range(200)])
    view = render_home(data)
    assert len(view["blocks"]) <= MAX_VIEW_BLOCKS
    View(**view).validate_json()
    assert "&lt;b&gt;" in view_text(view) and "…and 395 more" in view_text(view)


def _traffic(device: str, *rows: tuple[str, float, int]) -> TrafficAnalysis:
    return TrafficAnalysis.model_validate({"tool": "analyze_traffic_patterns", "device": device, "interfaces": [
        {"name": n, "speed_mbps": 100.0, "in_mbps": 0, "out_mbps": 0, "in_util_pct": 0, "out_util_pct": u,
         "rx_errors_delta": 0, "tx_errors_delta": 0, "rx_discards_delta": 0, "tx_discards_delta": d} for n, u, d in rows]})


def test_a_dropping_interface_beats_a_busier_clean_one_and_exposed_devices_win_ties():
    hot = busiest([_traffic("a", ("Eth1", 99.0, 0)), _traffic("b", ("Gi0", 60.0, 12))])
    assert hot is not None and (hot.device, hot.interface) == ("b", "Gi0")
    quiet = busiest([_traffic("a", ("Eth1", 40.0, 0))])
    assert prompts_for(quiet, None)[0]["message"] == "Why is a Eth1 so busy?"
    from agents.tools.results import SecurityScan
    scans = [SecurityScan(tool="scan_security_vulnerabilities", device=d, risk_score=0) for d in ("core", "edge")]
    risk = riskiest(scans, {"core": "core", "edge": "wan-edge"})
    assert risk is not None and risk.device == "edge"


async def test_chooser_retries_the_network_after_a_failed_sweep_but_not_at_once():
    now = [0.0]

    class Toolbox:
        inventory = type("Inv", (), {"filter": staticmethod(lambda: [])})()

    chooser = PromptChooser(Toolbox(), ttl_s=300, retry_s=60, clock=lambda: now[0])  # type: ignore[arg-type]
    calls = []
    real = chooser._survey

    async def survey():
        calls.append(now[0])
        return await real()

    chooser._survey = survey  # type: ignore[method-assign]
    assert await chooser.prompts() == STATIC_PROMPTS
    now[0] = 30.0
    await chooser.prompts()
    now[0] = 61.0
    await chooser.prompts()
    assert calls == [0.0, 61.0]
