"""A specialist investigation with Claude: one readable tool-use loop with a step cap.

Only the specialist's own tools are offered, plus `ask_specialist` (another specialist through
the supervisor's request-chain rules). Tool calls of one turn run concurrently. Tool results
arrive redacted from the tool layer; one above llm.tool_result_max_chars is read in parts on the
cheap tier and merged with its evidence lines (agents/llm/chunking.py), not cut; the question
and the other specialists' findings are redacted as prose before they are sent. The last turn keeps the
tool definitions (so the prompt cache still hits) but sets `tool_choice: none`, so the model
must answer with its structured report.

The pool instance running the step is bound to a model and an endpoint (`ctx.binding`): a
binding's tier or model overrides the tier policy's choice, and every call of the loop goes to
the binding's endpoint, so a retry on another instance really runs elsewhere.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agents.config import InstanceConfig, LLMConfig, TierConfig
from agents.failures import LLMUnavailable
from agents.llm.chunking import fit
from agents.llm.client import ClaudeClient
from agents.llm.schemas import SpecialistReport, report_model
from agents.llm.tiering import TierChoice, choose_tier, device_tools
from agents.models import Finding, Recommendation, Specialist
from agents.progress import TierChosen
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput
from agents.specialists.registry import report_hooks
from agents.tools.redact import redact_prose
from agents.tools.registry import TOOL_SPECS, tool_definition
from agents.usage import UsageMeter


def ask_specialist_tool() -> dict[str, Any]:
    """The `ask_specialist` tool, naming every specialist the catalogue has now."""
    return {
        "name": "ask_specialist",
        "description": "Ask another NOC specialist for data or an analysis you cannot get with your own tools. "
                       "Requests that would loop back to a specialist already asking, or go deeper than the hop limit, are refused.",
        "input_schema": {
            "type": "object",
            "properties": {
                "specialist": {"type": "string", "enum": [s.value for s in Specialist]},
                "request": {"type": "string", "description": "what you need from them"},
                "devices": {"type": "array", "items": {"type": "string"}, "description": "devices concerned, may be empty"},
            },
            "required": ["specialist", "request"],
            "additionalProperties": False,
        },
    }


def tools_for(ctx: AnalysisContext) -> list[dict[str, Any]]:
    """The specialist's tools that the requester's role allows (the gate in `ctx.tool` still checks
    every call), the MCP servers' tools granted to it (mcp_servers), plus `ask_specialist`."""
    external = [t.definition() for t in ctx.toolbox.external.tools_for(ctx.agent.value, ctx.definition.tools) if ctx.may_use(t.local)]
    return [tool_definition(name) for name in ctx.definition.tools if name in TOOL_SPECS and ctx.may_use(name)] + external + [ask_specialist_tool()]


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n...[truncated {len(text) - limit} of {len(text)} characters; ask for one device, section or interface]"


def task_prompt(ctx: AnalysisContext) -> str:
    task = ctx.task
    lines = [f"Question from the NOC: {redact_prose(task.instruction)}"]
    lines.append(f"Devices in scope: {', '.join(task.devices) if task.devices else 'none named; find the relevant ones'}")
    lines.append(f"Inventory: {', '.join(f'{d.name} ({d.role}, {d.os})' for d in ctx.inventory)}")
    if task.context:
        lines.append("Findings from other specialists so far:")
        lines += [f"- ({f.agent}) [{f.severity.value}] {redact_prose(f.text)}" for f in task.context[:30]]
    shared = [f for f in (ctx.memory.findings if ctx.memory is not None else []) if f not in task.context]
    if shared:  # steps this one does not wait for, finished already: the request's shared memory
        lines.append("Also found in this request by steps running beside yours:")
        lines += [f"- ({f.agent}) [{f.severity.value}] {redact_prose(f.text)}" for f in shared[:max(0, 30 - len(task.context))]]
    lines.append("Investigate with your tools, then answer with your report. Cite devices and interfaces exactly as the tools name them.")
    return "\n".join(lines)


async def investigate(ctx: AnalysisContext, claude: ClaudeClient, config: LLMConfig, meter: UsageMeter) -> AnalystOutput:
    agent = ctx.agent
    output_model = report_model(agent)
    await ctx.toolbox.external.ensure_listed()  # a team's MCP servers (listed once; a down one again later)
    for note in ctx.toolbox.external.down_for(agent.value, ctx.definition.tools):
        if note not in ctx.refused:
            ctx.refused.append(note)
    tools = tools_for(ctx)
    choice, tier = bound_tier(config, choose_tier(config, agent.value, ctx.task, inventory_size=len(ctx.inventory.names),
                                                  tools=device_tools(tools), failures=ctx.failures), ctx.binding)
    endpoint = ctx.binding.endpoint if ctx.binding is not None else None
    await ctx.sink.emit(TierChosen(request_id=ctx.request_id, agent=agent.value, tier=choice.tier, model=choice.model, reason=choice.reason))
    messages: list[dict[str, Any]] = [{"role": "user", "content": task_prompt(ctx)}]
    steps = ctx.definition.tool_steps(config.max_tool_steps)
    for turn in range(1, steps + 1):
        final = turn == steps
        report, message = await claude.structured(
            role=f"specialist:{agent.value}", agent=agent.value, tier=tier, system=ctx.definition.system_prompt,
            messages=messages, output_model=output_model, meter=meter, tools=tools,
            tool_choice={"type": "none"} if final else None, endpoint=endpoint, usage_to=ctx.llm_usage,
        )
        if report is not None:
            return to_output(ctx, report)
        calls = [b for b in message.content if getattr(b, "type", "") == "tool_use"]
        if final or not calls:
            break
        messages.append({"role": "assistant", "content": [b.model_dump(mode="json", exclude_none=True) for b in message.content]})
        results = await asyncio.gather(*(_run_call(ctx, call, config, claude, meter, endpoint) for call in calls))
        messages.append({"role": "user", "content": list(results)})
    raise LLMUnavailable("invalid_output", f"{agent.value}: no report within {steps} steps")


def bound_tier(config: LLMConfig, choice: TierChoice, binding: InstanceConfig | None) -> tuple[TierChoice, TierConfig]:
    """The tier the step runs on: the policy's choice, unless the instance is bound to a tier or model."""
    if binding is None or not (binding.tier or binding.model):
        return choice, config.tiers[choice.tier]
    name = binding.tier or choice.tier
    tier = config.tiers[name]
    if binding.model:
        tier = tier.model_copy(update={"model": binding.model})
    return choice.model_copy(update={"tier": name, "model": tier.model,
                                     "reason": f"pool instance bound to {binding.describe()} (policy: {choice.reason})"}), tier


async def _run_call(ctx: AnalysisContext, call: Any, config: LLMConfig, claude: ClaudeClient, meter: UsageMeter,
                    endpoint: str | None) -> dict[str, Any]:
    args = call.input if isinstance(call.input, dict) else {}
    if call.name == "ask_specialist":
        text, is_error = await _ask(ctx, args)
        return {"type": "tool_result", "tool_use_id": call.id, "content": cap(text, config.tool_result_max_chars), "is_error": is_error}
    result = await ctx.tool(call.name, **args)
    # Tool results are redacted field by field in the tool layer (a JSON dump would hide line starts from the redactor).
    # One larger than tool_result_max_chars is read in parts on the cheap tier and merged, not cut (agents/llm/chunking.py).
    content = await fit(result.model_dump_json(exclude_none=True), result.model_dump(mode="json", exclude_none=True), tool=call.name,
                        question=ctx.task.instruction, agent=ctx.agent.value, config=config, claude=claude, meter=meter,
                        endpoint=endpoint, usage_to=ctx.llm_usage)
    return {"type": "tool_result", "tool_use_id": call.id, "content": content, "is_error": not result.ok}


async def _ask(ctx: AnalysisContext, args: dict[str, Any]) -> tuple[str, bool]:
    try:
        target = Specialist(args.get("specialist"))
    except ValueError:
        return f"unknown specialist {args.get('specialist')!r}", True
    response = await ctx.ask(target, str(args.get("request", "")), [d for d in args.get("devices", []) if d in ctx.inventory])
    if response is None:
        record = ctx.requests[-1]
        return f"request refused: {record.outcome} ({record.reason})", True
    return json.dumps({"status": response.status, "summary": response.summary,
                       "findings": [f"[{f.severity.value}] {f.text}" for f in response.findings[:20]]}), response.status == "failure"


def to_output(ctx: AnalysisContext, report: SpecialistReport) -> AnalystOutput:
    agent = ctx.agent.value
    known = set(ctx.inventory.names)
    findings = [Finding(agent=agent, text=f.text, severity=f.severity, device=f.device if f.device in known else None) for f in report.findings]
    recs = [Recommendation(agent=agent, text=r.text, commands=r.commands, device=r.device if r.device in known else None,
                           priority=min(max(r.priority, 1), 5)) for r in report.recommendations]
    if not findings:
        findings = [Finding(agent=agent, text=report.summary, severity=Severity.info)]
    hook = report_hooks().get(ctx.agent)  # the specialist's own completion (spec.yaml hooks.claude_report)
    if hook is not None:
        finished = hook(ctx, report)
        report = finished if isinstance(finished, SpecialistReport) else report
    return AnalystOutput(summary=report.summary, findings=findings, recommendations=recs,
                         confidence=min(max(report.confidence, 0.0), 1.0), result=report)
