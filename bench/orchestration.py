"""Claude-path orchestration: what the execution modes cost in wall time against their bound.

Issue 14 asks whether running specialists in parallel pays off the way the reference design's
table says (4 agents: sequential 12.5 s, parallel 4.2 s, hybrid 8.1 s). This bench runs the real
supervisor and Claude client against the loopback Anthropic server, which answers every call
after a fixed latency, so wall time is made of call latencies plus our own overhead, and the
bound of each run is known exactly: its critical-path depth (the longest chain of LLM calls the
mode allows) times the latency. wall/bound near 1.0 means no time is lost between calls.

Workload: each specialist investigates in `--tool-turns` turns (a real `list_devices` call each)
and then reports, so a step is tool-turns + 1 calls. Plans come from the rule planner for a route
the learned router decided with full confidence (2, 3 and 4 independent investigators; 5 agents:
4 investigators, then documentation on their findings), and from the Claude planner for a hybrid
plan (a chain next to an independent step). Sections:

  1. per plan and mode: wall, LLM calls, critical-path depth, wall/bound; sequential/parallel speedup;
  2. answers/s at 20 concurrent requests (4-investigator plan) under the default limits, with the
     peak number of LLM calls in flight at the server;
  3. provider faults: 20 concurrent requests, 40% of calls failing (429, 529, 500, or hanging 40 s),
     a small request deadline; every request's time from receipt against engine.request_deadline_s.

Issue 27 adds a plan the learned router is unsure of ("4 needed, router unsure": the real learned
router on a question naming four domains, 0.62 sure of its primary; Claude routes to four
specialists and plans them independently) and a second latency model, proportional to tokens
(bench/latency_model.py: --latency-model tokens). With early starts (agents/scheduling.py) the
specialists a router is sure of run while Claude routes and plans; the bound then counts a step
from the role call it started after (0 when the learned router started it).

Run: python bench/orchestration.py [--latency 0.2] [--tool-turns 2] [--repeat 3] [--deadline 8]
                                    [--latency-model tokens --time-scale 0.25] [--only-plans]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anthropic import AsyncAnthropic  # noqa: E402

from agents.config import EngineConfig, LLMConfig, NetworkConfig, ResilienceConfig  # noqa: E402
from agents.engine import Engine, EngineOptions, build_engine  # noqa: E402
from agents.llm.pipeline import ClaudeRouter  # noqa: E402
from agents.llm.schemas import GapList, PlanOut, PlanStepOut, RouteOut, SynthesisOut  # noqa: E402
from agents.models import Answer, ExecutionMode, Plan, Request, RouteDecision, Specialist  # noqa: E402
from agents.planner import phases_of, rule_plan  # noqa: E402
from agents.resilience.guard import Resilience  # noqa: E402
from agents.tools import build_toolbox  # noqa: E402
from bench.latency_model import LatencyModel, tokens  # noqa: E402
from tests.fakes.anthropic_api import dynamic, error, overloaded, rate_limited, text, tool_use  # noqa: E402

QUESTION = "is edge-rtr-01 healthy?"
UNSURE_QUESTION = "check performance, security, config and diagnose problems on edge-rtr-01"  # the learned router: 0.62
INVESTIGATORS = ["performance", "security", "config", "diagnosis"]
ROLES = ("router", "planner", "coordinator", "synthesis")


class FixedRouter:
    """The learned router's stage with its decision fixed, so the rule planner builds a known plan
    (Claude's router stage keeps it as its fallback and asks Claude only when it is unsure)."""

    def __init__(self, decision: RouteDecision) -> None:
        self.decision = decision

    async def route(self, session: Any, question: str) -> RouteDecision:
        return self.decision.model_copy(deep=True)


def fill(schema: dict, defs: dict) -> Any:
    """A value that satisfies a JSON schema (the report's output_format as the SDK sent it)."""
    if "$ref" in schema:
        return fill(defs[schema["$ref"].split("/")[-1]], defs)
    if "anyOf" in schema:
        return fill(schema["anyOf"][0], defs)
    if "enum" in schema:
        return schema["enum"][-1]
    kind = schema.get("type")
    if kind == "object":
        return {k: fill(v, defs) for k, v in schema.get("properties", {}).items() if k in schema.get("required", [])}
    return {"array": [], "string": "ok", "number": 0.8, "integer": 1, "boolean": False, "null": None}.get(kind, None)


class Model:
    """The scripted model: tool turns then a report, each call taking what the latency model says
    for its tokens (counted from what is sent and answered), counted in flight."""

    def __init__(self, latency: LatencyModel, tool_turns: int) -> None:
        self.latency, self.tool_turns = latency, tool_turns
        self.plan: PlanOut | None = None
        self.route: RouteDecision | None = None
        self.fault_rate = 0.0
        self.rng = random.Random(14)
        self.in_flight = self.peak = 0

    async def __call__(self, body: dict) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.fault_rate and self.rng.random() < self.fault_rate:
                fault = self.rng.choice(["429", "529", "500", "hang"])
                if fault == "hang":
                    await asyncio.sleep(40)
                return {"429": rate_limited(0), "529": overloaded(), "500": error(500)}.get(fault, error(500))
            kind, payload = self.reply(body)
            sent = tokens([body.get("system"), body.get("tools"), body["messages"]])
            out = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
            usage = {"input_tokens": sent, "output_tokens": tokens(out), "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
            await asyncio.sleep(self.latency.seconds(body, usage))
            return tool_use(payload, usage=usage) if kind == "tool" else text(payload, usage=usage)
        finally:
            self.in_flight -= 1

    @staticmethod
    def read(body: dict) -> tuple[str, dict]:
        """A plain device read the specialist may make (list_devices when it has none): the tools'
        own cost is issue 14's throughput part, here only the orchestration is measured."""
        offered = {t["name"] for t in body.get("tools", [])}
        for name in ("get_device_health", "get_device_config"):
            if name in offered:
                return name, {"device": "edge-rtr-01"}
        return "list_devices", {}

    def reply(self, body: dict) -> tuple[str, Any]:
        role = body["system"][0]["text"].splitlines()[0].removeprefix("Role: ")
        if role == "router" and self.route is not None:
            return "text", RouteOut(primary=self.route.primary, specialists=self.route.specialists, devices=self.route.devices, reasoning="bench")
        if role == "planner" and self.plan is not None:
            return "text", self.plan
        if role == "coordinator":
            return "text", GapList(gaps=[])
        if role == "synthesis":
            return "text", SynthesisOut(summary="(bench) synthesised", conflicts=[])
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        if turns < self.tool_turns and body.get("tool_choice", {}).get("type") != "none":
            return "tool", self.read(body)
        schema = body["output_config"]["format"]["schema"]
        report = fill(schema, schema.get("$defs", {}))
        report.update(summary=f"{role} checked edge-rtr-01", confidence=0.9,
                      findings=[{"text": f"{role}: edge-rtr-01 checked", "severity": "info", "device": "edge-rtr-01"}])
        return "text", report


@dataclass
class Case:
    name: str
    decision: RouteDecision
    claude_plan: PlanOut | None = None  # the router is unsure: Claude routes and plans this
    question: str = QUESTION
    learned: bool = False  # the real learned router decides (else its decision is fixed to `decision`)
    scenario: str | None = None  # the lab scenario the question is asked on (None: the lab as it is)

    @property
    def plan(self) -> PlanOut:
        """What the scripted planner answers (when it is asked): the Claude plan, else the rule plan."""
        if self.claude_plan is not None:
            return self.claude_plan
        steps = rule_plan(self.decision, self.question, self.decision.devices).steps
        return PlanOut(reasoning="as the rules", steps=[PlanStepOut(id=s.id, agent=s.agent, instruction=s.instruction, devices=s.devices,
                                                                    depends_on=s.depends_on) for s in steps])


def cases() -> list[Case]:
    out = []
    for n in (2, 3, 4):
        agents = [Specialist(a) for a in INVESTIGATORS[:n]]
        out.append(Case(f"{n} independent", RouteDecision(primary=agents[0], specialists=agents, devices=["edge-rtr-01"], method="learned")))
    five = [Specialist(a) for a in ["diagnosis", *INVESTIGATORS[:3], "documentation"]]
    out.append(Case("5: 4 + documentation", RouteDecision(primary=five[0], specialists=five, devices=["edge-rtr-01"], method="learned")))
    hybrid = PlanOut(reasoning="chain next to an independent step", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction=QUESTION, devices=["edge-rtr-01"], depends_on=[]),
        PlanStepOut(id="s2", agent="performance", instruction=QUESTION, devices=["edge-rtr-01"], depends_on=[]),
        PlanStepOut(id="s3", agent="config", instruction=QUESTION, devices=["edge-rtr-01"], depends_on=["s1"]),
        PlanStepOut(id="s4", agent="documentation", instruction=QUESTION, devices=["edge-rtr-01"], depends_on=["s2", "s3"]),
    ])
    out.append(Case("hybrid plan (Claude)", RouteDecision(primary=Specialist("diagnosis"), specialists=[Specialist(s.agent) for s in hybrid.steps],
                                                           devices=["edge-rtr-01"], confidence=0.1, method="learned"), hybrid))
    four = [Specialist(a) for a in ("diagnosis", *INVESTIGATORS[:3])]
    unsure = PlanOut(reasoning="four domains, independent", steps=[
        PlanStepOut(id=f"s{i}", agent=a, instruction=UNSURE_QUESTION, devices=["edge-rtr-01"], depends_on=[]) for i, a in enumerate(four, 1)])
    out.append(Case("4 needed, router unsure", RouteDecision(primary=four[0], specialists=four, devices=["edge-rtr-01"], method="claude"),
                    unsure, UNSURE_QUESTION, learned=True))
    return out


# The plans of cases() that span four domains (bench/generalist.py asks them of a generalist too)
MULTI_DOMAIN = ("5: 4 + documentation", "hybrid plan (Claude)", "4 needed, router unsure")


def multi_domain_cases() -> list[Case]:
    return [c for c in cases() if c.name in MULTI_DOMAIN]


def starts(answer: Answer, roles: list[str]) -> dict[str, int]:
    """Per plan step, the role calls on the path before it could start: the router's and planner's,
    fewer for a step started early (0 when the learned router started it, the router's calls when
    Claude's route did), read from the answer's trace."""
    assert answer.plan is not None
    pre, routing = sum(r in ("router", "planner") for r in roles), roles.count("router")
    field = lambda e, k: next((p.split("=", 1)[1] for p in e.detail.split(", ") if p.startswith(k + "=")), "")  # noqa: E731
    routed = next(e.t for e in answer.trace if e.event == "routed")
    began = {field(e, "step"): e.t for e in answer.trace if e.event == "step_started"}
    out = {s.id: pre for s in answer.plan.steps}
    for e in answer.trace:
        if e.event == "step_finished" and field(e, "status") == "continued":
            sid = field(e, "summary").split()[2]  # "continues as s1 of the plan"
            out[sid] = 0 if began[field(e, "step")] < routed else routing
    return out


def depth(plan: Plan, calls: dict[str, int], mode: ExecutionMode, start: dict[str, int]) -> int:
    """The longest chain of calls the mode allows through the plan's steps, each step starting after
    `start[step]` calls at the earliest."""
    steps = {s.id: s for s in plan.steps}
    if mode in (ExecutionMode.sequential, ExecutionMode.hybrid):
        t = 0
        for phase in phases_of(plan.steps):
            ends = []
            for sid in phase:
                begin = max(t, start[sid])
                ends.append(begin + calls[sid])
                if mode == ExecutionMode.sequential:
                    t = ends[-1]
            t = max(ends)
        return t
    longest: dict[str, int] = {}
    for phase in phases_of(plan.steps):
        for sid in phase:
            longest[sid] = calls[sid] + max([start[sid], *(longest[d] for d in steps[sid].depends_on)])
    return max(longest.values())


def supervisor(api_url: str, case: Case, llm: LLMConfig, resilience: ResilienceConfig, engine: EngineConfig) -> Engine:
    sdk = AsyncAnthropic(base_url=api_url, api_key="bench", max_retries=llm.max_retries, timeout=llm.timeout_s)
    built = build_engine(EngineOptions(engine=engine, llm=llm, resilience=resilience), build_toolbox(NetworkConfig(), scenario=case.scenario), model=sdk)
    assert built.claude is not None
    sup = built.supervisor
    if not case.learned:
        sup.pipeline = replace(sup.pipeline, router=ClaudeRouter(built.claude, sup.toolbox.inventory, FixedRouter(case.decision)))
    return built


async def close(sup: Engine) -> None:
    sup.toolbox.gateway.close()
    await sup.aclose()


async def one(api: Any, model: Model, case: Case, mode: ExecutionMode, llm: LLMConfig) -> tuple[float, Answer, int]:
    model.plan, model.route = case.plan, case.decision
    sup = supervisor(api.url, case, llm, ResilienceConfig(), EngineConfig())
    since = len(api.requests)
    try:
        t0 = time.perf_counter()
        answer = await sup.run(Request.from_text(case.question, mode=mode, role="operator"))
        wall = time.perf_counter() - t0
    finally:
        await close(sup)
    assert answer.plan is not None and answer.status == "ok", (answer.status, answer.notices)
    calls = {s.id: r.usage.llm_calls for s, r in zip(answer.plan.steps, answer.responses, strict=False)}
    roles = [r for r in api.roles[since:] if r in ROLES]
    post = sum(r in ("coordinator", "synthesis") for r in roles)
    return wall, answer, depth(answer.plan, calls, mode, starts(answer, roles)) + post


async def modes_section(api: Any, model: Model, llm: LLMConfig, repeat: int, names: list[str] | None) -> list[str]:
    fixed = model.latency.kind == "fixed"
    latency = model.latency.latency
    out = [f"wall: median of {repeat} runs; depth: model calls on the critical path" + ("" if fixed else " (bound only under a fixed latency)"),
           f"{'plan':24} {'mode':10} {'wall s':>7} {'calls':>5} {'depth':>5} {'bound s':>7} {'wall/bound':>10}"]
    speedups = []
    for case in cases():
        if names and case.name not in names:
            continue
        walls = {}
        for mode in (ExecutionMode.sequential, ExecutionMode.parallel, ExecutionMode.hybrid):
            runs = [await one(api, model, case, mode, llm) for _ in range(repeat)]
            wall = statistics.median(r[0] for r in runs)
            _, answer, d = runs[0]
            walls[mode] = wall
            bound = f"{d * latency:7.2f} {wall / (d * latency) if latency else 0:10.2f}" if fixed else f"{'-':>7} {'-':>10}"
            out.append(f"{case.name:24} {mode.value:10} {wall:7.2f} {answer.usage.llm_calls:5d} {d:5d} {bound}")
        speedups.append(f"{case.name:24} sequential/parallel {walls[ExecutionMode.sequential] / walls[ExecutionMode.parallel]:.2f}x, "
                        f"sequential/hybrid {walls[ExecutionMode.sequential] / walls[ExecutionMode.hybrid]:.2f}x")
    return out + [""] + speedups


async def burst(api: Any, case: Case, llm: LLMConfig, resilience: ResilienceConfig, engine: EngineConfig, n: int) -> tuple[list[Answer], list[float], float]:
    """n concurrent requests through one supervisor: answers, seconds from receipt, wall."""
    sup = supervisor(api.url, case, llm, resilience, engine)
    took: list[float] = []

    async def ask() -> Answer:
        t0 = time.perf_counter()
        answer = await sup.run(Request.from_text(case.question, mode=ExecutionMode.parallel, role="operator"))
        took.append(time.perf_counter() - t0)
        return answer

    try:
        t0 = time.perf_counter()
        answers = await asyncio.gather(*(ask() for _ in range(n)))
        return answers, took, time.perf_counter() - t0
    finally:
        await close(sup)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def throughput_section(api: Any, model: Model, llm: LLMConfig) -> list[str]:
    case = cases()[2]
    model.plan, model.route, model.peak = case.plan, case.decision, 0
    res = ResilienceConfig()
    answers, took, wall = await burst(api, case, llm, res, EngineConfig(), 20)
    ok = sum(a.status == "ok" for a in answers)
    limit = Resilience(res).llm_slots.limit
    return [f"20 concurrent requests, 4 independent investigators each: {len(answers) / wall:.2f} answers/s "
            f"({ok}/20 ok, wall {wall:.2f}s, p50 {pct(took, 50):.2f}s, max {pct(took, 100):.2f}s)",
            f"limits: resilience.max_concurrent_requests {res.max_concurrent_requests}, LLM calls {limit}; "
            f"peak LLM calls in flight at the server {model.peak}"]


async def faults_section(api: Any, model: Model, llm: LLMConfig, deadline: float) -> list[str]:
    case = cases()[2]
    model.plan, model.route, model.fault_rate = case.plan, case.decision, 0.4
    engine = EngineConfig(request_deadline_s=deadline, step_timeout_s=min(30.0, deadline))
    try:
        answers, took, wall = await burst(api, case, llm, ResilienceConfig(), engine, 20)
    finally:
        model.fault_rate = 0.0
    statuses = {s: sum(a.status == s for a in answers) for s in ("ok", "degraded", "partial", "failed")}
    inside = sum(t <= deadline for t in took)
    return [f"20 concurrent requests, 40% of LLM calls failing (429/529/500/40 s hang), engine.request_deadline_s {deadline:g}:",
            f"answers {len(answers)}/20 ({', '.join(f'{k} {v}' for k, v in statuses.items() if v)}); "
            f"fallback noted on {sum(bool(a.notices) for a in answers if a.status == 'degraded')}/{statuses['degraded']} degraded",
            f"seconds from receipt: p50 {pct(took, 50):.2f}, p95 {pct(took, 95):.2f}, max {max(took):.2f} "
            f"(max/deadline {max(took) / deadline:.2f}); {inside}/20 inside the deadline"]


async def main(latency: LatencyModel, tool_turns: int, deadline: float, repeat: int, only_plans: bool, names: list[str] | None) -> str:
    from tests.fakes.anthropic_api import FakeAnthropic

    llm = LLMConfig(provider="anthropic", max_tool_steps=tool_turns + 1, follow_ups=2)
    model = Model(latency, tool_turns)
    out = [f"loopback model: {latency.describe()}; each specialist: {tool_turns} tool turn(s) + its report"]
    with FakeAnthropic() as api:
        api.script(None, dynamic(model))
        out += await modes_section(api, model, llm, repeat, names)
        if not only_plans:
            out += ["", *await throughput_section(api, model, llm)]
            out += ["", *await faults_section(api, model, llm, deadline)]
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    LatencyModel.add_arguments(parser)
    parser.add_argument("--tool-turns", type=int, default=2, help="tool turns per specialist before its report")
    parser.add_argument("--repeat", type=int, default=3, help="runs per plan and mode (the median is shown)")
    parser.add_argument("--deadline", type=float, default=8.0, help="engine.request_deadline_s in the provider-faults section")
    parser.add_argument("--only-plans", action="store_true", help="the modes per plan only (no throughput or faults section)")
    parser.add_argument("--plan", action="append", help="only this plan (by its name in the table; repeatable)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # breaker transitions and deadline warnings are expected in the faults section
    print(asyncio.run(main(LatencyModel.from_args(args), args.tool_turns, args.deadline, args.repeat, args.only_plans, args.plan)))
