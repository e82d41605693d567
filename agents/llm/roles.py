"""Claude in the supervisor's own roles: routing, planning, coordinating follow-ups, synthesis.

Each function returns the same types the rule-based path produces, validated the same way, so
the supervisor can fall back to the rules on `LLMUnavailable` or `PlanError` without special
cases downstream.
"""

from __future__ import annotations

from agents.config import LLMConfig, TierConfig
from agents.llm.client import ClaudeClient
from agents.llm.schemas import GapList, PlanOut, RouteOut, SynthesisOut, naming_specialists
from agents.models import AgentResponse, Answer, ExecutionMode, Plan, PlanStep, RouteDecision
from agents.network.inventory import Inventory
from agents.planner import PlanError, finalise
from agents.specialists.base import definitions
from agents.tools.redact import redact_prose
from agents.usage import UsageMeter
from agents.workflows import kind_of, shapes_text


def _specialists() -> str:
    """One line per specialist of the catalogue (built when asked: specialists are folders)."""
    return "\n".join(f"- {d.name.value}: {d.scope}" for d in definitions().values())


def router_prompt() -> str:
    return f"""You route questions from network operations engineers to specialists.
Specialists:
{_specialists()}
Pick the primary specialist by the asker's main intent, add others only if they are needed,
and list the inventory devices the question names (exact names only)."""


def planner_prompt() -> str:
    shapes = shapes_text()
    offered = (f"""
Some kinds of request have a plan shape: phases in order, the specialists of one phase in
parallel, each phase depending on every step before it. When the request names its kind, follow
that shape unless the question clearly needs less:
{shapes}""" if shapes else "")
    return f"""You plan how specialists answer a NOC question. Specialists:
{_specialists()}
Write at most the allowed number of steps. Use depends_on only when a step needs another step's
findings (documentation writing a report needs the investigators first). No cycles.{offered}"""

COORDINATOR_PROMPT = """You review specialists' reports for gaps: a question part nobody answered,
a claim without evidence, a device mentioned but not checked. List only gaps that one more
specialist task would close; list none when the reports answer the question."""

SYNTHESIS_PROMPT = """You write the final answer for a NOC engineer from specialists' reports.
Lead with the root cause or conclusion, then what each specialist found, citing it in
parentheses like (diagnosis). Resolve conflicts explicitly (the most severe rating wins) and
name specialists that failed. Do not add facts that are not in the reports. Be brief."""


async def route(claude: ClaudeClient, config: LLMConfig, meter: UsageMeter, question: str, inventory: Inventory,
                keyword: RouteDecision) -> RouteDecision:
    out = await claude.output(
        role="router", agent="router", tier=config.tiers[config.role_tier("router")], system=router_prompt(), meter=meter,
        output_model=naming_specialists(RouteOut),
        messages=[{"role": "user", "content": f"Inventory: {', '.join(inventory.names)}\nQuestion: {redact_prose(question)}"}],
    )
    specialists = list(dict.fromkeys([out.primary, *out.specialists]))
    devices = [d for d in out.devices if d in inventory] or keyword.devices
    return keyword.model_copy(update={"primary": out.primary, "specialists": specialists, "devices": devices, "method": "claude"})


async def plan(claude: ClaudeClient, config: LLMConfig, meter: UsageMeter, question: str, decision: RouteDecision,
               devices: list[str], inventory: Inventory, requested: ExecutionMode) -> Plan:
    out = await claude.output(
        role="planner", agent="planner", tier=config.tiers[config.role_tier("planner")], system=planner_prompt(), meter=meter,
        output_model=naming_specialists(PlanOut),
        messages=[{"role": "user", "content": (
            f"Question: {redact_prose(question)}\nRouted to: {', '.join(s.value for s in decision.specialists)} "
            f"(primary {decision.primary.value})\nDevices: {', '.join(devices) or 'none named'}\n"
            f"Inventory: {', '.join(inventory.names)}\nAt most {config.max_plan_steps} steps."
            + (f"\nKind of request: {kind} (its plan shape is in your instructions)" if (kind := kind_of(question)) else ""))}],
    )
    unknown = sorted({d for s in out.steps for d in s.devices if d not in inventory})
    if unknown:
        raise PlanError(f"plan names devices that are not in the inventory: {', '.join(unknown)}")
    steps = [PlanStep(id=s.id, agent=s.agent, instruction=s.instruction, devices=s.devices or devices, depends_on=s.depends_on)
             for s in out.steps]
    plan = finalise(steps, requested, f"claude: {out.reasoning}", max_steps=config.max_plan_steps, primary=decision.primary)
    return plan.model_copy(update={"kind": kind_of(question)})


def _reports(responses: list[AgentResponse]) -> str:
    parts = []
    for r in responses:
        lines = [f"## {r.agent.value} ({r.status}, confidence {r.confidence:.2f}, severity {r.severity.value})", r.summary or r.error or ""]
        lines += [f"- [{f.severity.value}] {f.text}" for f in r.findings[:20]]
        parts.append("\n".join(lines))
    return redact_prose("\n\n".join(parts))


def visible_gaps(responses: list[AgentResponse], min_confidence: float) -> list[str]:
    """Gaps the reports show without asking anyone: a report that failed or is partial, one below
    `min_confidence`, a finding about a device that no tool call read (a claim without evidence).
    The coordinator's call sits on the critical path, so with llm.coordinator: on_gaps it is made
    only when this finds something."""
    found = [f"{r.agent.value} {r.status}" for r in responses if r.status != "success"]
    found += [f"{r.agent.value} confidence {r.confidence:.2f}" for r in responses if r.status == "success" and r.confidence < min_confidence]
    read = {e.device for r in responses for e in r.evidence if e.ok and e.device}
    found += [f"{f.device} not read" for r in responses for f in r.findings if f.device and f.device not in read]
    return found


async def gaps(claude: ClaudeClient, config: LLMConfig, meter: UsageMeter, question: str, responses: list[AgentResponse]) -> GapList:
    out = await claude.output(
        role="coordinator", agent="coordinator", tier=config.tiers[config.role_tier("coordinator")], system=COORDINATOR_PROMPT,
        meter=meter, output_model=naming_specialists(GapList),
        messages=[{"role": "user", "content": f"Question: {redact_prose(question)}\n\nReports:\n{_reports(responses)}"}],
    )
    return out


async def synthesis(claude: ClaudeClient, config: LLMConfig, meter: UsageMeter, answer: Answer, tier: TierConfig | None = None) -> SynthesisOut:
    """The answer's summary, on `tier` (default: llm.roles.synthesis; agents/llm/tiering.py `synthesis_tier` chooses it)."""
    votes = ", ".join(f"{a}={s}" for a, s in answer.severity_votes.items())
    out = await claude.output(
        role="synthesis", agent="synthesis", tier=tier or config.tiers[config.role_tier("synthesis")], system=SYNTHESIS_PROMPT, meter=meter,
        output_model=SynthesisOut,
        messages=[{"role": "user", "content": (
            f"Question: {redact_prose(answer.question)}\nOverall severity (most severe wins): {answer.severity.value}; votes: {votes}\n"
            f"Failed specialists: {', '.join(answer.failed_agents) or 'none'}\n\nReports:\n{_reports(answer.responses)}")}],
    )
    return out
