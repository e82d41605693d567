"""The explicit engine (issue 23 item 4): `build_engine` composes the model or the rules, a model
stage falls back to its rule stage through one wrapper, stages report through one observer, and
the request context carries the request's limits. Driven with the package's testing kit
(agents/testing.py): a scripted model behind the real anthropic SDK and a recording observer."""

from __future__ import annotations

import pytest

from agents.config import EngineConfig, LLMConfig, ResilienceConfig, RetryConfig
from agents.context import current_request
from agents.engine import EngineOptions, build_engine
from agents.llm.pipeline import ClaudePlanner
from agents.llm.schemas import DiagnosisReport, FindingOut, PlanOut, PlanStepOut, SynthesisOut
from agents.models import Request, Specialist
from agents.pipeline import RulePlanner, RuleRouter
from agents.specialists.base import AnalystOutput
from agents.specialists.registry import offline_analysts
from agents.testing import RecordingObserver, ScriptedModel, failure, final, tool_call

QUESTION = "why can't the branch reach HQ over BGP?"
DEVICE = "branch-rtr-01"
PLAN = PlanOut(reasoning="one step", steps=[PlanStepOut(id="s1", agent="diagnosis", instruction=QUESTION, devices=[DEVICE], depends_on=[])])
DIAG = DiagnosisReport(summary=f"{DEVICE} peers with the wrong AS.", confidence=0.9, recommendations=[],
                       findings=[FindingOut(text="remote-AS mismatch", severity="high", device=DEVICE)],
                       root_cause="remote-AS mismatch", affected_layer="network")
SYNTH = SynthesisOut(summary="(diagnosis) remote-AS mismatch on branch-rtr-01.", conflicts=[])
# The scripted one-step plan is asked for (planner: always); Claude does not route (router_margin 0) nor follow up.
OPTIONS = EngineOptions(llm=LLMConfig(router_margin=0, follow_ups=0, planner="always"),
                        resilience=ResilienceConfig(retry=RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0)))


@pytest.fixture
async def model():
    async with ScriptedModel() as scripted:
        yield scripted


async def run(engine, question: str = QUESTION, role: str = "operator") -> tuple:
    seen = RecordingObserver()
    try:
        answer = await engine.run(Request.from_text(question, role=role), seen)
    finally:
        engine.toolbox.gateway.close()
        await engine.aclose()
    return answer, seen


async def test_without_a_model_the_engine_is_the_rules(make_toolbox):
    engine = build_engine(EngineOptions(llm=LLMConfig(provider="offline")), make_toolbox("bgp-peer-down"))
    assert engine.name == "offline" and engine.claude is None
    assert isinstance(engine.supervisor.pipeline.router, RuleRouter) and isinstance(engine.supervisor.pipeline.planner, RulePlanner)
    answer, seen = await run(engine)
    assert answer.status == "ok" and {r.engine for r in answer.responses} == {"offline"}
    assert seen.kinds()[:2] == ["routed", "planned"] and seen.kinds()[-1] == "finished"


async def test_a_scripted_model_calls_a_tool_and_reports_through_the_engine(model, make_toolbox):
    model.script("planner", final(PLAN))
    model.script("specialist:diagnosis", tool_call("check_routing_protocol", device=DEVICE, protocol="bgp"), final(DIAG))
    model.script("synthesis", final(SYNTH))
    engine = build_engine(OPTIONS, make_toolbox("bgp-peer-down"), model=model.client())
    assert engine.name == "anthropic" and isinstance(engine.supervisor.pipeline.planner, ClaudePlanner)
    answer, seen = await run(engine)
    assert answer.status == "ok", answer.notices
    assert model.roles == ["planner", "specialist:diagnosis", "specialist:diagnosis", "synthesis"]
    diagnosis = next(r for r in answer.responses if r.agent == Specialist.diagnosis)
    assert diagnosis.engine == "claude" and diagnosis.summary == DIAG.summary
    assert [(e.tool, e.device) for e in diagnosis.evidence] == [("check_routing_protocol", DEVICE)]
    # the tool ran in the lab and its result went back to the model on the second turn
    second = model.requests_for("specialist:diagnosis")[1]["messages"]
    assert any(b.get("type") == "tool_result" for m in second if isinstance(m["content"], list) for b in m["content"])
    assert [(e.agent, e.tool, e.ok) for e in seen.of("tool_called")] == [("diagnosis", "check_routing_protocol", True)]
    assert answer.summary == SYNTH.summary and model.unscripted == []


async def test_a_failing_model_stage_falls_back_to_its_rules_and_says_so(model, make_toolbox):
    model.script("planner", failure(529, retry=False))  # the provider overloaded: the rule planner plans
    model.script("specialist:diagnosis", final(DIAG))
    model.script("synthesis", failure(500, retry=False))  # the rules word the summary
    answer, seen = await run(build_engine(OPTIONS, make_toolbox("bgp-peer-down"), model=model.client()))
    degraded = seen.notices("degraded")
    assert len(degraded) == 2 and degraded[0].startswith("Claude plan not usable (")
    assert degraded[0].endswith("; used the rule planner")
    assert degraded[1].startswith("Claude synthesis unavailable (") and degraded[1].endswith("; the summary was assembled by rules")
    assert answer.status == "degraded" and all(d in answer.notices for d in degraded)
    assert [t.detail for t in answer.trace if t.event == "notice" and "level=degraded" in t.detail] == \
        [f"level=degraded, text={d}" for d in degraded]
    assert answer.summary != SYNTH.summary and answer.plan is not None and answer.plan.steps


async def test_an_unscripted_model_call_is_answered_by_the_rules(model, make_toolbox):
    model.script("planner", final(PLAN))
    model.script("specialist:diagnosis", final(DIAG))
    answer, seen = await run(build_engine(OPTIONS, make_toolbox("bgp-peer-down"), model=model.client()))
    assert model.unscripted == ["synthesis"]
    assert any(n.startswith("Claude synthesis unavailable") for n in seen.notices("degraded"))
    assert answer.status == "degraded"


async def test_the_request_context_carries_the_step_priority_and_the_model_cutoff(make_toolbox):
    seen: dict[str, tuple] = {}
    offline = offline_analysts()

    async def looking(ctx) -> AnalystOutput:
        request = current_request()
        assert request is not None
        seen[ctx.task.id] = (request.priority, ctx.task.priority, request.call_deadline - request.started)
        return await offline[ctx.agent](ctx)

    engine_config = EngineConfig()
    engine = build_engine(EngineOptions(engine=engine_config, llm=LLMConfig(provider="offline")), make_toolbox("wan-congestion"),
                          analysts={agent: looking for agent in offline})
    assert current_request() is None  # outside a request there is none
    answer, _ = await run(engine, "why is the branch office slow?")
    assert answer.status == "ok" and seen
    planned = {s.id: s.priority for s in answer.plan.steps}
    assert {step: seen[step][0] for step in planned} == planned and len(set(planned.values())) > 1  # each step its own
    assert all(mine == tasks for mine, tasks, _ in seen.values())  # requests to other specialists (s1>config) too
    assert all(cutoff == pytest.approx(engine_config.llm_cutoff_s()) for _, _, cutoff in seen.values())
    assert current_request() is None


async def test_withheld_tool_calls_are_named_in_the_answer_and_kept_in_the_trace(make_toolbox):
    engine = build_engine(EngineOptions(llm=LLMConfig(provider="offline")), make_toolbox("insecure-mgmt"))
    answer, seen = await run(engine, "audit the security of edge-rtr-01", role="viewer")
    withheld = [t.detail for t in answer.trace if t.event == "withheld"]
    assert withheld and all(d.startswith("agent=") and "needs operator: skipped" in d for d in withheld)
    named = [n for n in answer.notices if n.startswith("needs operator: skipped")]
    assert named and all(any(d.endswith(f"text={n}") for d in withheld) for n in named)
    assert seen.of("withheld") and not any("skipped" in n for n in seen.notices())  # not shown as progress


async def test_a_broken_observer_costs_the_answer_neither_its_trace_nor_its_notes(make_toolbox):
    class Broken:
        async def emit(self, event):
            raise ValueError("display gone")

    toolbox = make_toolbox("insecure-mgmt")
    engine = build_engine(EngineOptions(llm=LLMConfig(provider="offline")), toolbox)
    try:
        answer = await engine.run(Request.from_text("audit the security of edge-rtr-01", role="viewer"), Broken())
    finally:
        toolbox.gateway.close()
    events = [t.event for t in answer.trace]
    assert events[0] == "routed" and events[-1] == "finished" and "withheld" in events
    assert any(n.startswith("needs operator: skipped") for n in answer.notices)
