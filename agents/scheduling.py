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
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from graphlib import TopologicalSorter
from typing import Any, Generic, Protocol, TypeVar

from agents.catalogue import catalogue
from agents.context import RequestContext
from agents.models import AgentResponse, AgentTask, ExecutionMode, Plan, PlanStep, RouteDecision, Specialist
from agents.progress import Observer, ProgressEvent, StepFinished, StepStarted

log = logging.getLogger(__name__)

R = TypeVar("R")
StartStep = Callable[[PlanStep], Awaitable[object]]
RunEarly = Callable[[PlanStep, Observer], Awaitable[R]]


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


# -- steps started before the plan exists ---------------------------------------------------------
#
# Why: when the learned router is unsure, a Claude routing call and a Claude planning call sit in
# front of every investigation (issue 27 measured them holding a four-specialist question at 2.4x
# sequential/parallel). The specialists a router is confident about do not need the plan to start:
# they start while Claude routes and plans, and the plan, when it arrives, takes over the ones it
# wants and cancels the rest. While Claude routes, the candidates start too (`candidates`: the
# learned route's specialists and those the question names); the ones Claude's route leaves out are
# cancelled as soon as it arrives (`keep_early`), one call's time after they started. A plan step
# takes over an early step only when running it from the start would have been the same work: the
# same specialist and devices, and no dependencies (so no other step's findings in its context, in
# any mode). An early step investigates the question itself, as the rule plan's steps do; a Claude
# plan's own wording of that step is not sent to it. Sequential requests start nothing early.
#
# Speculation must cost nothing the requester sees: an early step's progress (its start, tool reads,
# end) and what it would add to the answer's notes (a fallback to rules, a withheld read) are held
# back (`Held`) until the plan adopts it; a step the plan does not want was never shown and says
# nothing in the answer. The answer's trace keeps it, and the usage counts its calls.


class Dropped:
    """Set on an early step the request cancels because it does not need it (Claude's route or the
    plan left it out): a model call cut by that cancellation is not the provider's failure."""

    def __init__(self) -> None:
        self.value = False


DROPPED: ContextVar[Dropped | None] = ContextVar("early_step_dropped", default=None)


def dropped() -> bool:
    """Whether the running step (and the tasks it started) is an early step its request dropped."""
    flag = DROPPED.get()
    return flag is not None and flag.value


class Notes(Protocol):
    """The answer's notes (agents/context.py `AnswerNotes`): its trace, and what it must say."""

    def record(self, event: ProgressEvent) -> None: ...
    def note(self, event: ProgressEvent) -> None: ...


class Held:
    """The observer of an early step: the answer's trace records every event as it happens; the
    answer's notes (a fallback to rules, a withheld read) and the requester's live progress hear
    them only once the plan adopts the step, then all held so far, in order. A step that is
    cancelled is never shown live and says nothing in the answer."""

    def __init__(self, quiet: Notes, live: Observer) -> None:
        self.quiet, self.live = quiet, live
        self.held: list[ProgressEvent] | None = []  # None once released: events pass straight through

    async def emit(self, event: ProgressEvent) -> None:
        self.quiet.record(event)
        if self.held is None:
            await self._tell(event)
        else:
            self.held.append(event)

    async def release(self) -> None:
        held, self.held = self.held or [], None
        for event in held:
            await self._tell(event)

    async def _tell(self, event: ProgressEvent) -> None:
        self.quiet.note(event)
        try:
            await self.live.emit(event)
        except Exception:
            log.warning("progress observer failed on %s", event.kind, exc_info=True)


class EarlyStarts(Generic[R]):
    """The steps of one request started before its plan, by specialist.

    `run` runs one step to its response (the supervisor's step runner) reporting to the observer it
    is given (a `Held` between `quiet` and `live`); `devices` gives the devices the plan's steps get
    for a route decision. A specialist is started at most once per request, unless cancelled."""

    def __init__(self, run: RunEarly[R], devices: Callable[[RouteDecision], list[str]], question: str,
                 quiet: Notes, live: Observer, enabled: bool = True) -> None:
        self._run, self._devices, self.question, self.enabled = run, devices, question, enabled
        self.quiet, self.live = quiet, live
        self.running: dict[Specialist, tuple[PlanStep, asyncio.Task[R]]] = {}
        self.held: dict[str, Held] = {}  # by early step id
        self.flags: dict[str, Dropped] = {}  # by early step id
        self.cancelled: list[tuple[PlanStep, asyncio.Task[R]]] = []
        self.dropped: list[PlanStep] = []  # cancelled before the plan came (`keep`), not yet reported

    def start(self, decision: RouteDecision, agents: list[Specialist]) -> list[PlanStep]:
        """Start a step for each of `agents` not running yet; returns the steps started now."""
        if not self.enabled:
            return []
        devices = self._devices(decision)
        new = []
        for agent in agents:
            if agent not in self.running:
                step = PlanStep(id=f"early-{agent.value}", agent=agent, instruction=self.question, devices=devices)
                self.held[step.id], self.flags[step.id] = Held(self.quiet, self.live), Dropped()
                token = DROPPED.set(self.flags[step.id])  # the step's task (and its tasks) see its own flag
                try:
                    self.running[agent] = (step, asyncio.ensure_future(self._run(step, self.held[step.id])))
                finally:
                    DROPPED.reset(token)
                new.append(step)
        return new

    def keep(self, agents: list[Specialist]) -> None:
        """Cancel the early steps of specialists not in `agents` now (Claude's route left them out)."""
        for agent in [a for a in self.running if a not in agents]:
            step, task = self.running.pop(agent)
            self.flags[step.id].value = True
            task.cancel()
            self.cancelled.append((step, task))
            self.dropped.append(step)

    def adopt(self, plan: Plan) -> tuple[dict[str, asyncio.Task[R]], list[PlanStep]]:
        """Hand the early steps to `plan`: {plan step id: the running step} for each step the plan
        wants as it runs, and the early steps it does not want (with those `keep` dropped), cancelled
        now (await `settle` before reading what they may have touched). Nothing is left to adopt afterwards."""
        taken: dict[str, asyncio.Task[R]] = {}
        left = dict(self.running)
        # sequential: a step without dependencies still sees what ran before it, so only the first is the same work
        wanted = plan.steps if plan.mode != ExecutionMode.sequential else [s for s in plan.steps if plan.phases and s.id == plan.phases[0][0]]
        for step in wanted:
            early = left.get(step.agent)
            if early is not None and not step.depends_on and sorted(step.devices) == sorted(early[0].devices):
                taken[step.id] = early[1]
                del left[step.agent]
        for step, task in left.values():
            self.flags[step.id].value = True
            task.cancel()
        self.cancelled += left.values()
        dropped, self.running, self.dropped = self.dropped + [step for step, _ in left.values()], {}, []
        return taken, dropped

    def drop(self) -> list[PlanStep]:
        """Cancel every early step not adopted (the request ends without running a plan)."""
        return self.adopt(Plan(steps=[], mode=ExecutionMode.parallel))[1]

    async def settle(self) -> None:
        """Wait until every cancelled step has stopped: nothing of theirs runs after this."""
        if self.cancelled:
            await asyncio.gather(*(task for _, task in self.cancelled), return_exceptions=True)


# The request's early starts, set by the supervisor around routing and planning: the Claude stages
# (agents/llm/pipeline.py) start steps through it just before their calls. None: start nothing.
EARLY: ContextVar[EarlyStarts[Any] | None] = ContextVar("early_starts", default=None)


def confident(decision: RouteDecision, bar: float) -> list[Specialist]:
    """The specialists of `decision` the router gives at least `bar` of being needed (the learned
    router's membership probability; for the primary, the larger of that and its confidence)."""
    def p(s: Specialist) -> float:
        score = decision.scores.get(s.value, 0.0)
        return max(score, decision.confidence) if s == decision.primary else score
    return [s for s in decision.specialists if p(s) >= bar]


def candidates(decision: RouteDecision, named: list[Specialist], bar: float) -> list[Specialist]:
    """The specialists worth starting while Claude routes a question the learned router is unsure
    of: those it is confident about (`bar`), the rest of its route (primary and joiners), and those
    the question names (`named`: agents/routing.py). On the held-out routing sets this starts about
    nine in ten of the specialists the questions need before Claude's route, against about half for
    the confident ones alone, at under one extra step a question, cancelled when Claude's route comes."""
    return list(dict.fromkeys([*confident(decision, bar), *decision.specialists, *named]))


def keep_early(agents: list[Specialist]) -> None:
    """Claude's route has come: cancel the current request's early steps of other specialists."""
    early = EARLY.get()
    if early is not None:
        early.keep(agents)


def start_early(decision: RouteDecision, agents: list[Specialist]) -> list[PlanStep]:
    """Start `agents` early for the current request, if it takes early starts. Writers (a spec's
    plan.runs_after_others: documentation) are never started early: a plan runs them after others."""
    early = EARLY.get()
    if early is None:
        return []
    specs = catalogue().specs
    return early.start(decision, [a for a in agents if a.value in specs and not specs[a.value].plan.runs_after_others])


async def hand_over(session: RequestContext, early: EarlyStarts[AgentResponse], tasks: Mapping[str, AgentTask],
                    plan: Plan | None) -> dict[str, asyncio.Task[AgentResponse]]:
    """The plan takes over the early steps it wants and cancels the others (None: cancel them all).
    An adopted step continues under the plan's step id (`tasks`: the early steps' tasks, renamed
    here, so its end is reported under that id); a cancelled step's work never reaches the answer."""
    adopted, cancelled = early.adopt(plan) if plan is not None else ({}, early.drop())
    rid = session.request.id
    steps = {s.id: s for s in plan.steps} if plan is not None else {}
    for sid in adopted:
        step, task = steps[sid], tasks[f"early-{steps[sid].agent.value}"]
        await early.held[task.id].release()  # shown from now on, from its start
        await session.emit(StepFinished(request_id=rid, step=task.id, agent=step.agent.value, status="continued",
                                        duration_s=0.0, summary=f"continues as {sid} of the plan"))
        task.id, task.priority = sid, step.priority
        await session.emit(StepStarted(request_id=rid, step=sid, agent=step.agent.value, instruction=step.instruction[:200]))
        if adopted[sid].done():  # it finished before the plan came: its end under the plan's id too
            done = adopted[sid].result()
            await session.emit(StepFinished(request_id=rid, step=sid, agent=step.agent.value, status=done.status,
                                            duration_s=done.duration_s, summary=(done.summary or done.error or "")[:300]))
    # Stopped first, then told: a step whose cancellation arrived as it finished (asyncio.wait_for
    # can swallow it then) reports its own end before this, so its last word is "cancelled". Told
    # the answer's trace only: the requester never saw it start.
    await early.settle()
    for step in cancelled:
        event = StepFinished(request_id=rid, step=step.id, agent=step.agent.value, status="cancelled",
                             duration_s=0.0, summary="started early; the plan does not need it")
        event.t = session.elapsed()
        early.quiet.record(event)
    return adopted
