"""Re-routing mid-investigation (issue 25): a finding that names a domain its specialist cannot
judge brings that domain's specialist in, once, bounded, and the trace says why.

Through `noc ask --json` on the lab: a diagnosis question on the vty-brute-force scenario (the log
shows a brute force and a login) brings security in; one on wan-congestion (a link at 96%) brings
performance in; the healthy network brings nobody. The rule itself (agents/pipeline.py
`hand_offs`) is checked on reports as the specialists write them: declared by the specs, each
judge once, the most severe finding first, at most engine.max_hand_offs.
"""

from __future__ import annotations

import json

import pytest

from agents.catalogue import Catalogue, CatalogueError, PlanSpec, catalogue
from agents.models import AgentResponse, Finding, Specialist
from agents.pipeline import hand_offs
from agents.severity import Severity
from bot.cli.main import cli

D, C, S, P, DOC = (Specialist.diagnosis, Specialist.config, Specialist.security, Specialist.performance, Specialist.documentation)


def ask(runner, scenario: str, question: str) -> dict:
    result = runner.invoke(cli, ["ask", question, "-s", scenario, "--json", "-q"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def handed_off(answer: dict) -> list[str]:
    return [t["detail"] for t in answer["trace"] if t["event"] == "handed_off"]


def test_a_brute_force_found_while_diagnosing_brings_security_in(runner):
    answer = ask(runner, "vty-brute-force", "branch-rtr-01 has been acting weird since last night, what happened?")
    assert answer["primary"] == "diagnosis"
    routed = next(t["detail"] for t in answer["trace"] if t["event"] == "routed")
    assert "'security'" not in routed  # the question alone did not ask for security ...
    assert "security" in answer["specialists"]  # ... the finding did
    [why] = handed_off(answer)
    assert "from_agent=diagnosis" in why and "to_agent=security" in why and "login_after_failures" in why
    assert "203.0.113.77" in why  # the reason quotes the finding
    security = next(a for a in answer["agents"] if a["agent"] == "security")
    assert security["status"] == "success"
    assert any(f["agent"] == "security" and "203.0.113.77" in f["text"] for f in answer["findings"])
    # once: the security step's own findings hand nothing off again
    assert sum(a["agent"] == "security" for a in answer["agents"]) == 1


def test_a_saturated_link_found_while_diagnosing_brings_performance_in(runner):
    answer = ask(runner, "wan-congestion", "the branch users keep complaining, what's wrong?")
    assert answer["primary"] == "diagnosis" and "performance" in answer["specialists"]
    [why] = handed_off(answer)
    assert "to_agent=performance" in why and "finding_kind=congestion" in why and "branch-rtr-01" in why
    assert any(f["agent"] == "performance" and "branch-rtr-01" in f["text"] for f in answer["findings"])


def test_nothing_to_judge_brings_nobody(runner):
    answer = ask(runner, "healthy", "is branch-rtr-01 ok?")
    assert handed_off(answer) == [] and "security" not in answer["specialists"]


def test_a_specialist_already_asked_is_not_added_again(runner):
    answer = ask(runner, "vty-brute-force", "branch-rtr-01 misbehaved after a login from an address we don't know, what happened?")
    routed = next(t["detail"] for t in answer["trace"] if t["event"] == "routed")
    assert "primary=diagnosis" in routed and "'security'" in routed  # the question asked for both
    assert handed_off(answer) == []  # diagnosis' login finding finds security already planned
    assert sum(a["agent"] == "security" for a in answer["agents"]) == 1


# -- the rule ------------------------------------------------------------------------------------


def report(agent: Specialist, *findings: tuple[str, Severity, str]) -> AgentResponse:
    return AgentResponse(agent=agent, task="q", status="success", confidence=0.8,
                         findings=[Finding(agent=agent.value, kind=k, severity=sev, text=text, device="rtr-1") for k, sev, text in findings])


def test_hand_offs_are_declared_by_the_specs():
    judges = {name: set(spec.plan.judges) for name, spec in catalogue().specs.items()}
    assert {"login_after_failures", "login_unexpected_source"} <= judges["security"]
    assert "congestion" in judges["performance"] and "config_change" in judges["config"]


def test_each_judge_once_most_severe_first_and_bounded():
    responses = [report(D, ("congestion", Severity.medium, "rtr-1 Gi0/0 at 97%"),
                        ("login_unexpected_source", Severity.high, "login as admin from 198.51.100.9"),
                        ("login_failures", Severity.high, "12 failed logins"),
                        ("config_change", Severity.low, "jdoe committed peer-as 64521"))]
    wanted = hand_offs("what happened on rtr-1?", responses, limit=2)
    assert [w.agent for w in wanted] == [S, P]  # security's high finding before performance's medium; config is past the bound
    assert wanted[0].finding_kind == "login_unexpected_source" and wanted[0].source == "diagnosis"
    assert "198.51.100.9" in wanted[0].reason and "198.51.100.9" in wanted[0].instruction
    assert wanted[0].devices == ("rtr-1",)
    assert [w.agent for w in hand_offs("q", responses, limit=5)] == [S, P, C]
    assert hand_offs("q", responses, limit=0) == []


def test_no_hand_off_to_a_specialist_that_answered_to_itself_or_for_noise():
    answered = [report(D, ("login_failures", Severity.high, "12 failed logins")), report(S, ("compliance", Severity.info, "ok"))]
    assert hand_offs("q", answered, limit=3) == []  # security already answered
    own = [report(S, ("login_failures", Severity.high, "12 failed logins"))]
    assert hand_offs("q", own, limit=3) == []  # its own kind
    info = [report(D, ("congestion", Severity.info, "busy but fine"))]
    assert hand_offs("q", info, limit=3) == []  # below low severity: nothing to judge


def test_a_finding_kind_has_one_judge():
    specs = list(catalogue().specs.values())
    twice = [s.model_copy(update={"plan": PlanSpec(judges=("congestion",))}) if s.name == "diagnosis" else s for s in specs]
    with pytest.raises(CatalogueError, match="plan.judges 'congestion' is already judged by"):
        Catalogue(twice)


def test_the_hand_off_has_a_progress_line():
    from agents.progress import HandedOff
    from bot.slack.views.progress_text import describe

    line = describe(HandedOff(request_id="r", from_agent="diagnosis", to_agent="security", finding_kind="login_failures",
                              reason="diagnosis found login_failures on rtr-1, which security judges: 12 failed logins"))
    assert line is not None and "diagnosis handed off to security" in line.text and "12 failed logins" in line.text


# -- a configuration change in the log, and the write-up after the hand-offs ---------------------


def test_a_change_logged_just_before_the_failure_brings_config_in(runner):
    answer = ask(runner, "junos-bgp-down", "peer-rtr-01 lost its ISP-B BGP session, why?")
    assert answer["primary"] == "diagnosis"
    assert any(f["agent"] == "diagnosis" and "configuration changed by jdoe at Mar 02 02:09:02, just before the BGP session down" in f["text"]
               for f in answer["findings"])
    [why] = handed_off(answer)
    assert "to_agent=config" in why and "finding_kind=config_change" in why and "jdoe" in why
    config = next(a for a in answer["agents"] if a["agent"] == "config")
    assert config["status"] == "success" and any(e["tool"] == "get_device_config" for e in config["evidence"])
    assert any(f["agent"] == "config" and "changed by jdoe" in f["text"] for f in answer["findings"])


def started(answer: dict) -> list[str]:
    return [t["detail"].split(",")[1].split("=")[1] for t in answer["trace"] if t["event"] == "step_started"]


def test_the_write_up_comes_after_the_hand_off_and_holds_its_findings(runner):
    answer = ask(runner, "vty-brute-force",
                 "branch-rtr-01 has been acting weird since last night, find out what happened and write the incident report")
    events = [t["event"] for t in answer["trace"]]
    assert started(answer) == ["diagnosis", "security", "documentation"]  # the hand-off before the write-up
    assert events.index("handed_off") < max(i for i, t in enumerate(answer["trace"]) if t["event"] == "step_started")
    assert [a["agent"] for a in answer["agents"]] == ["diagnosis", "security", "documentation"]
    report = next(a for a in answer["agents"] if a["agent"] == "documentation")["result"]["incident_report"]
    assert "VTY lines reachable from any source address" in json.dumps(report)  # security's audit finding, found by the hand-off


def test_split_writers_keeps_writers_alone_whole_and_moves_closing_writers_last():
    from agents.models import ExecutionMode, Plan, PlanStep
    from agents.rerouting import split_writers

    steps = [PlanStep(id="s1", agent=D, instruction="q"), PlanStep(id="s2", agent=P, instruction="q"),
             PlanStep(id="s3", agent=DOC, instruction="q", depends_on=["s1", "s2"])]
    plan = Plan(steps=steps, mode=ExecutionMode.hybrid, phases=[["s1", "s2"], ["s3"]])
    first, writers = split_writers(plan)
    assert [s.id for s in first.steps] == ["s1", "s2"] and first.phases == [["s1", "s2"]] and first.mode == ExecutionMode.hybrid
    assert writers is not None and [(s.id, s.depends_on) for s in writers.steps] == [("s3", [])]
    assert writers.mode == ExecutionMode.sequential
    alone = Plan(steps=[PlanStep(id="s1", agent=DOC, instruction="how do I configure OSPF?")], mode=ExecutionMode.sequential, phases=[["s1"]])
    assert split_writers(alone) == (alone, None)
    waited = Plan(steps=[PlanStep(id="s1", agent=DOC, instruction="q"), PlanStep(id="s2", agent=D, instruction="q", depends_on=["s1"])],
                  mode=ExecutionMode.sequential, phases=[["s1"], ["s2"]])
    assert split_writers(waited) == (waited, None)  # a writer someone waits for is not a closing one


def test_a_judge_whose_data_needs_an_operator_is_not_handed_a_viewers_question():
    responses = [report(D, ("login_unexpected_source", Severity.high, "login as admin from 198.51.100.9"),
                        ("config_change", Severity.low, "jdoe committed peer-as 64521"),
                        ("congestion", Severity.medium, "rtr-1 Gi0/0 at 97%"))]
    assert [w.agent for w in hand_offs("q", responses, limit=5, role="viewer")] == [P]  # security and config read operator data
    assert [w.agent for w in hand_offs("q", responses, limit=5, role="operator")] == [S, P, C]


# -- a misrouted question: no answer speaks to its subject -----------------------------------------


def test_a_question_no_answer_speaks_to_is_handed_to_the_specialist_that_answers_its_subject(runner):
    answer = ask(runner, "iosxr-linecard-overheat", "pe-rtr-01 line cards hot?")
    assert answer["primary"] == "performance"  # the router's reading of "hot" ...
    [why] = handed_off(answer)  # ... answered "no congestion", which is not about line cards
    assert "from_agent=performance" in why and "to_agent=diagnosis" in why and "finding_kind=off_subject" in why
    assert "hardware subject, which diagnosis answers" in why
    lead = answer["summary"].splitlines()[0]
    assert lead.startswith("[diagnosis] pe-rtr-01 slot 0/0 temperature at 81.5C")
    assert answer["automation"] != "auto"  # rescued, not planned: for review at most


def test_with_subject_is_bounded_and_adds_nobody_when_the_subject_is_answered():
    from agents.pipeline import FollowUp
    from agents.rerouting import with_subject

    off = [AgentResponse(agent=P, task="q", status="success", confidence=0.9, summary="No congestion: busiest at 31%")]
    [wanted] = with_subject([], "is the power supply on rtr-1 ok?", off, limit=2)
    assert wanted.agent == D and wanted.source == "performance" and wanted.finding_kind == "off_subject"
    on = [AgentResponse(agent=P, task="q", status="success", confidence=0.9, summary="rtr-1 power supply 2 has failed")]
    assert with_subject([], "is the power supply on rtr-1 ok?", on, limit=2) == []
    full = [FollowUp(agent=S, instruction="q", reason="r"), FollowUp(agent=C, instruction="q", reason="r")]
    assert with_subject(full, "is the power supply on rtr-1 ok?", off, limit=2) == full  # the bound holds
    assert with_subject([], "what's up with rtr-1?", off, limit=2) == []  # no subject named: nothing to miss
    assert with_subject([], "is anyone brute forcing rtr-1 logins?", off, limit=2, role="viewer") == []  # security needs an operator
