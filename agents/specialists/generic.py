"""The offline analyst of a specialist whose folder has no rules.py: read its tools, report
what they noticed.

A new specialist is useful offline from its spec alone: on every device of the step it calls
each of its tools that reads one device (a tool with other required arguments, such as a
runbook query, is skipped; `list_devices` is the inventory, already known), and turns every
observation the tools made into a finding. Rules written later in rules.py replace this.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, failure_findings, finding
from agents.tools.registry import TOOL_SPECS
from agents.tools.results import ToolResult

# Devices read per step at most: a question about the whole network still ends in time.
MAX_DEVICES = 12


def device_tools(ctx: AnalysisContext) -> list[str]:
    """The specialist's tools that need nothing but a device name."""
    usable = []
    for name in ctx.definition.tools:
        spec = TOOL_SPECS.get(name)
        if spec is None or name == "list_devices":
            continue
        required = {n for n, f in spec.args.model_fields.items() if f.is_required()}
        if required == {"device"}:
            usable.append(name)
    return usable


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    tools = [t for t in device_tools(ctx) if ctx.may_use(t)]
    devices = ctx.devices[:MAX_DEVICES]
    results: list[ToolResult] = list(await asyncio.gather(*(ctx.tool(t, device=d) for t in tools for d in devices)))
    findings = [finding(ctx, o.message, o.severity, r.device, o.kind) for r in results if r.ok for o in r.observations]
    findings.sort(key=lambda f: -f.severity.rank)
    read = sum(r.ok for r in results)
    notable = [f for f in findings if f.severity.rank >= Severity.medium.rank]
    title = ctx.definition.title
    if not tools:
        summary = f"{title}: no offline rules, and none of its tools reads a device the requester may see."
    elif notable:
        summary = f"{title}: {len(notable)} notable observation(s) from {read} reading(s) of {len(devices)} device(s); worst: {notable[0].text}"
    else:
        summary = f"{title}: nothing notable in {read} reading(s) of {len(devices)} device(s)."
    findings += failure_findings(ctx)
    confidence = 0.3 if not results else round(0.3 + 0.4 * read / len(results), 2)
    return AnalystOutput(summary=summary, findings=findings, confidence=confidence, partial=read < len(results),
                         result=GenericResult(tools=tools, devices=devices, readings=read))


class GenericResult(BaseModel):
    tools: list[str]
    devices: list[str]
    readings: int
