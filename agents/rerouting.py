"""Where hand-offs fit in a plan (after the investigators, before the writers), and the hand-off
a misrouted question needs.

Why: a hand-off (agents/pipeline.py `hand_offs`: a finding of a kind another specialist judges
brings that specialist in) adds evidence to the investigation. The incident write-up and the
runbook pick (specialists whose spec says `plan.runs_after_others`) summarise the investigation,
so they must see what the hand-off found: a write-up that ran before security was brought in
says nothing about the login from an unknown address. The supervisor therefore runs a plan in
two parts: the investigation, then the hand-offs, then the writing steps that only summarise.

A finding names a domain when a specialist sees something it cannot judge; a misrouted question
names none ("pe-rtr-01 overheating?" sent to performance comes back "no congestion"). When no
answer so far speaks to the question's subject (agents/subject.py), the specialist whose spec
says it answers that subject (`plan.answers`) is brought in the same way: once, within the
hand-off bound, with the reason in the trace.
"""

from __future__ import annotations

from agents.access import Role, allows
from agents.catalogue import catalogue
from agents.models import AgentResponse, ExecutionMode, Plan, PlanStep, Specialist
from agents.pipeline import FollowUp
from agents.subject import LABELS, about, subjects_of


def writes_last(step: PlanStep) -> bool:
    return catalogue()[step.agent.value].plan.runs_after_others


def split_writers(plan: Plan) -> tuple[Plan, Plan | None]:
    """(the plan without its closing writers, those writers as a plan of their own, or None).

    A closing writer is a writer step that waits for others and that no step waits for. A plan of
    writers alone (a how-to, a runbook question) stays whole: there is nothing to hand off first.
    The writers' plan is sequential with its dependencies cleared: each writer sees every finished
    response before it, the hand-offs' included (agents.scheduling.context_sources)."""
    waited_for = {d for s in plan.steps for d in s.depends_on}
    closing = [s for s in plan.steps if writes_last(s) and s.depends_on and s.id not in waited_for]
    if not closing or len(closing) == len(plan.steps):
        return plan, None
    ids = {s.id for s in closing}
    rest = [s for s in plan.steps if s.id not in ids]
    first = plan.model_copy(update={"steps": rest, "phases": [[i for i in phase if i not in ids] for phase in plan.phases if set(phase) - ids]})
    writers = [s.model_copy(update={"depends_on": []}) for s in closing]
    return first, Plan(steps=writers, mode=ExecutionMode.sequential, phases=[[s.id] for s in writers], reason="writers after the hand-offs")


def with_subject(handed: list[FollowUp], question: str, responses: list[AgentResponse], limit: int, role: Role = "admin") -> list[FollowUp]:
    """`handed` plus the specialist that answers the question's subject, when no response speaks
    to it and that specialist neither answered nor is already handed the question (within `limit`)."""
    subjects = subjects_of(question)
    if not subjects or not responses or len(handed) >= limit:
        return handed
    if any(about(subjects, None, r.summary) or any(about(subjects, f.kind, f.text) for f in r.findings) for r in responses):
        return handed
    taken = {r.agent for r in responses} | {h.agent for h in handed}
    for spec in catalogue().specs.values():
        agent, covered = Specialist(spec.name), sorted(set(spec.plan.answers) & subjects)
        if covered and agent not in taken and allows(role, spec.plan.joins_for):
            label = " and ".join(LABELS.get(s, s) for s in covered)
            source = responses[0].agent.value
            reason = f"no answer so far speaks to the question's {label} subject, which {agent.value} answers"
            return [*handed, FollowUp(agent=agent, instruction=question, reason=reason, source=source, finding_kind="off_subject")]
    return handed
