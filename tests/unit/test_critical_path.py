"""Issue 14, the Claude path: only the calls an answer needs sit on its critical path.

A confident route's rule plan is certain, so the Claude planner is not asked (llm.planner); the
coordinator is asked only when a report shows a gap (llm.coordinator), so synthesis follows the
last report at once. Driven through the supervisor against the loopback Anthropic server (the real
SDK); the helpers here serve tests/unit/test_orchestration.py too.
"""

from __future__ import annotations

import pytest

from tests.fakes.anthropic_api import (
    fake_anthropic,  # noqa: F401
    text,
)
from tests.harness.critical_path import READ, SYNTH, ask, report, supervisor


async def test_confident_route_and_complete_reports_put_only_the_work_and_synthesis_on_the_path(fake_anthropic):
    api = fake_anthropic
    api.script("specialist:diagnosis", READ, text(report("diagnosis")))
    api.script("specialist:documentation", text(report("documentation")))
    api.script("synthesis", text(SYNTH))
    [answer] = await ask(supervisor(api, follow_ups=2))
    assert answer.status == "ok", answer.notices
    roles = [r for r in api.roles if not (r or "").startswith("specialist:")]
    assert roles == ["synthesis"]  # no planner (the rule plan is certain), no coordinator (no gap)
    assert answer.plan is not None and [s.agent.value for s in answer.plan.steps] == ["diagnosis", "documentation"]


@pytest.mark.parametrize("diagnosis", [
    [text(report("diagnosis"))],  # a finding about branch-rtr-01, which no tool call read: a claim without evidence
    [READ, text(report("diagnosis", confidence=0.5))],  # the device was read, but the report is unsure
], ids=["unread-device", "low-confidence"])
async def test_a_report_with_a_gap_calls_the_coordinator(fake_anthropic, diagnosis):
    api = fake_anthropic
    api.script("specialist:diagnosis", *diagnosis)
    api.script("specialist:documentation", text(report("documentation")))
    api.script("coordinator", text({"gaps": []}))
    api.script("synthesis", text(SYNTH))
    [answer] = await ask(supervisor(api, follow_ups=2))
    assert answer.status == "ok", answer.notices
    assert len(api.requests_for("coordinator")) == 1
