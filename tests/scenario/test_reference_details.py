"""The reference design's remaining details (issue 18), each through the user's path: `noc ask`
offline and against the loopback Anthropic API, and the Slack app against the loopback Slack API.

Per-specialist tool-turn caps under the global ceiling; the severity vote (most severe or
majority), incident priorities P1-P4 from configuration, and the stakeholder update and lessons
learned that every incident report carries, whichever engine wrote it.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agents.config import EngineConfig, NetworkConfig
from agents.llm.schemas import DocumentationReport, FindingOut, PerformanceReport, PlanOut, PlanStepOut, RouteOut
from agents.specialists.base import definitions
from bot.cli.main import cli
from bot.config.settings import AccessConfig, RoleGrants, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    slow,
    text,
    tool_use,
    wrong_shape,
)
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.claude_script import DIAG, FAST_RETRY, SEC, USAGE, script_happy_path
from tests.harness.slack_bot import SECRET, Bot, answer_message

REPORT_QUESTION = "write an incident report for the bgp outage at the branch"


def _config(tmp_path: Path, engine: dict | None = None, **llm) -> Path:
    path = tmp_path / "noc.yml"
    path.write_text(yaml.safe_dump({"llm": {"router_margin": 100, **llm}, "engine": engine or {},
                                    "resilience": {"retry": {**FAST_RETRY, "attempts": 1}}}))
    return path


def _ask(runner, tmp_path, question, scenario="bgp-peer-down", api=None, engine=None, as_json=True, **llm):
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url} if api else {}
    args = ["--config", str(_config(tmp_path, engine, **llm)), "ask", question, "-s", scenario, "-q"] + (["--json"] if as_json else [])
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout) if as_json else result.stdout


# -- per-specialist step caps ----------------------------------------------------------------------

def test_each_specialist_has_its_own_tool_turn_cap_in_its_spec():
    caps = {d.name.value: d.max_tool_steps for d in definitions().values()}
    assert caps["documentation"] == 3 and caps["diagnosis"] == 8
    assert definitions()[next(iter(definitions()))].tool_steps(5) == 5  # diagnosis: 8, under a ceiling of 5


def test_documentation_stops_at_its_own_cap_below_the_global_one(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:documentation": [tool_use(("search_runbooks", {"query": "bgp"}))]})  # never answers
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=api, max_tool_steps=5, follow_ups=0)
    docs = api.requests_for("specialist:documentation")
    assert len(docs) == 3  # its spec's cap, not the global 5
    assert [b.get("tool_choice") for b in docs] == [None, None, {"type": "none"}]
    assert any("documentation" in n and "no report within 3 steps" in n for n in answer["notices"]), answer["notices"]
    assert len(api.requests_for("specialist:diagnosis")) == 2  # diagnosis answered on its second turn, as scripted


def test_the_global_cap_stays_the_ceiling(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [tool_use(("get_device_health", {"device": "branch-rtr-01"}))]})
    _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=api, max_tool_steps=2, follow_ups=0)
    assert len(api.requests_for("specialist:diagnosis")) == 2  # diagnosis's spec allows 8; llm.max_tool_steps is 2


# -- severity vote and incident priorities ---------------------------------------------------------

THREE_WAY = PlanOut(reasoning="three views", steps=[
    PlanStepOut(id="s1", agent="diagnosis", instruction="find why BGP is down", devices=["branch-rtr-01"], depends_on=[]),
    PlanStepOut(id="s2", agent="security", instruction="is the session authenticated?", devices=["branch-rtr-01"], depends_on=[]),
    PlanStepOut(id="s3", agent="performance", instruction="is the WAN link loaded?", devices=["branch-rtr-01"], depends_on=[]),
])
PERF = PerformanceReport(summary="WAN link at 12%", findings=[FindingOut(text="Gi0/0/0 at 12% utilisation", severity="info",
                         device="branch-rtr-01")], recommendations=[], confidence=0.9, bottlenecks=[])


def _three_way(api):
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "security", "performance"], devices=["branch-rtr-01"], reasoning="x")
    script_happy_path(api, {"router": [text(route, usage=USAGE)], "planner": [text(THREE_WAY, usage=USAGE)],
                            "specialist:diagnosis": [text(DIAG, usage=USAGE)], "specialist:performance": [text(PERF, usage=USAGE)]})


def test_most_severe_wins_by_default(runner, fake_anthropic, tmp_path):
    _three_way(fake_anthropic)
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=fake_anthropic, follow_ups=0)
    assert answer["severity_votes"] == {"diagnosis": "high", "security": "info", "performance": "info"}
    assert (answer["severity"], answer["severity_rule"], answer["incident_priority"]) == ("high", "most_severe", "P2")
    assert any("the most severe rating wins (high)" in n for n in answer["notices"])


def test_majority_vote_mode(runner, fake_anthropic, tmp_path):
    _three_way(fake_anthropic)
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=fake_anthropic, follow_ups=0,
                  engine={"severity_vote": "majority"})
    assert (answer["severity"], answer["severity_rule"], answer["incident_priority"]) == ("info", "majority", "P4")
    assert any("the majority rating wins (info)" in n for n in answer["notices"])


def test_majority_tie_goes_to_the_more_severe():
    from agents.severity import Severity
    from agents.synthesis import majority

    assert majority([Severity.high, Severity.info]) == Severity.high
    assert majority([Severity.low, Severity.low, Severity.critical]) == Severity.low
    assert majority([]) == Severity.info


def test_priorities_are_configurable_and_shown(runner, tmp_path):
    priorities = {"critical": "P1", "high": "P1", "medium": "P2", "low": "P3", "info": "P4"}
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", engine={"incident_priorities": priorities})
    assert answer["severity"] == "high" and answer["incident_priority"] == "P1"
    shown = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", as_json=False, engine={"incident_priorities": priorities})
    assert "Severity: high" in shown and "Priority: P1" in shown


def test_an_unmapped_severity_is_a_config_error():
    try:
        EngineConfig(incident_priorities={"critical": "P1"})
    except ValueError as exc:
        assert "no priority for info, low, medium, high" in str(exc)
    else:
        raise AssertionError("accepted a mapping without every severity")


# -- every incident report: stakeholder update and lessons learned --------------------------------

def _sections(report: str) -> dict[str, str]:
    parts = report.split("\n## ")
    return {p.splitlines()[0]: p for p in parts[1:]}


def test_offline_incident_report_has_priority_stakeholder_update_and_lessons(runner, tmp_path):
    answer = _ask(runner, tmp_path, REPORT_QUESTION)
    report = next(a for a in answer["agents"] if a["agent"] == "documentation")["result"]["incident_report"]
    sections = _sections(report)
    assert "| Priority | P2 |" in report
    update = sections["Stakeholder update"].strip().splitlines()[2:]
    assert len(update) == 1 and update[0].startswith("P2 / SEV2: BGP remote-AS mismatch")
    assert "1 device affected" in update[0] and "next:" in update[0]
    lessons = sections["Lessons learned"]
    assert all(word in lessons for word in ("Detection:", "Prevention:", "Process:"))


def test_claude_incident_report_gets_the_missing_sections(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    written = "# Incident report: BGP down at the branch\n\n## Summary\n\nremote-as mismatch on branch-rtr-01\n"
    docs = DocumentationReport(summary="report written", findings=[], recommendations=[], confidence=0.8,
                               incident_report=written, runbooks=[])
    script_happy_path(api, {"specialist:documentation": [text(docs, usage=USAGE)], "specialist:security": [text(SEC, usage=USAGE)]})
    answer = _ask(runner, tmp_path, REPORT_QUESTION, api=api, follow_ups=0, engine={"incident_priorities": {
        "critical": "P1", "high": "P1", "medium": "P2", "low": "P3", "info": "P4"}})
    report = next(a for a in answer["agents"] if a["agent"] == "documentation")["result"]["incident_report"]
    assert report.startswith(written)  # Claude's text kept as written
    sections = _sections(report)
    assert sections["Stakeholder update"].strip().splitlines()[2].startswith("P1 / SEV2: BGP down at the branch")
    assert "Detection:" in sections["Lessons learned"]


async def test_slack_answer_shows_the_priority_and_the_report_carries_the_sections(fake_slack, tmp_path):
    settings = Settings(
        network=NetworkConfig(scenario="bgp-peer-down"), store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="edit"),
        access=AccessConfig(operator=RoleGrants(users=["UOPS"])),
        engine=EngineConfig(incident_priorities={"critical": "P1", "high": "P1", "medium": "P2", "low": "P3", "info": "P4"}),
    )
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake_slack.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    bot = Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)
    try:
        event = app_mention_event(REPORT_QUESTION)
        await bot.post(event)
        await bot.settle()
        answer = answer_message(fake_slack.thread("C0NOC", event["event"]["ts"]))
        fields = [f["text"] for b in answer["blocks"] for f in b.get("fields", [])]
        assert any(f.startswith("*Severity*") and f.endswith("High · P1") for f in fields), fields
        [upload] = [f for f in fake_slack.files.values() if f["filename"].startswith("incident-report-")]
        content = upload["content"].decode()
        assert "| Priority | P1 |" in content and "\n## Stakeholder update\n" in content and "\n## Lessons learned\n" in content
    finally:
        await running.stop(runtime)


# -- task priorities -------------------------------------------------------------------------------

def test_offline_plan_carries_priorities_and_shows_them(runner, tmp_path):
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?")
    steps = {s["agent"]: s["priority"] for s in answer["plan"]["steps"]}
    assert steps == {"diagnosis": 1, "documentation": 3}  # the primary's step first; the report waits on it
    shown = runner.invoke(cli, ["--config", str(_config(tmp_path)), "ask", "why can't the branch reach HQ over BGP?", "-s", "bgp-peer-down"])
    assert "priority: s1=1, s2=3" in shown.output


def test_llm_limit_serves_the_critical_path_first(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    plan = PlanOut(reasoning="primary listed last", steps=[
        PlanStepOut(id="s1", agent="security", instruction="is the session authenticated?", devices=["branch-rtr-01"], depends_on=[]),
        PlanStepOut(id="s2", agent="performance", instruction="is the WAN link loaded?", devices=["branch-rtr-01"], depends_on=[]),
        PlanStepOut(id="s3", agent="diagnosis", instruction="find why BGP is down", devices=["branch-rtr-01"], depends_on=[]),
    ])
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "security", "performance"], devices=["branch-rtr-01"], reasoning="x")
    # Each reply takes a moment, so the steps that did not get the one LLM slot are all queued when it frees.
    script_happy_path(api, {"router": [text(route)], "planner": [text(plan)], "specialist:security": [slow(0.2, text(SEC))],
                            "specialist:diagnosis": [slow(0.05, text(DIAG))], "specialist:performance": [slow(0.05, text(PERF))]})
    path = tmp_path / "noc.yml"
    # early starts off: the primary would start before the plan and never queue behind the others
    path.write_text(yaml.safe_dump({"llm": {"router_margin": 100, "follow_ups": 0, "early_starts": False},
                                    "resilience": {"max_concurrent_llm_calls": 1, "retry": {**FAST_RETRY, "attempts": 1}}}))
    result = runner.invoke(cli, ["--config", str(path), "ask", "why can't the branch reach HQ over BGP?", "-s", "bgp-peer-down",
                                 "--json", "-q", "--mode", "parallel"], env=api.env())
    answer = json.loads(result.stdout)
    assert {s["id"]: s["priority"] for s in answer["plan"]["steps"]} == {"s1": 3, "s2": 3, "s3": 1}
    order = [r.removeprefix("specialist:") for r in api.roles if r and r.startswith("specialist:")]
    assert order == ["security", "diagnosis", "performance"]  # FIFO would have run performance (queued first) before diagnosis


async def test_request_gate_lets_higher_priority_in_first_and_updates_positions():
    import asyncio

    from agents.resilience.gate import RequestGate

    gate, order, positions = RequestGate(1), [], {}

    async def request(name: str, priority: int):
        async def on_position(p):
            positions.setdefault(name, []).append(p)

        async with gate.slot(on_position, priority=priority):
            order.append(name)
            await asyncio.sleep(0)

    async with gate.slot():
        low = asyncio.create_task(request("low", 3))
        await asyncio.sleep(0)
        high = asyncio.create_task(request("high", 1))
        await asyncio.sleep(0)
        assert gate.queued == 2
    await asyncio.gather(low, high)
    await asyncio.sleep(0)
    assert order == ["high", "low"]
    assert positions["high"] == [1] and positions["low"] == [1, 2, 1]  # overtaken, then next in line


# -- model tier by complexity ----------------------------------------------------------------------

def _tiers_in_trace(answer) -> dict[str, str]:
    return {e["detail"].split("agent=")[1].split(",")[0]: e["detail"] for e in answer["trace"] if e["event"] == "tier_chosen"}


def test_fixed_tier_policy_is_the_default_and_traced(runner, fake_anthropic, tmp_path):
    script_happy_path(fake_anthropic)
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=fake_anthropic, follow_ups=0)
    tiers = _tiers_in_trace(answer)
    assert "tier=balanced" in tiers["diagnosis"] and "reason=fixed tier for diagnosis" in tiers["diagnosis"]


def test_tier_follows_complexity_within_the_allowed_tiers(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    answer = _ask(runner, tmp_path, "why can't the branch reach HQ over BGP?", api=api, follow_ups=0, tier_policy="complexity")
    tiers = _tiers_in_trace(answer)
    # One device, nothing else in context, no failures: the cheapest tier diagnosis allows.
    assert "tier=fast" in tiers["diagnosis"] and "complexity 0" in tiers["diagnosis"]
    assert {b["model"] for b in api.requests_for("specialist:diagnosis")} == {"claude-haiku-4-5"}


def test_a_wide_step_gets_a_stronger_tier(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    wide = ["core-sw-01", "core-sw-02", "dist-sw-01", "edge-rtr-01", "branch-rtr-01"]
    plan = PlanOut(reasoning="wide", steps=[PlanStepOut(id="s1", agent="diagnosis", instruction="what is wrong?", devices=wide, depends_on=[])])
    script_happy_path(api, {"planner": [text(plan)]})
    answer = _ask(runner, tmp_path, "is anything wrong in the core, distribution and WAN?", api=api, follow_ups=0, tier_policy="complexity")
    tiers = _tiers_in_trace(answer)
    # 5 devices (2) and ~35 tool calls expected (5 devices x diagnosis' 7 device tools) (1): rung 1 of fast, balanced, deep.
    assert "tier=balanced" in tiers["diagnosis"] and "complexity 3 (5 devices, ~35 tool calls expected)" in tiers["diagnosis"]
    assert {b["model"] for b in api.requests_for("specialist:diagnosis")} == {"claude-sonnet-4-6"}


def test_a_retry_after_a_failure_moves_up_a_tier(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [wrong_shape(), wrong_shape(), text(DIAG, usage=USAGE)]})
    path = tmp_path / "noc.yml"
    path.write_text(yaml.safe_dump({"llm": {"router_margin": 100, "follow_ups": 0, "tier_policy": "complexity"},
                                    "resilience": {"retry": {**FAST_RETRY, "attempts": 2}}}))
    result = runner.invoke(cli, ["--config", str(path), "ask", "why can't the branch reach HQ over BGP?", "-s", "bgp-peer-down",
                                 "--json", "-q"], env=api.env())
    answer = json.loads(result.stdout)
    chosen = [e["detail"] for e in answer["trace"] if e["event"] == "tier_chosen" and "agent=diagnosis" in e["detail"]]
    assert len(chosen) == 2 and "tier=fast" in chosen[0]
    assert "tier=balanced" in chosen[1] and "1 earlier failure" in chosen[1]
    assert [b["model"] for b in api.requests_for("specialist:diagnosis")][-1] == "claude-sonnet-4-6"


def test_unknown_allowed_tier_is_a_config_error():
    from agents.config import LLMConfig

    try:
        LLMConfig(allowed_tiers={"diagnosis": ["fast", "huge"]})
    except ValueError as exc:
        assert "allowed_tiers.diagnosis" in str(exc)
    else:
        raise AssertionError("accepted an unknown tier")
