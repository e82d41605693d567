"""Eval cases and fixture networks as data: their schema, and loading them with clear errors.

A phrase in a case is matched case-insensitively as a substring; a list inside a list is a set of
alternatives ("any of these"), so a fact can be stated in the words either vendor uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agents.models import Specialist
from agents.safe_yaml import YamlInputError, load_yaml

Phrase = str | list[str]  # one phrase, or alternatives of which one must appear
Platform = Literal["ios", "eos", "nxos", "iosxr", "junos"]


class EvalCaseError(ValueError):
    """A case or network file that cannot be used; the message names the file and the field."""


class Network(BaseModel):
    """Where a case runs: a lab scenario, or a fixture network from evals/networks/<name>.yaml."""

    model_config = ConfigDict(extra="forbid")
    scenario: str | None = None
    fixture: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Network:
        if (self.scenario is None) == (self.fixture is None):
            raise ValueError("network needs exactly one of scenario or fixture")
        return self

    @property
    def label(self) -> str:
        return f"lab:{self.scenario}" if self.scenario else f"fixture:{self.fixture}"


class Commands(BaseModel):
    """Commands the recommendations must hold for `device` (any of `any`), in its platform's syntax."""

    model_config = ConfigDict(extra="forbid")
    platform: Platform
    any: list[str] = Field(min_length=1)
    device: str | None = None


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")
    specialists: list[Specialist] = Field(min_length=1)  # every one must be consulted; the first is the primary
    root_cause: list[Phrase] = Field(default_factory=list)  # must be in the answer's lead (its first summary line)
    devices: list[str] = Field(default_factory=list)  # must be named in the answer
    evidence: list[Phrase] = Field(default_factory=list)  # the evidence line(s): anywhere in findings or summary
    commands: Commands | None = None
    must_not: list[str] = Field(default_factory=list)  # must not appear anywhere in the answer


class EvalCase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    question: str = Field(min_length=3)
    network: Network
    category: str  # the incident type, e.g. bgp, ospf, hardware, logs, security, performance, config
    source: str  # the public incident, guide or thread the case is written from
    holdout: bool = False
    expect: Expect


class FixtureDevice(BaseModel):
    """A device of a fixture network: its OS and the recorded samples it serves (paths under the
    real-world corpus: napalm/<os>/<getter>/<case>, cli/<platform>/<command>/<file>.raw, configs/<os>/<file>.cfg)."""

    model_config = ConfigDict(extra="forbid")
    os: Platform
    samples: list[str] = Field(min_length=1)
    site: str = "fixture"
    role: str = "router"


class FixtureNetwork(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str
    devices: dict[str, FixtureDevice] = Field(min_length=1)


def _read(path: Path) -> object:
    try:
        return load_yaml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError, YamlInputError) as exc:
        raise EvalCaseError(f"{path}: {exc}") from None


def _problem(path: Path, exc: ValidationError) -> EvalCaseError:
    return EvalCaseError(f"{path}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))


def load_cases(directory: Path) -> list[EvalCase]:
    """Every `*.yaml` directly under `directory` (networks/ is not a case), sorted by id; ids unique."""
    cases: list[EvalCase] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            case = EvalCase.model_validate(_read(path))
        except ValidationError as exc:
            raise _problem(path, exc) from None
        if case.id != path.stem:
            raise EvalCaseError(f"{path}: id '{case.id}' must match the file name")
        cases.append(case)
    if not cases:
        raise EvalCaseError(f"{directory}: no eval cases (*.yaml)")
    return cases


def load_fixture(directory: Path, name: str) -> FixtureNetwork:
    path = directory / "networks" / f"{name}.yaml"
    if not path.is_file():
        raise EvalCaseError(f"unknown fixture network '{name}' (no {path})")
    try:
        return FixtureNetwork.model_validate(_read(path))
    except ValidationError as exc:
        raise _problem(path, exc) from None
