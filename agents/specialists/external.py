"""The offline analysts' use of a team's MCP tools (mcp_servers): read, then report what they said.

Every offline analyst (a specialist's rules.py or the generic analyst) is wrapped: after its own
reading, the MCP tools the specialist has (its spec names them, or a server grants them to it)
and that need nothing but a device, or nothing at all, are called through `ctx.tool` (grant, role
gate, evidence, progress) on the step's devices, and each answer becomes an informational finding.
A server that is down is named as a notice on the answer; the analyst's own findings stand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from agents.models import Finding
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, finding
from agents.tools.mcp_toolsets import McpResult

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]

MAX_DEVICES = 12  # as the generic analyst: a question about the whole network still ends in time


def with_external(analyse: Analyst) -> Analyst:
    async def run(ctx: AnalysisContext) -> AnalystOutput:
        out = await analyse(ctx)
        extra = await read_external(ctx)
        return out.model_copy(update={"findings": out.findings + extra}) if extra else out

    return run


async def read_external(ctx: AnalysisContext) -> list[Finding]:
    external = ctx.toolbox.external
    if not external:
        return []
    await external.ensure_listed()
    note_down_servers(ctx)
    devices = ctx.devices[:MAX_DEVICES]
    calls: list[tuple[str, dict[str, Any]]] = []
    for tool in external.tools_for(ctx.agent.value, ctx.definition.tools):
        if not ctx.may_use(tool.local):
            continue
        if tool.required() == {"device"}:
            calls += [(tool.local, {"device": d}) for d in devices]
        elif not tool.required():
            calls.append((tool.local, {}))
    results = await asyncio.gather(*(ctx.tool(name, **args) for name, args in calls))
    return [finding(ctx, f"{r.tool}: {_summary(r)}", Severity.info, r.device, "mcp_result")
            for r in results if isinstance(r, McpResult) and r.ok and (r.text.strip() or r.data)]


def note_down_servers(ctx: AnalysisContext) -> None:
    """Name on the answer every server this specialist could use that is down now."""
    for note in ctx.toolbox.external.down_for(ctx.agent.value, ctx.definition.tools):
        if note not in ctx.refused:
            ctx.refused.append(note)


def _summary(result: McpResult, limit: int = 300) -> str:
    """One line of what the tool said: the scalar fields of a structured result, else its first line."""
    if isinstance(result.data, dict):
        line = "; ".join(f"{k}: {v}" for k, v in result.data.items() if isinstance(v, str | int | float | bool) and v != "")
    else:
        line = next((ln.strip() for ln in result.text.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[:limit] + "..."
