"""Generalist vs specialists (issue 18): the reference claims specialists are 2.5x faster and
2.6x cheaper than one generalist agent. This measures the claim on our own system.

For each lab question, three runs:
- offline: the rule-based engine (no model calls), for reference;
- specialists: the supervisor with Claude (routing, plan, specialists in parallel where the plan
  allows, synthesis) against the loopback Anthropic server, with the fixed tier per specialist and
  again with llm.tier_policy: complexity ("specialists (tiers)"), which is the tier benchmark;
- generalist: one agent with every tool and one prompt, in one conversation, on one model tier
  (the deep tier by default: a single prompt must do the synthesis-level reasoning too).

The loopback server answers each call after the time a latency model gives it (bench/latency_model.py):
a fixed time per call (--latency-model fixed, the default), or time to first token plus input
tokens over a prefill rate plus output tokens over a decode rate, per model tier (--latency-model
tokens), which charges a generalist's long transcripts and a deep tier's slower decoding what they
cost. It plays a scripted model: the
specialists and the generalist make the same tool calls (those the offline analysts made for the
question, read from the offline answer's evidence) and report the same findings. The generalist
investigates one domain per turn, as a single agent reasoning over one transcript does; its
transcript, and so its input tokens, grows with every turn. Tokens are counted from the size of
what is actually sent (about 4 characters a token), with the system prompt and tool definitions
written to the prompt cache on their first call and read from it afterwards when the API would
cache them (see ScriptedModel.usage). What this cannot
measure is answer quality: both engines report what the offline analysts found, so "root cause
found" is the same for all three by construction, and says whether the question's cause is in
the findings at all.

Issue 27 adds questions that truly span domains: bench/orchestration.py's four-investigator plans
(multi_domain_cases(): four investigators and documentation, the hybrid plan, and the question the
learned router is unsure of), on their lab scenario, with their route and plan (the offline run
that the scripted model replays is routed and planned the same way); a scripted reply for the parts
of a large tool result (agents/llm/chunking.py); a prompt cache as the API keeps it (only a prefix
marked with cache_control and of the model's minimum cacheable length, matched by content); and totals split single-domain / multi-domain, with
the generalist / specialists ratios per question.

Run: python bench/generalist.py [--latency 0.2] [--generalist-tier deep]
     python bench/generalist.py --latency-model tokens [--time-scale 0.25] [--ttft fast=0.5,...] [--output-rate ...] [--prefill-rate ...]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anthropic import AsyncAnthropic  # noqa: E402

from agents.config import EngineConfig, LLMConfig, NetworkConfig, ResilienceConfig  # noqa: E402
from agents.engine import EngineOptions, build_engine  # noqa: E402
from agents.llm.chunking import ChunkDigest  # noqa: E402
from agents.llm.client import ClaudeClient  # noqa: E402
from agents.llm.schemas import REPORT_MODELS, DiagnosisReport, PlanOut, PlanStepOut, RouteOut, SynthesisOut  # noqa: E402
from agents.models import Answer, ExecutionMode, Plan, PlanStep, Request, RouteDecision, Specialist, Usage  # noqa: E402
from agents.planner import finalise  # noqa: E402
from agents.specialists.base import definitions  # noqa: E402
from agents.supervisor import Supervisor  # noqa: E402
from agents.tools import build_toolbox  # noqa: E402
from agents.tools.registry import TOOL_SPECS, call_tool, tool_definition  # noqa: E402
from agents.usage import UsageMeter  # noqa: E402
from bench.latency_model import LatencyModel  # noqa: E402
from bench.orchestration import Case, FixedRouter, close, multi_domain_cases, supervisor  # noqa: E402
from tests.fakes.anthropic_api import FakeAnthropic, dynamic, slow, text, tool_use  # noqa: E402


@dataclass(frozen=True)
class Question:
    name: str
    scenario: str | None
    text: str
    words: list[str]  # one must appear in a finding for the root cause to count as found
    case: Case | None = None  # a multi-domain question: bench/orchestration.py's case (route and plan fixed to its own)

    @property
    def multi(self) -> bool:
        return self.case is not None


# single-domain (or one investigator and documentation): one lab scenario each
SINGLE = [
    Question("bgp-peer-down", "bgp-peer-down", "branch users say they can't reach HQ, what's going on?", ["remote-as", "remote-AS"]),
    Question("wan-congestion", "wan-congestion", "why is the branch office slow?", ["QoS", "utilisation", "congest"]),
    Question("ospf-stuck-exstart", "ospf-stuck-exstart", "is routing healthy in the campus?", ["MTU", "mtu"]),
    Question("interface-errors", "interface-errors", "users complain about packet loss, what is wrong?", ["CRC", "errors"]),
    Question("high-cpu", "high-cpu", "why is the internet edge sluggish?", ["CPU"]),
    Question("insecure-mgmt", "insecure-mgmt", "are our devices secure?", ["telnet", "Telnet"]),
]
# multi-domain: the orchestration bench's four-investigator plans, on their lab scenario, with their route and plan
MULTI = [Question(f"multi: {c.name}", c.scenario, c.question, ["edge-rtr-01"], c) for c in multi_domain_cases()]
QUESTIONS = SINGLE + MULTI
# The API's minimum cacheable prompt length per model (Anthropic prompt-caching docs, late 2026): a
# shorter prefix marked with cache_control is processed as plain input, without a cache entry.
CACHE_MINIMUM = {"claude-haiku-4-5": 4096, "claude-sonnet-4-6": 1024, "claude-opus-4-6": 4096}
GENERALIST_PROMPT = "You are the only analyst of a network operations centre.\n\n" + "\n\n".join(
    d.system_prompt for d in definitions().values())


@dataclass
class Row:
    engine: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    wall_s: float
    found: bool


def tokens(value: Any) -> int:
    return max(1, len(json.dumps(value)) // 4)


class ScriptedModel:
    """The model behind the loopback server: replays the offline run's tool calls and findings."""

    def __init__(self, latency: LatencyModel) -> None:
        self.latency = latency
        self.offline: Answer | None = None
        self.cached: set[str] = set()

    def usage(self, body: dict, reply: Any) -> dict[str, int]:
        """Usage as the API reports it: a prefix (tools + system) marked with cache_control and at
        least the model's minimum cacheable length is written to the cache on its first call and read
        after (keyed by its content, as the API matches it); any other is plain input every call."""
        system, tools = body.get("system") or [], body.get("tools") or []
        prefix = tokens([system, tools])
        if not any(b.get("cache_control") for b in [*system, *tools]) or prefix < CACHE_MINIMUM.get(body.get("model", ""), 1024):
            return {"input_tokens": tokens(body["messages"]) + prefix, "output_tokens": tokens(reply),
                    "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        key = hashlib.sha256(json.dumps([system, tools], sort_keys=True).encode()).hexdigest()
        first = key not in self.cached
        self.cached.add(key)
        return {"input_tokens": tokens(body["messages"]), "output_tokens": tokens(reply),
                "cache_creation_input_tokens": prefix if first else 0, "cache_read_input_tokens": 0 if first else prefix}

    def reply(self, body: dict, payload: Any = None, calls: list[tuple[str, dict]] | None = None) -> Any:
        content = payload.model_dump(mode="json") if payload is not None else calls
        usage = self.usage(body, content)
        return slow(self.latency.seconds(body, usage), tool_use(*calls, usage=usage) if calls else text(payload, usage=usage))

    def __call__(self, body: dict) -> Any:
        assert self.offline is not None
        role = body["system"][0]["text"].splitlines()[0].removeprefix("Role: ")
        answer = self.offline
        if role == "router":
            return self.reply(body, RouteOut(primary=answer.primary, specialists=answer.specialists, devices=answer.devices, reasoning="as offline"))
        if role == "planner":
            steps = [PlanStepOut(id=s.id, agent=s.agent, instruction=s.instruction, devices=s.devices, depends_on=s.depends_on)
                     for s in (answer.plan.steps if answer.plan else [])]
            return self.reply(body, PlanOut(steps=steps, reasoning="as offline"))
        if role == "synthesis":
            return self.reply(body, SynthesisOut(summary=answer.summary, conflicts=[]))
        if role.startswith("chunk:"):  # a part of a large tool result (llm/chunking.py): the step's findings, a sentence each
            agent = Specialist(role.removeprefix("chunk:"))
            return self.reply(body, ChunkDigest(facts=[f.text[:300] for r in answer.responses if r.agent == agent for f in r.findings][:3]))
        turns = sum(1 for m in body["messages"] if m["role"] == "assistant")
        if role.startswith("specialist:"):
            agent = Specialist(role.removeprefix("specialist:"))
            calls = self.calls(body, [agent])
            if turns == 0 and calls:
                return self.reply(body, calls=calls)
            return self.reply(body, self.report(agent, [agent]))
        # the generalist: one domain per turn, then one report with everything
        domains = [r.agent for r in answer.responses]
        while turns < len(domains) and not self.calls(body, [domains[turns]]):
            turns += 1  # a domain without tool calls costs no turn
        if turns < len(domains):
            return self.reply(body, calls=self.calls(body, [domains[turns]]))
        return self.reply(body, self.report(answer.primary, domains, generalist=True))

    def calls(self, body: dict, agents: list[Specialist]) -> list[tuple[str, dict]]:
        schemas = {t["name"]: t["input_schema"] for t in body.get("tools", [])}
        out = []
        for r in self.offline.responses if self.offline else []:
            if r.agent in agents:
                out += [(e.tool, arguments(schemas[e.tool], e.device, r.task)) for e in r.evidence if e.tool in schemas]
        return out

    def report(self, agent: Specialist, agents: list[Specialist], generalist: bool = False) -> Any:
        responses = [r for r in self.offline.responses if r.agent in agents] if self.offline else []
        findings = [{"text": f.text, "severity": f.severity.value, "device": f.device} for r in responses for f in r.findings]
        recs = [{"text": x.text, "commands": x.commands, "device": x.device, "priority": x.priority} for r in responses for x in r.recommendations]
        base = {"summary": " ".join(r.summary for r in responses)[:600] or "nothing found", "findings": findings,
                "recommendations": recs, "confidence": 0.8}
        model = DiagnosisReport if generalist else REPORT_MODELS[agent]
        extras = {"root_cause": findings[0]["text"] if findings else "none", "affected_layer": "network", "generated_config": [],
                  "risk_scores": {}, "bottlenecks": [], "incident_report": None, "runbooks": []}
        return model(**base, **{k: v for k, v in extras.items() if k in model.model_fields})


def arguments(schema: dict, device: str | None, question: str) -> dict:
    """Arguments that satisfy a tool's schema: the device read, the question as free text."""
    args: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema.get("properties", {}).get(name, {})
        if name == "device":
            args[name] = device or ""
        elif "enum" in prop:
            args[name] = prop["enum"][0]
        elif prop.get("type") in ("integer", "number"):
            args[name] = 1
        else:
            args[name] = question
    if device and "device" in schema.get("properties", {}):
        args["device"] = device
    return args


def found(texts: list[str], words: list[str]) -> bool:
    return any(w in t for t in texts for w in words)


class FixedPlanner:
    """The planner's stage with the case's plan (bench/orchestration.py's scripted planner answers the same)."""

    def __init__(self, case: Case) -> None:
        self.case = case

    async def plan(self, context: Any, decision: RouteDecision, devices: list[str], requested: ExecutionMode) -> Plan:
        steps = [PlanStep(id=s.id, agent=s.agent, instruction=s.instruction, devices=s.devices, depends_on=s.depends_on)
                 for s in self.case.plan.steps]
        return finalise(steps, requested, "bench: the case's plan", primary=decision.primary)


async def offline_run(q: Question) -> Answer:
    """The offline engine's answer, whose tool calls and findings the scripted model replays; a
    multi-domain question is routed and planned as its orchestration case says."""
    toolbox = build_toolbox(NetworkConfig(), scenario=q.scenario)
    sup = Supervisor(toolbox, EngineConfig())
    if q.case is not None:
        sup.pipeline = replace(sup.pipeline, router=FixedRouter(q.case.decision), planner=FixedPlanner(q.case))
    try:
        return await sup.run(Request.from_text(q.text, role="operator"))
    finally:
        toolbox.gateway.close()


async def specialists_run(api: FakeAnthropic, config: LLMConfig, q: Question) -> tuple[Usage, float, list[str]]:
    """The supervisor with Claude; a multi-domain question is built as the orchestration bench builds
    it (its learned router's decision fixed to the case's, unless the case uses the real one)."""
    sdk = AsyncAnthropic(base_url=api.url, api_key="bench", max_retries=0)
    if q.case is not None:
        engine = supervisor(api.url, q.case, config, ResilienceConfig(), EngineConfig())
    else:
        engine = build_engine(EngineOptions(llm=config), build_toolbox(NetworkConfig(), scenario=q.scenario), model=sdk)
    try:
        t0 = time.perf_counter()
        answer = await engine.run(Request.from_text(q.text, role="operator"))
        return answer.usage, time.perf_counter() - t0, [f.text for f in answer.findings]
    finally:
        await close(engine)
        await sdk.close()


async def generalist_run(api: FakeAnthropic, config: LLMConfig, tier: str, scenario: str, question: str) -> tuple[Usage, float, list[str]]:
    client = ClaudeClient(config, client=AsyncAnthropic(base_url=api.url, api_key="bench", max_retries=0))
    meter = UsageMeter(config.prices, cost_limit_usd=1000.0)
    toolbox = build_toolbox(NetworkConfig(), scenario=scenario)
    tools = [tool_definition(name) for name in TOOL_SPECS]
    messages: list[dict[str, Any]] = [{"role": "user", "content": f"Question from the NOC: {question}\n"
                                       f"Inventory: {', '.join(toolbox.inventory.names)}"}]
    try:
        t0 = time.perf_counter()
        for _ in range(12):
            report, message = await client.structured(role="generalist", agent="generalist", tier=config.tiers[tier], system=GENERALIST_PROMPT,
                                                      messages=messages, output_model=DiagnosisReport, meter=meter, tools=tools)
            if report is not None:
                return meter.total, time.perf_counter() - t0, [f.text for f in report.findings]
            calls = [b for b in message.content if getattr(b, "type", "") == "tool_use"]
            results = await asyncio.gather(*(call_tool(toolbox, c.name, dict(c.input)) for c in calls))
            messages.append({"role": "assistant", "content": [b.model_dump(mode="json", exclude_none=True) for b in message.content]})
            messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": c.id, "content": r.model_dump_json(exclude_none=True)[:6000]}
                                                         for c, r in zip(calls, results, strict=True)]})
        raise RuntimeError("the generalist did not report within 12 turns")
    finally:
        toolbox.gateway.close()
        await client.client.close()


def row(engine: str, usage: Usage, wall: float, ok: bool) -> Row:
    return Row(engine, usage.llm_calls, usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens, usage.output_tokens,
               usage.cost_usd, wall, ok)


async def main(latency: LatencyModel, tier: str, router_confidence: float = 1.0) -> list[tuple[Question, list[Row]]]:
    # by default Claude routes and plans every question (1.0), no follow-ups; the product's default 0.8 leaves a
    # question the learned router is sure of to it (no routing or planning call)
    config = LLMConfig(router_confidence=router_confidence, follow_ups=0)
    model = ScriptedModel(latency)
    results = []
    with FakeAnthropic() as api:
        api.script(None, dynamic(model))
        for q in QUESTIONS:
            t0 = time.perf_counter()
            offline = await offline_run(q)
            rows = [Row("offline", 0, 0, 0, 0.0, time.perf_counter() - t0, found([f.text for f in offline.findings], q.words))]
            model.offline, model.cached = offline, set()
            usage, wall, texts = await specialists_run(api, config, q)
            rows.append(row("specialists", usage, wall, found(texts, q.words)))
            model.cached = set()
            usage, wall, texts = await specialists_run(api, config.model_copy(update={"tier_policy": "complexity"}), q)
            rows.append(row("specialists (tiers)", usage, wall, found(texts, q.words)))
            model.cached = set()
            usage, wall, texts = await generalist_run(api, config, tier, q.scenario, q.text)
            rows.append(row(f"generalist ({tier})", usage, wall, found(texts, q.words)))
            results.append((q, rows))
    return results


def ratios(rows: list[Row]) -> str:
    """generalist / each specialists row, wall time and cost."""
    by = {r.engine: r for r in rows}
    gen = next(r for r in rows if r.engine.startswith("generalist"))
    return "  ".join(f"{(gen.wall_s / by[e].wall_s) if by[e].wall_s else 0:5.2f}x {(gen.cost_usd / by[e].cost_usd) if by[e].cost_usd else 0:5.2f}x"
                     for e in ("specialists", "specialists (tiers)"))


def render(results: list[tuple[Question, list[Row]]], latency: LatencyModel) -> str:
    width = max(len(q.name) for q, _ in results)
    out = [f"{latency.describe()}; tokens include cache reads and writes",
           f"{'question':{width}} {'engine':21} {'calls':>5} {'in tok':>8} {'out tok':>7} {'cost $':>9} {'wall s':>7} root cause"]
    for q, rows in results:
        for r in rows:
            out.append(f"{q.name:{width}} {r.engine:21} {r.calls:5d} {r.input_tokens:8d} {r.output_tokens:7d} {r.cost_usd:9.4f} {r.wall_s:7.2f} "
                       + ("found" if r.found else "missed"))
    out += ["", "generalist / specialists per question (wall time, cost), against specialists and specialists (tiers):"]
    out += [f"  {'multi ' if q.multi else 'single'} {q.name:{width}}  {ratios(rows)}" for q, rows in results]
    for label, part in (("single-domain", [x for x in results if not x[0].multi]), ("multi-domain", [x for x in results if x[0].multi]),
                        ("all", results)):
        if not part:
            continue
        totals: dict[str, list[float]] = {}
        for _, rows in part:
            for r in rows:
                t = totals.setdefault(r.engine, [0, 0.0, 0.0])
                t[0] += r.calls
                t[1] += r.cost_usd
                t[2] += r.wall_s
        out += ["", f"{label} ({len(part)} question{'s' if len(part) != 1 else ''}):"]
        for engine, (calls, cost, wall) in totals.items():
            out.append(f"total {engine:21} calls {int(calls):4d}  cost ${cost:.4f}  wall {wall:.2f}s")
        spec = totals["specialists"]
        for engine, (_, cost, wall) in totals.items():
            if engine not in ("offline", "specialists"):
                claim = " (the reference's claim for a generalist: 2.5x the time, 2.6x the cost)" if engine.startswith("generalist") else ""
                out.append(f"{engine} / specialists: wall time {wall / spec[2]:.2f}x, cost {cost / spec[1]:.2f}x{claim}")
        gen = next(v for k, v in totals.items() if k.startswith("generalist"))
        tiers = totals["specialists (tiers)"]
        out.append(f"generalist / specialists (tiers): wall time {gen[2] / tiers[2]:.2f}x, cost {gen[1] / tiers[1]:.2f}x")
    return "\n".join(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    LatencyModel.add_arguments(parser)
    parser.add_argument("--generalist-tier", default="deep", choices=["fast", "balanced", "deep"])
    parser.add_argument("--router-confidence", type=float, default=1.0,
                        help="llm.router_confidence of the specialists' runs (1.0: Claude routes and plans every question)")
    args = parser.parse_args()
    model = LatencyModel.from_args(args)
    print(render(asyncio.run(main(model, args.generalist_tier, args.router_confidence)), model))
