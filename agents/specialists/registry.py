"""The running code of each specialist in the catalogue: its offline analyst.

A built-in specialist's rules are the module `agents.specialists.<name>.rules`; a specialist from
another folder has its `rules.py` loaded from that file. A folder without rules gets the generic
analyst (agents/specialists/generic.py), so a new specialist works offline from its spec alone.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable, Mapping
from types import ModuleType

from pydantic import BaseModel

from agents.catalogue import BUILTIN_DIR, CatalogueError, PerCatalogue, SpecialistSpec
from agents.models import Specialist
from agents.specialists import generic
from agents.specialists.base import AnalysisContext, AnalystOutput
from agents.specialists.external import with_external

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]
# Completes Claude's structured report of a step (spec.yaml `hooks.claude_report`).
ReportHook = Callable[[AnalysisContext, BaseModel], BaseModel]


def _rules_module(spec: SpecialistSpec) -> ModuleType | None:
    path = spec.rules_file
    if path is None:
        return None
    if spec.folder.parent == BUILTIN_DIR:
        return importlib.import_module(f"agents.specialists.{spec.name}.rules")
    module_spec = importlib.util.spec_from_file_location(f"noc_specialists.{spec.name}.rules", path)
    if module_spec is None or module_spec.loader is None:
        raise CatalogueError(f"{path}: cannot be loaded as Python")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _analyst(spec: SpecialistSpec) -> Analyst:
    _report_hook(spec)  # a hook its rules do not define stops the start, like a missing analyst
    if spec.rules_file is None:
        return with_external(generic.analyse)
    if spec.folder.parent == BUILTIN_DIR and spec.hooks.claude_report is None:
        return with_external(_on_first_step(spec))
    return with_external(_rules_analyse(spec))


def _rules_analyse(spec: SpecialistSpec) -> Analyst:
    analyse = getattr(_rules_module(spec), "analyse", None)
    if not callable(analyse):
        raise CatalogueError(f"{spec.rules_file}: defines no `async def analyse(ctx)`")
    return analyse  # type: ignore[no-any-return]


def _on_first_step(spec: SpecialistSpec) -> Analyst:
    """A shipped specialist's rules, imported by its first step rather than by every engine: a
    question for two specialists does not load the others' code (the config specialist's brings
    the change templates, about 0.04 s). The catalogue has read from the file that it defines
    `analyse`; another folder's rules are still loaded when the engine is built, so a broken one
    stops the start instead of a question."""
    loaded: list[Analyst] = []

    async def analyse(ctx: AnalysisContext) -> AnalystOutput:
        if not loaded:
            loaded.append(_rules_analyse(spec))
        return await loaded[0](ctx)

    return analyse


# Every specialist's offline analyst, following the catalogue.
OFFLINE_ANALYSTS: PerCatalogue[Specialist, Analyst] = PerCatalogue(
    lambda cat: {Specialist(name): _analyst(spec) for name, spec in cat.specs.items()})


def offline_analysts() -> dict[Specialist, Analyst]:
    """Every specialist's offline analyst, for the catalogue as it is now (a copy to extend)."""
    return dict(OFFLINE_ANALYSTS.current())


def _report_hook(spec: SpecialistSpec) -> ReportHook | None:
    name = spec.hooks.claude_report
    if name is None:
        return None
    module = _rules_module(spec)
    hook = getattr(module, name, None) if module is not None else None
    if not callable(hook):
        raise CatalogueError(f"{spec.folder / 'spec.yaml'}: hooks.claude_report names {name}, which its rules.py does not define")
    return hook  # type: ignore[no-any-return]


# The specialists' declared report hooks, following the catalogue: the engine calls them without naming anyone.
REPORT_HOOKS: PerCatalogue[Specialist, ReportHook] = PerCatalogue(
    lambda cat: {Specialist(name): hook for name, spec in cat.specs.items() if (hook := _report_hook(spec)) is not None})


def report_hooks() -> Mapping[Specialist, ReportHook]:
    """Each specialist's `hooks.claude_report`, for the catalogue as it is now."""
    return REPORT_HOOKS.current()
