"""Which specialists exist: one folder each, discovered at start-up.

A specialist is a folder holding `spec.yaml` (what it covers, its system prompt, its tools,
routing keywords, model tier, pool and report fields) and optionally `examples.txt` (questions
the learned router trains on) and `rules.py` (the offline analyst). The five built-in
specialists live under `agents/specialists/<name>/`; more come from the folders named by
`engine.specialist_paths` in the settings or `$NOC_SPECIALISTS_PATH`. The engine's plumbing
(routing, planning, Claude schemas, pools, tiers, rendering) names no specialist, so adding one
is adding a folder.

This module reads only data (YAML and paths) and imports nothing else of the engine, so the
models, the configuration and the router can all ask it which names exist without a cycle.
Loading a specialist's Python rules is `agents/specialists/registry.py`'s job.
"""

from __future__ import annotations

import ast
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from agents.access import Role, highest
from agents.safe_yaml import YamlInputError, load_yaml_file

BUILTIN_DIR = Path(__file__).resolve().parent / "specialists"
PATH_ENV = "NOC_SPECIALISTS_PATH"
SPEC_FILE = "spec.yaml"
EXAMPLES_FILE = "examples.txt"
RULES_FILE = "rules.py"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class CatalogueError(ValueError):
    """A specialist folder that cannot be used: says which file and what is wrong."""


# Report field types a spec may declare, as pydantic annotations (kept flat: structured outputs).
ReportFieldType = Literal["string", "optional string", "list of strings", "map of string to integer", "number", "boolean"]


class ReportField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ReportFieldType = "string"
    description: str | None = None
    # A markdown document (documentation's incident report): its title. Slack attaches it as a
    # file with a preview, the terminal prints it after the answer (bot/slack/views/answer.py, bot/cli/terminal.py).
    document: str | None = Field(None, min_length=1, max_length=60)


class RoutingSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Who wins a tie between equally likely specialists: lower first (what a NOC engineer wants first).
    tie_rank: int = Field(50, ge=0, le=1000)
    # (regex, weight) over the lower-cased question; features of the learned router and its fallback.
    # Patterns run on user text, so each must match in linear time (tests/scenario/test_front_door.py).
    keywords: tuple[tuple[str, float], ...] = ()

    @field_validator("keywords")
    @classmethod
    def _compiles(cls, value: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        for pattern, _ in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"keyword pattern {pattern!r} is not a regular expression: {exc}") from None
        return value


class PhaseSpec(BaseModel):
    """Where a specialist sits in the plan shape of one kind of request (agents/workflows.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    phase: int = Field(ge=1, le=8)  # 1 runs first; the same phase runs in parallel; each waits for every earlier one
    task: str | None = Field(None, min_length=1, max_length=500)  # its instruction; {question} is the question
    # The least role for which joining is worth it unasked (its data needs it); a routed specialist always runs.
    role: Literal["viewer", "operator", "admin"] = "viewer"

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: object) -> object:
        return {"phase": data} if isinstance(data, int) and not isinstance(data, bool) else data


class PlanSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A writer runs after the working specialists, on their findings (documentation's incident report).
    runs_after_others: bool = False
    # A writer's investigator: who runs first when a report is asked for and nobody else was routed.
    investigator: str | None = None
    # Writers that join after this specialist leads, even unasked (diagnosis brings the runbooks).
    brings: tuple[str, ...] = ()
    # How much this specialist's confidence counts in the answer's (a writer adds no evidence of its own).
    # Finding kinds this specialist judges: when another specialist reports one (an unknown login
    # source, a configuration change, a saturated link), the supervisor brings this one in, once
    # per request and at most engine.max_hand_offs of them (agents/pipeline.py `hand_offs`).
    judges: tuple[str, ...] = ()
    # Question subjects (agents/subject.py: bgp, ospf, hardware, cpu, interface, logs, security,
    # congestion) this specialist answers: when no answer so far speaks to the question's subject
    # (a misrouted question), the supervisor brings in the one that answers it (agents/rerouting.py).
    answers: tuple[str, ...] = ()
    confidence_weight: float = Field(1.0, ge=0, le=1)
    # Its phase per kind of request with a plan shape of its own (incident: 1), agents/workflows.py.
    phases: dict[str, PhaseSpec] = Field(default_factory=dict)

    @property
    def joins_for(self) -> Role:
        """The least role for which it joins unasked (a hand-off, a rescued subject): the strictest
        of its phases' roles, since its data needs that role wherever it joins."""
        return highest(p.role for p in self.phases.values())


class ModelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: str = "balanced"  # the tier under llm.tier_policy: fixed (llm.specialists overrides it)
    allowed_tiers: tuple[str, ...] = ("fast", "balanced")  # the range under tier_policy: complexity


class PoolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(1, ge=1, le=64)  # default instances (resilience.pools overrides it)


class AccessSpec(BaseModel):
    """What a question routed to this specialist needs before it is answered."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The tools that are this specialist's core data (config: the running config): the Slack
    # listener's first filter asks the role these tools need (access.tool_roles may raise it)
    # before it starts the answer; the tool gate still checks every call.
    core_tools: tuple[str, ...] = ()


class HooksSpec(BaseModel):
    """Functions of the folder's rules.py the engine calls at fixed points, named here."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # `def name(ctx: AnalysisContext, report: BaseModel) -> BaseModel`: completes Claude's
    # structured report before it becomes the step's output (documentation: the sections every
    # incident report carries).
    claude_report: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class SpecialistSpec(BaseModel):
    """One specialist's declaration, as read from its folder's spec.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str  # what an answer led by this specialist is about ("Root cause analysis")
    scope: str  # one line: what it covers (the router and planner prompts list it)
    system_prompt: str
    tools: tuple[str, ...]
    # Tool-use turns with Claude; llm.max_tool_steps stays the ceiling. None: the global cap.
    max_tool_steps: int | None = Field(None, ge=1, le=20)
    routing: RoutingSpec = RoutingSpec()
    plan: PlanSpec = PlanSpec()
    model: ModelSpec = ModelSpec()
    pool: PoolSpec = PoolSpec()
    report: dict[str, ReportField] = Field(default_factory=dict)
    access: AccessSpec = AccessSpec()
    hooks: HooksSpec = HooksSpec()
    folder: Path

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"'{value}' is not a specialist name (lower-case letters, digits and _, 2-31 characters)")
        return value

    @field_validator("report")
    @classmethod
    def _no_base_fields(cls, value: dict[str, ReportField]) -> dict[str, ReportField]:
        clash = sorted(set(value) & {"summary", "findings", "recommendations", "confidence"})
        if clash:
            raise ValueError(f"report fields {', '.join(clash)} are part of every report; choose other names")
        return value

    @model_validator(mode="after")
    def _own_core_tools(self) -> SpecialistSpec:
        foreign = [t for t in self.access.core_tools if t not in self.tools]
        if foreign:
            raise ValueError(f"access.core_tools {', '.join(foreign)} must be among its tools")
        return self

    @model_validator(mode="after")
    def _rules_define_what_is_named(self) -> SpecialistSpec:
        """rules.py, when present, defines `analyse` and every named hook as top-level functions:
        read, not imported (this module loads no code), so a broken folder is a configuration error
        naming its file when the catalogue is read, never a traceback when the engine is built."""
        name = self.hooks.claude_report
        path = self.folder / RULES_FILE
        if name is None and not path.exists():
            return self
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except (OSError, SyntaxError, ValueError) as exc:
            what = f"hooks.claude_report names {name}, but" if name else "its"
            raise ValueError(f"{what} {RULES_FILE} cannot be read: {exc}") from None
        defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if "analyse" not in defined:
            raise ValueError(f"its {RULES_FILE} defines no `async def analyse(ctx)` (delete the file to use the generic analyst)")
        if name is not None and name not in defined:
            raise ValueError(f"hooks.claude_report names {name}, which its {RULES_FILE} does not define")
        return self

    @property
    def documents(self) -> dict[str, str]:
        """Its report fields that are markdown documents, with their titles."""
        return {name: f.document for name, f in self.report.items() if f.document}

    @property
    def examples_file(self) -> Path | None:
        path = self.folder / EXAMPLES_FILE
        return path if path.is_file() else None

    @property
    def rules_file(self) -> Path | None:
        path = self.folder / RULES_FILE
        return path if path.is_file() else None


def read_spec(folder: Path) -> SpecialistSpec:
    """The spec in `folder`, or CatalogueError naming the file and the problem.

    Read once per version of its files: every command, every test's bot and every `noc ask`
    reads the catalogue, and parsing six specs and their rules (YAML plus an AST each) cost
    10-15 ms a catalogue. A spec is frozen, so one instance serves every reader; an edited
    spec.yaml or rules.py (another size or mtime) is read again."""
    return _read_spec(folder, _identity(folder / SPEC_FILE), _identity(folder / RULES_FILE))


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=256)
def _read_spec(folder: Path, spec_identity: tuple[int, int] | None, rules_identity: tuple[int, int] | None) -> SpecialistSpec:
    path = folder / SPEC_FILE
    try:
        # strict: repeated keys and runaway nesting are refused with the line; the shipped specs on
        # libyaml's parser (same checks, about 8x faster: read by every command at start-up)
        raw = load_yaml_file(path, fast=folder.resolve().is_relative_to(BUILTIN_DIR))
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc}") from None
    except YamlInputError as exc:
        raise CatalogueError(str(exc)) from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: the top level must be a mapping (title, scope, system_prompt, tools, ...)")
    raw.setdefault("name", folder.name)
    try:
        return SpecialistSpec.model_validate({**raw, "folder": folder})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"{path}: {problems}") from None


def _folders(root: Path) -> Iterator[Path]:
    """Specialist folders: `root` itself when it holds a spec, else its sub-folders that do."""
    if (root / SPEC_FILE).is_file():
        yield root
        return
    if not root.is_dir():
        raise CatalogueError(f"{root}: no such specialist folder")
    yield from sorted(p for p in root.iterdir() if (p / SPEC_FILE).is_file())


class Catalogue:
    """The specialists of this process, in tie order (the order routing prefers on a tie)."""

    def __init__(self, specs: Iterable[SpecialistSpec]) -> None:
        ordered = sorted(specs, key=lambda s: (s.routing.tie_rank, s.name))
        self.specs: dict[str, SpecialistSpec] = {s.name: s for s in ordered}
        for spec in ordered:  # the plan keys name other specialists: they must exist
            named = [n for n in (spec.plan.investigator, *spec.plan.brings) if n is not None]
            unknown = [n for n in named if n not in self.specs]
            if unknown:
                raise CatalogueError(f"{spec.folder / SPEC_FILE}: plan names unknown specialist(s) {', '.join(unknown)}")
        judged: dict[str, str] = {}
        for spec in ordered:  # a finding kind has one judge, or the hand-off would depend on the order
            for kind in spec.plan.judges:
                if kind in judged:
                    raise CatalogueError(f"{spec.folder / SPEC_FILE}: plan.judges '{kind}' is already judged by {judged[kind]}")
                judged[kind] = spec.name

    @classmethod
    def discover(cls, roots: Iterable[Path] = ()) -> Catalogue:
        specs: dict[str, SpecialistSpec] = {}
        for root in [BUILTIN_DIR, *roots]:
            for folder in _folders(Path(root)):
                spec = read_spec(folder)
                if spec.name in specs:
                    raise CatalogueError(f"{folder}: a specialist named '{spec.name}' already exists at {specs[spec.name].folder}")
                specs[spec.name] = spec
        return cls(specs.values())

    @property
    def names(self) -> list[str]:
        return list(self.specs)

    def __getitem__(self, name: str) -> SpecialistSpec:
        return self.specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self.specs


def env_paths() -> list[Path]:
    return [Path(p) for p in os.environ.get(PATH_ENV, "").split(os.pathsep) if p.strip()]


_lock = threading.Lock()
_active: Catalogue | None = None


def catalogue() -> Catalogue:
    """The process's specialists: built-ins plus $NOC_SPECIALISTS_PATH until `configure` says more."""
    global _active
    if _active is None:
        with _lock:
            if _active is None:
                _active = Catalogue.discover(env_paths())
    return _active


def configure(paths: Iterable[Path] = ()) -> Catalogue:
    """Re-discover with the built-ins, `paths` (the settings' engine.specialist_paths) and the
    environment's. Called once at composition time, when the settings are loaded."""
    global _active
    found = Catalogue.discover([*paths, *env_paths()])
    with _lock:
        _active = found
    return found


def spec_of(name: str) -> SpecialistSpec:
    return catalogue()[name]


def documents_of(name: str) -> dict[str, str]:
    """The report fields of specialist `name` that are documents, with their titles ({} for an unknown name)."""
    specs = catalogue()
    return specs[name].documents if name in specs else {}


_K = TypeVar("_K")
_V = TypeVar("_V")


class PerCatalogue(Mapping[_K, _V], Generic[_K, _V]):
    """A read-only mapping derived from the specialists (each one's analyst, report model, ...):
    built once per catalogue and rebuilt when `configure` installs another, so a module-level
    constant stays true to the specialists the settings named."""

    def __init__(self, build: Callable[[Catalogue], Mapping[_K, _V]]) -> None:
        self._build = lru_cache(maxsize=4)(build)

    def current(self) -> Mapping[_K, _V]:
        return self._build(catalogue())

    def __getitem__(self, key: _K) -> _V:
        return self.current()[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())
