"""Terminal rendering: live progress lines on stderr and a readable answer on stdout.

The progress wording is shared with Slack's status message (`bot.slack.views.progress_text`)."""

from __future__ import annotations

import sys
from typing import TextIO

from agents.catalogue import documents_of
from agents.models import Answer
from agents.progress import ProgressEvent
from bot.slack.views.progress_text import ProgressLine, describe


class TerminalSink:
    """Prints one line per progress event, prefixed with the seconds since the request began."""

    def __init__(self, stream: TextIO | None = None, verbose_tools: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.verbose_tools = verbose_tools

    async def emit(self, event: ProgressEvent) -> None:
        line = describe(event, tools=self.verbose_tools)
        if line:
            print(f"[{event.t:6.2f}s] {_terminal_line(line)}", file=self.stream, flush=True)


def _terminal_line(line: ProgressLine) -> str:
    """The shared wording with the terminal's marks: work inside a step indented under it."""
    if line.kind in ("tool_ok", "tool_failed", "asked"):
        return f"    {line.text}"
    if line.kind in ("info", "warning"):
        return f"NOTICE ({line.status}): {line.text}"
    return line.text


def render_answer(answer: Answer) -> str:
    out = [
        f"Status: {answer.status}   Severity: {answer.severity.value}   Confidence: {answer.confidence:.2f} ({answer.automation})"
        f"   Priority: {answer.incident_priority}",
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
    # The first document a specialist's report declares (spec.yaml `document:`, documentation's incident report).
    report = next((doc for r in answer.responses for field in documents_of(r.agent)
                   if isinstance(doc := r.result.get(field), str) and doc), None)
    if report:
        out += ["", report]
    u = answer.usage
    tokens = u.input_tokens + u.output_tokens
    out += ["", f"Request {answer.request_id}: {answer.duration_s:.2f}s, {u.llm_calls} LLM call(s), {tokens} tokens, ${u.cost_usd:.4f}"]
    return "\n".join(out)
