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
