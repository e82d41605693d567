"""The synthesis call's model tier (issue 27), through `noc ask --json` against the loopback
Anthropic API: under `llm.tier_policy: complexity` a single investigator's report is reworded on the
cheapest tier and reports that disagree across domains get llm.roles.synthesis (deep); under the
default fixed policy synthesis stays on its configured tier. A writer step (documentation, no tool
that reads a device) is not scored as "the whole network" when no device is named.
"""

from __future__ import annotations

from agents.llm.schemas import PlanOut, PlanStepOut, RouteOut
from tests.fakes.anthropic_api import fake_anthropic, text  # noqa: F401
from tests.harness.claude_script import SEC, USAGE, run_ask, script_happy_path


def _tier_chosen(answer: dict, agent: str) -> str:
    return next(e["detail"] for e in answer["trace"] if e["event"] == "tier_chosen" and f"agent={agent}," in e["detail"])


def test_one_domain_is_synthesised_on_the_cheapest_tier(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)  # diagnosis finds the cause, documentation finds the runbook
    answer = run_ask(runner, api, tmp_path, follow_ups=0, tier_policy="complexity")
    assert answer["summary"].startswith("Root cause (diagnosis)")
    synthesis = _tier_chosen(answer, "synthesis")
    assert "tier=fast" in synthesis and "reconciliation 0" in synthesis and "allowed fast, balanced, deep" in synthesis
    assert [b["model"] for b in api.requests_for("synthesis")] == ["claude-haiku-4-5"]
    # documentation reads no device: no device in scope, the cheapest tier it allows
    documentation = _tier_chosen(answer, "documentation")
    assert "complexity 0" in documentation
    assert {b["model"] for b in api.requests_for("specialist:documentation")} == {"claude-haiku-4-5"}


def test_reports_that_disagree_across_domains_get_the_configured_tier(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_two_domains(api)
    answer = run_ask(runner, api, tmp_path, follow_ups=0, tier_policy="complexity")
    synthesis = _tier_chosen(answer, "synthesis")
    # diagnosis (high) and security (info): two domains (1), severities differ (1)
    assert "tier=deep" in synthesis and "reconciliation 2 (2 domains with findings, severities differ)" in synthesis
    assert [b["model"] for b in api.requests_for("synthesis")] == ["claude-opus-4-6"]


def test_fixed_policy_keeps_the_configured_synthesis_tier(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    answer = run_ask(runner, api, tmp_path, follow_ups=0)
    assert "tier=deep" in _tier_chosen(answer, "synthesis") and "fixed tier for synthesis" in _tier_chosen(answer, "synthesis")
    assert [b["model"] for b in api.requests_for("synthesis")] == ["claude-opus-4-6"]



def test_roles_without_synthesis_give_it_the_tier_every_unnamed_role_gets(runner, fake_anthropic, tmp_path):
    """llm.roles without synthesis: the same tier as any role it does not name (fast), as before synthesis was tiered."""
    api = fake_anthropic
    script_happy_path(api)
    roles = {"router": "fast", "planner": "fast", "coordinator": "balanced"}
    answer = run_ask(runner, api, tmp_path, follow_ups=0, roles=roles)
    assert "tier=fast" in _tier_chosen(answer, "synthesis")
    assert [b["model"] for b in api.requests_for("synthesis")] == ["claude-haiku-4-5"]

def test_the_ceiling_is_llm_roles_synthesis(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_two_domains(api)
    roles = {"router": "fast", "planner": "fast", "coordinator": "balanced", "synthesis": "balanced"}
    answer = run_ask(runner, api, tmp_path, follow_ups=0, tier_policy="complexity", roles=roles)
    assert "tier=balanced" in _tier_chosen(answer, "synthesis") and "allowed fast, balanced (" in _tier_chosen(answer, "synthesis")
    assert [b["model"] for b in api.requests_for("synthesis")] == ["claude-sonnet-4-6"]


def script_two_domains(api):
    """Diagnosis (high) and security (info) on one router: two domains whose severities differ."""
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "security"], devices=["branch-rtr-01"], reasoning="two domains")
    plan = PlanOut(reasoning="two investigators", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="why is BGP down?", devices=["branch-rtr-01"], depends_on=[]),
        PlanStepOut(id="s2", agent="security", instruction="is the session authenticated?", devices=["branch-rtr-01"], depends_on=[]),
    ])
    script_happy_path(api, {"router": [text(route, usage=USAGE)], "planner": [text(plan, usage=USAGE)],
                            "specialist:security": [text(SEC, usage=USAGE)]})
