"""Plan shapes as data: which specialists run in which phase for which kind of request.

The rule planner used to make one shape only (investigators, then documentation on their
findings); the multi-phase incident workflow (diagnosis and security in parallel, then
performance, then a remediation proposal, then the report) came only from the Claude planner.
Now the kinds of request are data (`agents/workflows.yaml`: a name, a description, patterns over
the question) and so is each specialist's place in a kind's shape (`plan.phases.<kind>` in its
spec.yaml: a phase number, optionally its own task). `phased_steps` turns a kind into plan steps
for the rule planner; `shapes_text` is what the Claude planner's prompt shows. A specialist
added as a folder joins a workflow by naming its phase; no code names a specialist.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.access import Role, allows
from agents.catalogue import PhaseSpec, catalogue
from agents.models import PlanStep, Specialist
from agents.safe_yaml import YamlInputError, load_yaml_file

WORKFLOWS_FILE = Path(__file__).resolve().parent / "workflows.yaml"


class WorkflowError(ValueError):
    """workflows.yaml or a spec's plan.phases cannot be used (named with the file and key)."""


class RequestKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)

    def matches(self, question: str) -> bool:
        text = question.lower()
        return any(p.search(text) for p in _compiled(self.patterns))


@lru_cache(maxsize=None)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def kinds() -> dict[str, RequestKind]:
    """The kinds of workflows.yaml, checked against the specs of the catalogue in force (a
    specialist folder added by the settings may name an unknown kind: an error naming its file)."""
    found = _read_kinds()
    for spec in catalogue().specs.values():
        unknown = sorted(set(spec.plan.phases) - set(found))
        if unknown:
            raise WorkflowError(f"{spec.folder / 'spec.yaml'}: plan.phases names unknown kind(s) {', '.join(unknown)}; "
                                f"known: {', '.join(found)}")
    return found


@lru_cache(maxsize=1)
def _read_kinds() -> dict[str, RequestKind]:
    try:
        raw = load_yaml_file(WORKFLOWS_FILE, fast=True)  # shipped: libyaml's parser, same checks
    except (OSError, YamlInputError) as exc:
        raise WorkflowError(f"{WORKFLOWS_FILE.name}: {exc}") from None
    if not isinstance(raw, dict):
        raise WorkflowError(f"{WORKFLOWS_FILE.name}: the top level must map kind names to their description and patterns")
    found: dict[str, RequestKind] = {}
    for name, body in raw.items():
        try:
            found[name] = RequestKind.model_validate({**(body if isinstance(body, dict) else {}), "name": name})
            _compiled(found[name].patterns)
        except (ValidationError, re.error) as exc:
            raise WorkflowError(f"{WORKFLOWS_FILE.name}: kind {name}: {exc}") from None
    return found


def kind_of(question: str) -> str | None:
    """The first kind (in file order) whose patterns match the question; None for an ordinary question."""
    return next((k.name for k in kinds().values() if k.matches(question)), None)


def shape(kind: str) -> list[list[tuple[str, PhaseSpec]]]:
    """The kind's phases in order, each a list of (specialist, its phase entry) in tie order."""
    members = [(name, spec.plan.phases[kind]) for name, spec in catalogue().specs.items() if kind in spec.plan.phases]
    numbers = sorted({p.phase for _, p in members})
    return [[(name, p) for name, p in members if p.phase == n] for n in numbers]


def phased_steps(kind: str, question: str, devices: list[str], routed: list[Specialist], role: Role = "admin") -> list[PlanStep]:
    """Plan steps for a request of `kind`: every specialist of the kind's shape in its phase, each
    phase depending on all the steps before it (so a later phase sees every earlier finding).
    A member whose phase entry needs a higher role than the requester's joins only when routed
    (a viewer's incident gets no config remediation it could not be shown). A routed specialist
    outside the shape investigates in the first phase, or, if it is a writer
    (plan.runs_after_others), writes after the last one."""
    phases = [[(Specialist(name), p.task) for name, p in phase if allows(role, p.role) or Specialist(name) in routed]
              for phase in shape(kind)]
    phases = [phase for phase in phases if phase]
    if not phases:
        return []
    members = {agent for phase in phases for agent, _ in phase}
    for agent in routed:
        if agent not in members:
            if catalogue()[agent.value].plan.runs_after_others:
                phases.append([(agent, None)])
            else:
                phases[0].append((agent, None))
            members.add(agent)
    steps: list[PlanStep] = []
    for phase in phases:
        before = [s.id for s in steps]
        for agent, task in phase:
            instruction = task.replace("{question}", question) if task else question
            steps.append(PlanStep(id=f"s{len(steps) + 1}", agent=agent, instruction=instruction, devices=devices, depends_on=before))
    return steps


def shapes_text() -> str:
    """One line per kind for the Claude planner: when it applies and its phases."""
    lines = []
    for kind in kinds().values():
        phases = "; then ".join(" + ".join(name + (" (" + p.task.split(".")[0].lower() + ")" if p.task else "") for name, p in phase)
                                for phase in shape(kind.name))
        if phases:
            lines.append(f"- {kind.name} ({kind.description}): {phases}")
    return "\n".join(lines)
