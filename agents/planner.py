"""Plans: which specialists run, in what order, and how (sequential, parallel, hybrid).

A plan is a small DAG of steps with `depends_on`. Phases are its topological levels (stdlib
graphlib, which also detects cycles). `auto` mode picks parallel when nothing depends on
anything, sequential when every step waits for the one before, hybrid otherwise.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from agents.access import Role
from agents.catalogue import catalogue
from agents.config import LLMConfig
from agents.models import ExecutionMode, Plan, PlanStep, RouteDecision, Specialist
from agents.routing import asks_for_report
from agents.workflows import kind_of, phased_steps


class PlanError(ValueError):
    """A plan that cannot run: unknown agent or dependency, a cycle, or too many steps."""


def phases_of(steps: list[PlanStep]) -> list[list[str]]:
    ids = {s.id for s in steps}
    if len(ids) != len(steps):
        raise PlanError("plan has duplicate step ids")
    graph = {}
    for s in steps:
        missing = [d for d in s.depends_on if d not in ids]
        if missing:
            raise PlanError(f"step {s.id} depends on unknown step(s) {', '.join(missing)}")
        graph[s.id] = set(s.depends_on)
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as exc:
        raise PlanError(f"plan has a dependency cycle: {' -> '.join(exc.args[1])}") from None
    phases = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        phases.append(ready)
        sorter.done(*ready)
    return phases


def choose_mode(steps: list[PlanStep], phases: list[list[str]]) -> ExecutionMode:
    if len(steps) <= 1 or len(phases) == len(steps):
        return ExecutionMode.sequential
    if len(phases) == 1:
        return ExecutionMode.parallel
    return ExecutionMode.hybrid


def prioritise(steps: list[PlanStep], primary: Specialist | None) -> list[PlanStep]:
    """Priorities for when the concurrency limits bind: 1 for the primary specialist's steps and
    everything they wait for (the critical path to the answer), 2 for steps another step waits
    for, 3 for the rest (documentation after the investigators, side checks)."""
    by_id = {s.id: s for s in steps}
    critical: set[str] = set()
    stack = [s.id for s in steps if s.agent == primary]
    while stack:
        sid = stack.pop()
        if sid not in critical:
            critical.add(sid)
            stack += by_id[sid].depends_on
    needed = {d for s in steps for d in s.depends_on}
    return [s.model_copy(update={"priority": 1 if s.id in critical else 2 if s.id in needed else 3}) for s in steps]


def finalise(steps: list[PlanStep], requested: ExecutionMode, reason: str, max_steps: int = 8,
             primary: Specialist | None = None) -> Plan:
    """Validate `steps`, set their priorities and fix the execution mode; raises PlanError for a plan that cannot run."""
    if not steps:
        raise PlanError("plan has no steps")
    if len(steps) > max_steps:
        raise PlanError(f"plan has {len(steps)} steps; the limit is {max_steps}")
    for s in steps:
        if not isinstance(s.agent, Specialist):
            raise PlanError(f"step {s.id} names an unknown specialist")
    phases = phases_of(steps)
    steps = prioritise(steps, primary)
    mode = choose_mode(steps, phases) if requested == ExecutionMode.auto else requested
    return Plan(steps=steps, mode=mode, phases=phases, reason=reason)


def rule_plan(decision: RouteDecision, question: str, devices: list[str], requested: ExecutionMode = ExecutionMode.auto,
              role: Role = "admin") -> Plan:
    """The deterministic plan. A question of a kind with a plan shape (agents/workflows.yaml: an
    incident) follows that shape, phase by phase, as the specs' `plan.phases` say. Otherwise:
    working specialists first, writers (a spec's plan.runs_after_others) after them when useful,
    as each spec's `plan` keys say."""
    primary = decision.primary
    kind = kind_of(question)
    if kind is not None and (phased := phased_steps(kind, question, devices, decision.specialists, role)):
        plan = finalise(phased, requested, "", primary=primary)
        named = "; then ".join(" + ".join(next(s.agent.value for s in phased if s.id == sid) for sid in phase) for phase in plan.phases)
        return plan.model_copy(update={"kind": kind, "reason": f"{kind} workflow (primary {primary.value}): {named}"})
    lead = catalogue()[primary.value].plan
    writers = [s for s in Specialist if catalogue()[s.value].plan.runs_after_others]
    workers = [s for s in decision.specialists if s not in writers]
    steps: list[PlanStep] = []
    if lead.runs_after_others:  # a writer leads: it investigates first only when a report is wanted
        investigator = [Specialist(lead.investigator)] if lead.investigator else []
        workers = (workers or investigator) if asks_for_report(question) else []
    for i, agent in enumerate(workers, start=1):
        steps.append(PlanStep(id=f"s{i}", agent=agent, instruction=question, devices=devices))
    for writer in writers:
        if writer == primary or writer in decision.specialists or writer.value in lead.brings:
            steps.append(PlanStep(id=f"s{len(steps) + 1}", agent=writer, instruction=question, devices=devices,
                                  depends_on=[s.id for s in steps if s.agent not in writers]))
    reason = f"primary {primary.value}; " + (", ".join(s.agent.value for s in steps))
    return finalise(steps, requested, reason, primary=primary)


def claude_plans(config: LLMConfig, decision: RouteDecision) -> bool:
    """Whether the Claude planner is worth its call. The rule plan follows from the route alone, so
    it is certain when the route is: the learned router decided with confidence (Claude did not
    have to route). Claude plans when it routed, or always with llm.planner: always."""
    return config.planner == "always" or config.claude_routes(decision.confidence, decision.margin)
