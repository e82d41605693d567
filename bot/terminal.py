"""Terminal rendering: live progress lines on stderr and a readable answer on stdout."""

from __future__ import annotations

import sys
from typing import TextIO

from agents.models import Answer
from agents.progress import (
    AgentAsked,
    Finished,
    Notice,
    Planned,
    ProgressEvent,
    Routed,
    StepFinished,
    StepStarted,
    ToolCalled,
)


class TerminalSink:
    """Prints one line per progress event, prefixed with the seconds since the request began."""

    def __init__(self, stream: TextIO | None = None, verbose_tools: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.verbose_tools = verbose_tools

    async def emit(self, event: ProgressEvent) -> None:
        line = _describe(event, self.verbose_tools)
        if line:
            print(f"[{event.t:6.2f}s] {line}", file=self.stream, flush=True)


def _describe(e: ProgressEvent, tools: bool) -> str | None:
    if isinstance(e, Routed):
        devices = f" devices: {', '.join(e.devices)}" if e.devices else ""
        return f"routed to {e.primary} (specialists: {', '.join(e.specialists)}){devices}"
    if isinstance(e, Planned):
        return f"plan ({e.mode}): " + " | ".join(", ".join(p) for p in e.phases)
    if isinstance(e, StepStarted):
        return f"{e.step} {e.agent} started"
    if isinstance(e, ToolCalled):
        if not tools:
            return None
        return f"    {e.agent} -> {e.tool}({e.device or ''}) {'ok' if e.ok else 'FAILED'} {e.duration_s * 1000:.0f}ms"
    if isinstance(e, StepFinished):
        return f"{e.step} {e.agent} {e.status} in {e.duration_s:.2f}s: {e.summary[:140]}"
    if isinstance(e, AgentAsked):
        return f"    {e.from_agent} asked {e.to_agent}: {e.outcome}"
    if isinstance(e, Notice):
        return f"NOTICE ({e.level}): {e.text}"
    if isinstance(e, Finished):
        return f"finished: {e.status} in {e.duration_s:.2f}s"
    return None


def render_answer(answer: Answer) -> str:
    out = [
        f"Status: {answer.status}   Severity: {answer.severity.value}   Confidence: {answer.confidence:.2f} ({answer.automation})",
        f"Specialists: {', '.join(s.value for s in answer.specialists) or '-'}   Devices: {', '.join(answer.devices) or 'all'}",
        "",
        "Summary:",
        *[f"  {line}" for line in answer.summary.splitlines()],
    ]
    for n in answer.notices:
        out.append(f"Notice: {n}")
    if answer.findings:
        out += ["", "Findings:"]
        for f in answer.findings:
            first, *rest = f.text.splitlines() or [""]
            out.append(f"  [{f.severity.value.upper():8}] ({f.agent}) {first}")
            out += [f"      {line}" for line in rest]
    if answer.recommendations:
        out += ["", "Recommendations:"]
        for i, r in enumerate(answer.recommendations, start=1):
            where = f" [{r.device}]" if r.device else ""
            out.append(f"  {i}. ({r.agent}){where} {r.text}")
            out += [f"       {c}" for c in r.commands]
    report = next((r.result.get("incident_report") for r in answer.responses if r.result.get("incident_report")), None)
    if report:
        out += ["", report]
    u = answer.usage
    out += ["", f"Request {answer.request_id}: {answer.duration_s:.2f}s, {u.llm_calls} LLM call(s), {u.input_tokens + u.output_tokens} tokens, ${u.cost_usd:.4f}"]
    return "\n".join(out)
