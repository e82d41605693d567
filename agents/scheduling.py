"""When each step of a plan starts, and whose findings it sees.

Why a module of its own: the execution mode is the one lever that decides how many model calls
sit on a request's critical path, and issue 14 measured it ignoring `depends_on` in parallel mode
(a documentation step started before the investigators it summarises). The three modes:

- sequential: one step at a time in dependency order; a step sees its dependencies' findings, or
  everything finished before it when it names none (a chain of investigators building on each other);
- hybrid: phase by phase (the plan's topological levels): a phase's steps run together and the next
  phase waits for the whole phase, with the same context as sequential;
- parallel: a step starts the moment its own dependencies have finished, not when the whole phase
  has (graphlib's ready set); it sees only its dependencies' findings, so steps without any run
  independently and a step's context never depends on which sibling happened to finish first.

A step that fails still "finishes": its dependants run with what there is, as in the other modes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from graphlib import TopologicalSorter
from typing import TypeVar

from agents.models import ExecutionMode, Plan, PlanStep

R = TypeVar("R")
StartStep = Callable[[PlanStep], Awaitable[object]]


async def run_plan(plan: Plan, start: StartStep) -> None:
    """Run every step of `plan` with `start` in the order its mode allows. Cancelling this
    (the request deadline) cancels the steps still running."""
    steps = {s.id: s for s in plan.steps}
    if plan.mode == ExecutionMode.parallel:
        await _as_ready(plan.steps, start)
    elif plan.mode == ExecutionMode.sequential:
        for phase in plan.phases:
            for sid in phase:
                await start(steps[sid])
    else:
        for phase in plan.phases:
            await asyncio.gather(*(start(steps[sid]) for sid in phase))


async def _as_ready(steps: list[PlanStep], start: StartStep) -> None:
    """Start each step as soon as all of its dependencies are done (the plan is validated: no cycles)."""
    by_id = {s.id: s for s in steps}
    sorter: TopologicalSorter[str] = TopologicalSorter({s.id: set(s.depends_on) for s in steps})
    sorter.prepare()
    running: dict[asyncio.Task[object], str] = {}
    try:
        while sorter.is_active():
            for sid in sorted(sorter.get_ready()):
                running[asyncio.ensure_future(start(by_id[sid]))] = sid
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                sorter.done(running.pop(task))
                task.result()  # a step runner that raised is a bug: let it surface
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def context_sources(step: PlanStep, done: Mapping[str, R], mode: ExecutionMode) -> list[R]:
    """The finished responses whose findings `step` sees (see the module docstring)."""
    if mode == ExecutionMode.parallel:
        return [done[sid] for sid in step.depends_on if sid in done]
    return [done[sid] for sid in (step.depends_on or list(done)) if sid in done]
