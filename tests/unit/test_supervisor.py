"""Supervisor rules: plans and cycles, execution modes, context passing, request chains,
severity votes, failed and slow specialists. Real supervisor and lab; where a rule needs a
specialist to misbehave, the test registers its own analyst for that role."""

from __future__ import annotations

import asyncio

import pytest

from agents.config import EngineConfig, ResilienceConfig, RetryConfig
from agents.models import ExecutionMode, PlanStep, Request, Specialist
from agents.planner import PlanError, choose_mode, finalise, phases_of
from agents.progress import RecordingObserver
from agents.resilience.guard import Resilience
from agents.severity import Severity
from agents.specialists.base import AnalystOutput, finding
from agents.supervisor import OFFLINE_ANALYSTS, Supervisor

D, C, S, P, DOC = (Specialist.diagnosis, Specialist.config, Specialist.security, Specialist.performance, Specialist.documentation)


def fast_resilience(**overrides) -> Resilience:
    return Resilience(ResilienceConfig(retry=RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.002, jitter_s=0), **overrides))


def step(id, agent, *deps):
    return PlanStep(id=id, agent=agent, instruction="x", depends_on=list(deps))


def test_phases_and_auto_mode():
    independent = [step("a", D), step("b", P)]
    assert phases_of(independent) == [["a", "b"]]
    assert choose_mode(independent, phases_of(independent)) == ExecutionMode.parallel
    chain = [step("a", D), step("b", P, "a"), step("c", DOC, "b")]
    assert choose_mode(chain, phases_of(chain)) == ExecutionMode.sequential
    mixed = [step("a", D), step("b", P), step("c", DOC, "a", "b")]
    assert phases_of(mixed) == [["a", "b"], ["c"]]
    assert choose_mode(mixed, phases_of(mixed)) == ExecutionMode.hybrid


def test_cycles_and_bad_plans_are_refused():
    with pytest.raises(PlanError, match="cycle"):
        finalise([step("a", D, "b"), step("b", P, "a")], ExecutionMode.auto, "")
    with pytest.raises(PlanError, match="unknown step"):
        finalise([step("a", D, "zz")], ExecutionMode.auto, "")
    with pytest.raises(PlanError, match="limit"):
        finalise([step(f"s{i}", D) for i in range(9)], ExecutionMode.auto, "", max_steps=8)
    with pytest.raises(PlanError, match="no steps"):
        finalise([], ExecutionMode.auto, "")


async def test_sequential_passes_earlier_findings_as_context(make_toolbox):
    seen = {}

    async def recording_docs(ctx):
        seen["context"] = [f.agent for f in ctx.task.context]
        return await OFFLINE_ANALYSTS[DOC](ctx)

    sup = Supervisor(make_toolbox("bgp-peer-down"), analysts={**OFFLINE_ANALYSTS, DOC: recording_docs})
    answer = await sup.run(Request.from_text("why is bgp down at the branch?", mode=ExecutionMode.sequential))
    assert answer.plan.mode == ExecutionMode.sequential
    assert "diagnosis" in seen["context"]


async def test_parallel_runs_steps_concurrently(make_toolbox):
    question = "why is the branch slow?"

    async def quick(ctx):
        return AnalystOutput(summary="ok", findings=[finding(ctx, "fine")], confidence=0.9)

    planned = await Supervisor(make_toolbox(), analysts={s: quick for s in Specialist}).run(
        Request.from_text(question, mode=ExecutionMode.parallel))
    steps = len(planned.plan.steps)
    running, peak, all_running = 0, 0, asyncio.Event()

    async def together(ctx):
        """No step finishes before every step of the plan is running: only a parallel run ends."""
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == steps:
            all_running.set()
        await all_running.wait()
        running -= 1
        return AnalystOutput(summary="ok", findings=[finding(ctx, "fine")], confidence=0.9)

    sup = Supervisor(make_toolbox(), EngineConfig(step_timeout_s=120), analysts={s: together for s in Specialist})
    answer = await asyncio.wait_for(sup.run(Request.from_text(question, mode=ExecutionMode.parallel)), timeout=60)
    assert len(answer.plan.steps) == steps >= 2 and peak == steps and answer.status == "ok"
    peak = 0
    await sup.run(Request.from_text("why is the branch slow?", mode=ExecutionMode.sequential))
    assert peak == 1


async def test_request_chain_refuses_loops_and_caps_hops(make_toolbox):
    chains = {}

    def asker(me: Specialist, target: Specialist):
        async def analyse(ctx):
            response = await ctx.ask(target, f"{me.value} needs data")
            chains[(me, tuple(ctx.task.chain))] = ctx.requests[-1]
            note = response.summary if response else f"refused: {ctx.requests[-1].outcome}"
            return AnalystOutput(summary=note, findings=[finding(ctx, note)], confidence=0.8)
        return analyse

    # diagnosis -> performance -> config -> security -> diagnosis (a loop, and a 4th hop)
    analysts = {**OFFLINE_ANALYSTS, D: asker(D, P), P: asker(P, C), C: asker(C, S), S: asker(S, D)}
    sup = Supervisor(make_toolbox(), EngineConfig(max_hops=3), analysts=analysts)
    answer = await sup.run(Request.from_text("why is bgp down on edge-rtr-01?"))
    records = {r.to_agent: r for r in chains.values()}
    assert records["performance"].outcome == "answered" and records["performance"].chain == ["diagnosis", "performance"]
    assert records["config"].outcome == "answered"
    assert records["security"].outcome == "answered"
    loop = records["diagnosis"]
    assert loop.outcome == "refused-loop" and loop.chain == ["diagnosis", "performance", "config", "security", "diagnosis"]
    assert answer.status == "ok"

    chains.clear()
    analysts = {**OFFLINE_ANALYSTS, D: asker(D, P), P: asker(P, C), C: asker(C, S), S: asker(S, DOC)}
    await Supervisor(make_toolbox(), EngineConfig(max_hops=3), analysts=analysts).run(Request.from_text("why is bgp down on edge-rtr-01?"))
    depth = next(r for r in chains.values() if r.to_agent == "documentation")
    assert depth.outcome == "refused-depth"


async def test_a_crashing_specialist_is_named_and_the_rest_still_answer(make_toolbox):
    async def broken(ctx):
        raise RuntimeError("bug")

    sink = RecordingObserver()
    sup = Supervisor(make_toolbox("wan-congestion"), analysts={**OFFLINE_ANALYSTS, P: broken}, resilience=fast_resilience())
    answer = await sup.run(Request.from_text("why is the branch office slow?"), sink)
    assert answer.status == "partial"
    assert answer.failed_agents == ["performance"]
    failure = next(r for r in answer.responses if r.agent == P).error
    # retried on the other instance of the pool, then given up with every attempt named
    assert "performance-1: internal error (RuntimeError)" in failure and "performance-2: internal error (RuntimeError)" in failure
    assert "[performance] FAILED" in answer.summary
    # diagnosis still finds the congestion, but without performance's QoS check it cannot blame QoS
    assert "Root cause: Congestion on branch-rtr-01 GigabitEthernet0/0/0" in answer.summary
    assert answer.confidence < 0.89
    assert [e.status for e in sink.of("step_finished") if e.agent == "performance" and e.step == "s1"] == ["failure"]


async def test_a_slow_specialist_times_out(make_toolbox):
    async def sleepy(ctx):
        await asyncio.Event().wait()  # never answers

    sup = Supervisor(make_toolbox(), EngineConfig(step_timeout_s=0.05), analysts={**OFFLINE_ANALYSTS, S: sleepy}, resilience=fast_resilience())
    answer = await sup.run(Request.from_text("are our devices secure?"))
    assert answer.status == "failed" and "security-1 timed out after 0.05s" in answer.summary and "security-2 timed out" in answer.summary


async def test_request_deadline_synthesises_what_finished(make_toolbox):
    async def sleepy(ctx):
        await asyncio.Event().wait()  # never answers: only the deadline ends the request

    # the deadline counts from receipt: routing and the other steps must fit in it on a busy machine too
    sup = Supervisor(make_toolbox("high-cpu"), EngineConfig(request_deadline_s=1.0), analysts={**OFFLINE_ANALYSTS, P: sleepy})
    answer = await asyncio.wait_for(sup.run(Request.from_text("why is the internet edge sluggish?")), timeout=60)
    assert answer.status == "partial"
    assert any("Deadline reached" in n and "performance" in n for n in answer.notices)
    assert "High CPU on edge-rtr-01" in answer.summary


async def test_severity_most_severe_wins_with_votes_and_conflict(make_toolbox):
    def rated(sev):
        async def analyse(ctx):
            return AnalystOutput(summary=sev.value, findings=[finding(ctx, f"rated {sev.value}", sev)], confidence=0.9)
        return analyse

    analysts = {**OFFLINE_ANALYSTS, D: rated(Severity.low), P: rated(Severity.critical)}
    answer = await Supervisor(make_toolbox(), analysts=analysts).run(Request.from_text("why is the branch slow?", mode=ExecutionMode.parallel))
    assert answer.severity == Severity.critical
    assert answer.severity_votes["diagnosis"] == "low" and answer.severity_votes["performance"] == "critical"
    assert any("Severity conflict" in n and "most severe" in n for n in answer.notices)


async def test_progress_events_are_typed_and_ordered(make_toolbox):
    sink = RecordingObserver()
    await Supervisor(make_toolbox("wan-congestion")).run(Request.from_text("why is the branch office slow?"), sink)
    kinds = sink.kinds()
    assert kinds[0] == "routed" and kinds[1] == "planned" and kinds[-1] == "finished"
    assert "tool_called" in kinds and "agent_asked" in kinds
    assert kinds.index("step_started") < kinds.index("step_finished")
    times = [e.t for e in sink.events]
    assert times == sorted(times)


async def test_a_broken_progress_sink_does_not_break_the_answer(make_toolbox):
    class Broken:
        async def emit(self, event):
            raise ValueError("display gone")

    answer = await Supervisor(make_toolbox()).run(Request.from_text("are our devices secure?", role="operator"), Broken())
    assert answer.status == "ok"


async def test_specialists_only_get_their_own_tools(make_toolbox):
    async def greedy(ctx):
        result = await ctx.tool("get_device_config", device="edge-rtr-01")
        return AnalystOutput(summary=result.error.message if result.error else "got it", confidence=0.5)

    answer = await Supervisor(make_toolbox(), analysts={**OFFLINE_ANALYSTS, P: greedy}).run(
        Request.from_text("how busy are the links?", mode=ExecutionMode.parallel))
    perf = next(r for r in answer.responses if r.agent == P)
    assert perf.summary == "the performance specialist may not use get_device_config"
