"""Pydantic models for everything Claude returns that code consumes.

They are the `output_format` of each call, so the API constrains Claude to them and the SDK
validates the reply. Kept flat and explicit: structured-output schemas work best without
numeric bounds (the SDK moves those into descriptions), so ranges are re-checked in code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model

from agents.catalogue import Catalogue, PerCatalogue, catalogue
from agents.models import Specialist
from agents.severity import Severity


class RouteOut(BaseModel):
    primary: Specialist = Field(description="the specialist best placed to answer")
    specialists: list[Specialist] = Field(description="every specialist that should contribute, primary first")
    devices: list[str] = Field(description="inventory device names the question is about; empty when none is named")
    reasoning: str = Field(description="one sentence")


class PlanStepOut(BaseModel):
    id: str = Field(description="short unique id such as s1")
    agent: Specialist
    instruction: str = Field(description="what this specialist should find out")
    devices: list[str] = Field(description="inventory device names; empty means all relevant devices")
    depends_on: list[str] = Field(description="ids of steps whose findings this step needs")


class PlanOut(BaseModel):
    steps: list[PlanStepOut]
    reasoning: str


class FindingOut(BaseModel):
    text: str = Field(description="one fact or conclusion, citing device and interface")
    severity: Severity
    device: str | None = None


class RecommendationOut(BaseModel):
    text: str
    commands: list[str] = Field(description="exact CLI lines, one per item; empty if none")
    device: str | None = None
    priority: int = Field(description="1 = do first, 5 = when convenient")


class SpecialistReport(BaseModel):
    summary: str = Field(description="two sentences at most, the conclusion first")
    findings: list[FindingOut]
    recommendations: list[RecommendationOut]
    confidence: float = Field(description="0 to 1: how sure the evidence makes you")


# A spec's report field types (agents/catalogue.py) as annotations and defaults.
_FIELD_TYPES: dict[str, tuple[Any, Any]] = {
    "string": (str, ...),
    "optional string": (str | None, None),
    "list of strings": (list[str], ...),
    "map of string to integer": (dict[str, int], ...),
    "number": (float, ...),
    "boolean": (bool, ...),
}


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Report"


def _report_models(cat: Catalogue) -> dict[Specialist, type[SpecialistReport]]:
    models: dict[Specialist, type[SpecialistReport]] = {}
    for name, spec in cat.specs.items():
        fields: dict[str, Any] = {}
        for field, declared in spec.report.items():
            annotation, default = _FIELD_TYPES[declared.type]
            fields[field] = (annotation, Field(default, description=declared.description))
        models[Specialist(name)] = create_model(_class_name(name), __base__=SpecialistReport, __module__=__name__, **fields)
    return models


# The report each specialist returns with Claude: the common fields plus its spec's `report`.
REPORT_MODELS: PerCatalogue[Specialist, type[SpecialistReport]] = PerCatalogue(_report_models)


def report_model(agent: Specialist) -> type[SpecialistReport]:
    return REPORT_MODELS[agent]


def __getattr__(name: str) -> type[SpecialistReport]:
    """`DiagnosisReport`, `ConfigReport`, ...: each specialist's report model by its class name."""
    for model in REPORT_MODELS.values():
        if model.__name__ == name:
            return model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Gap(BaseModel):
    agent: Specialist
    instruction: str = Field(description="the follow-up question for that specialist")
    reason: str = Field(description="what is missing from the reports")


class GapList(BaseModel):
    gaps: list[Gap] = Field(description="empty when the reports answer the question")


class SynthesisOut(BaseModel):
    summary: str = Field(description="the answer for the NOC engineer; cite which specialist found what, e.g. '(diagnosis)'")
    conflicts: list[str] = Field(description="disagreements between specialists and how they were resolved; empty if none")


_Model = TypeVar("_Model", bound=BaseModel)


@lru_cache(maxsize=16)
def _for_catalogue(model: type[BaseModel], cat: Catalogue) -> type[BaseModel]:
    return create_model(model.__name__, __base__=model, __module__=__name__)


def naming_specialists(model: type[_Model]) -> type[_Model]:
    """`model` as a type of the current catalogue. Its schema lists the specialists' names, and
    the SDK caches output schemas by type: one subclass per catalogue keeps the names current."""
    return _for_catalogue(model, catalogue())  # type: ignore[return-value]
