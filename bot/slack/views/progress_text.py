"""One wording of the engine's progress events, for every surface that shows them.

`noc ask` prints progress on the terminal and `noc run` keeps a live status message in Slack;
both show the same steps, so the words live here once and a new event kind or a clearer phrase
is written in one place. Each surface adds only its own mark: an emoji in Slack
(`bot.slack.views.status`), indentation and a NOTICE tag on the terminal (`bot.cli.terminal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agents.progress import (
    AgentAsked,
    Finished,
    HandedOff,
    Notice,
    Planned,
    ProgressEvent,
    Routed,
    StepFinished,
    StepStarted,
    ToolCalled,
)
from bot.slack.views.text import cut

LineKind = Literal["routed", "planned", "step_started", "tool_ok", "tool_failed", "step_finished", "asked", "info", "warning",
                   "finished"]


@dataclass(frozen=True)
class ProgressLine:
    """What to say about one event (`text`) and what kind of line it is, for the surface's mark.

    `status` is the step's status for `step_finished` and the notice level for notices.
    """

    kind: LineKind
    text: str
    status: str = ""


def describe(event: ProgressEvent, *, tools: bool = True) -> ProgressLine | None:
    """The line for one progress event; None = nothing to show.

    `tools=False` leaves out per-tool lines, for a quieter channel or when stdout is JSON.
    """
    if isinstance(event, Routed):
        devices = f" · devices: {', '.join(event.devices)}" if event.devices else ""
        return ProgressLine("routed", f"routed to {event.primary} (specialists: {', '.join(event.specialists)}){devices}")
    if isinstance(event, Planned):
        phases = " → ".join(", ".join(p) for p in event.phases) or ", ".join(event.steps)
        ranked = sorted(event.priorities.items(), key=lambda kv: (kv[1], kv[0]))
        priorities = f" · priority: {', '.join(f'{sid}={p}' for sid, p in ranked)}" if ranked else ""
        return ProgressLine("planned", f"plan ({event.mode}): {phases}{priorities}")
    if isinstance(event, StepStarted):
        return ProgressLine("step_started", f"{event.step} {event.agent} started")
    if isinstance(event, ToolCalled):
        if not tools:
            return None
        outcome = "ok" if event.ok else "FAILED"
        text = f"{event.agent} -> {event.tool}({event.device or ''}) {outcome} ({event.duration_s * 1000:.0f} ms)"
        return ProgressLine("tool_ok" if event.ok else "tool_failed", text)
    if isinstance(event, StepFinished):
        summary = f": {cut(event.summary, 140)}" if event.summary else ""
        text = f"{event.step} {event.agent} {event.status} in {event.duration_s:.1f}s{summary}"
        return ProgressLine("step_finished", text, status=event.status)
    if isinstance(event, AgentAsked):
        return ProgressLine("asked", f"{event.from_agent} asked {event.to_agent}: {event.outcome}")
    if isinstance(event, HandedOff):
        return ProgressLine("asked", f"{event.from_agent} handed off to {event.to_agent}: {cut(event.reason, 160)}")
    if isinstance(event, Notice):
        return ProgressLine("info" if event.level == "info" else "warning", event.text, status=event.level)
    if isinstance(event, Finished):
        return ProgressLine("finished", f"Finished: {event.status} in {event.duration_s:.1f}s")
    return None
