"""Phased workflows as data (issue 30): kinds of request (agents/workflows.yaml) and each
specialist's phase for a kind (`plan.phases` in its spec.yaml) make the incident workflow
(diagnosis and security in parallel, then performance, then a remediation proposal, then the
report) in the rule planner, and are offered to the Claude planner. Tested through `noc ask`
and the supervisor against the loopback Anthropic server."""

from __future__ import annotations

import json

import pytest

from agents.catalogue import PhaseSpec, configure, read_spec
from agents.config import ResilienceConfig, RetryConfig
from agents.models import Request
from agents.resilience.guard import Resilience
from agents.workflows import WorkflowError, kind_of, kinds, phased_steps, shapes_text
from bot.cli.main import cli
from tests.fakes.anthropic_api import FakeAnthropic, error, text
from tests.harness.claude_faults import DIAG, PLAN, SYNTH, close, supervisor

FAST = RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0)
INCIDENT = "major outage: branch-rtr-01 lost its BGP session to HQ"
INCIDENT_SHAPE = [["diagnosis", "security"], ["performance"], ["config"], ["documentation"]]


def agents_by_phase(plan: dict) -> list[list[str]]:
    agent = {s["id"]: s["agent"] for s in plan["steps"]}
    return [sorted(agent[sid] for sid in phase) for phase in plan["phases"]]


def test_noc_ask_runs_an_incident_as_the_phased_workflow(runner):
    result = runner.invoke(cli, ["ask", INCIDENT, "-s", "bgp-peer-down", "--json", "-q"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    plan = answer["plan"]
    assert plan["kind"] == "incident" and plan["mode"] == "hybrid"
    assert agents_by_phase(plan) == INCIDENT_SHAPE
    steps = {s["agent"]: s for s in plan["steps"]}
    assert steps["performance"]["depends_on"] == [steps["diagnosis"]["id"], steps["security"]["id"]]
    assert len(steps["config"]["depends_on"]) == 3 and len(steps["documentation"]["depends_on"]) == 4
    assert steps["config"]["instruction"].startswith("Propose the configuration change that remediates")
    assert steps["config"]["instruction"].endswith(INCIDENT)
    assert {a["agent"]: a["status"] for a in answer["agents"]} == dict.fromkeys(steps, "success")
    assert "remote-AS mismatch" in answer["summary"]


def test_a_viewers_incident_leaves_out_the_members_whose_data_needs_an_operator(runner):
    """security's audit and config's running configuration are operator data: unasked, they do
    not join a viewer's incident (they would only come back partial); the rest of the shape runs."""
    answer = json.loads(runner.invoke(cli, ["ask", INCIDENT, "-s", "bgp-peer-down", "--json", "-q", "--role", "viewer"]).stdout)
    assert answer["plan"]["kind"] == "incident"
    assert agents_by_phase(answer["plan"]) == [["diagnosis"], ["performance"], ["documentation"]]
    assert answer["status"] == "ok" and not [n for n in answer["notices"] if n.startswith("needs operator")]
    routed = json.loads(runner.invoke(cli, ["ask", "major outage: audit branch-rtr-01 security, is it an attack?", "-s", "bgp-peer-down",
                                            "--json", "-q", "--role", "viewer"]).stdout)
    assert "security" in {s["agent"] for s in routed["plan"]["steps"]}  # asked for: it runs, and says what it withheld


def test_an_ordinary_question_keeps_the_investigators_then_writer_shape(runner):
    answer = json.loads(runner.invoke(cli, ["ask", "why is the branch office slow?", "-s", "wan-congestion", "--json", "-q"]).stdout)
    assert answer["plan"]["kind"] is None and len(answer["plan"]["phases"]) == 1


@pytest.mark.parametrize("question,kind", [
    ("major outage at the branch", "incident"), ("P1 incident: core-sw-01 is flapping", "incident"),
    ("the branch office is down", "incident"), ("we're down at HQ", "incident"),
    ("write an incident report for edge-rtr-01", None), ("is bgp up on edge-rtr-01?", None),
    ("why is the branch office slow?", None)])
def test_kind_of_a_question(question, kind):
    assert kind_of(question) == kind


def test_the_incident_shape_from_the_specs():
    steps = phased_steps("incident", "outage", ["edge-rtr-01"], [])
    assert [s.agent.value for s in steps] == ["diagnosis", "security", "performance", "config", "documentation"]
    assert "incident" in kinds() and "then performance; then config (propose the configuration change" in shapes_text()


def test_a_phase_is_a_number_or_a_mapping_and_an_unknown_kind_is_refused(tmp_path):
    assert PhaseSpec.model_validate(2) == PhaseSpec(phase=2)
    folder = tmp_path / "capacity"
    folder.mkdir()
    (folder / "spec.yaml").write_text("title: Capacity\nscope: Capacity planning.\nsystem_prompt: You plan capacity.\n"
                                      "tools: [list_devices]\nplan:\n  phases:\n    change-window: 1\n")
    assert read_spec(folder).plan.phases == {"change-window": PhaseSpec(phase=1)}
    configure([tmp_path])
    try:
        with pytest.raises(WorkflowError, match=r"capacity.spec\.yaml: plan.phases names unknown kind\(s\) change-window; known: incident"):
            kind_of("major outage")
    finally:
        configure([])
    assert kind_of("major outage") == "incident"


async def test_the_claude_planner_is_offered_the_shape_and_told_the_kind():
    with FakeAnthropic() as api:
        api.script("planner", text(PLAN))
        api.script("specialist:diagnosis", text(DIAG))
        api.script("synthesis", text(SYNTH))
        sup = supervisor(api, resilience=Resilience(ResilienceConfig(retry=FAST)))
        try:
            answer = await sup.run(Request.from_text(INCIDENT))
            ordinary = await sup.run(Request.from_text("why can't the branch reach HQ over BGP?"))
        finally:
            await close(sup)
        first, second = api.requests_for("planner")
    system = json.dumps(first["system"])
    assert "incident (an outage or incident being worked" in system and "diagnosis + security; then performance" in system
    assert "Kind of request: incident" in json.dumps(first["messages"])
    assert "Kind of request" not in json.dumps(second["messages"])
    assert answer.plan.kind == "incident" and ordinary.plan.kind is None


async def test_when_the_claude_planner_fails_the_rules_make_the_phased_plan():
    with FakeAnthropic() as api:
        api.script("planner", error(500))
        api.script("specialist:diagnosis", text(DIAG))
        api.script("synthesis", text(SYNTH))
        sup = supervisor(api, resilience=Resilience(ResilienceConfig(retry=FAST)), max_retries=0)
        try:
            answer = await sup.run(Request.from_text(INCIDENT, role="operator"))
        finally:
            await close(sup)
    assert answer.plan.kind == "incident"
    assert agents_by_phase(answer.plan.model_dump(mode="json")) == INCIDENT_SHAPE
