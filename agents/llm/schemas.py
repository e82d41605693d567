"""Pydantic models for everything Claude returns that code consumes.

They are the `output_format` of each call, so the API constrains Claude to them and the SDK
validates the reply. Kept flat and explicit: structured-output schemas work best without
numeric bounds (the SDK moves those into descriptions), so ranges are re-checked in code.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

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


class DiagnosisReport(SpecialistReport):
    root_cause: str
    affected_layer: str = Field(description="physical, data-link, network, control-plane, management or none")


class ConfigReport(SpecialistReport):
    generated_config: list[str] = Field(description="configuration lines when config was generated, else empty")


class SecurityReport(SpecialistReport):
    risk_scores: dict[str, int] = Field(description="device -> 0-100 risk score from the scanner")


class PerformanceReport(SpecialistReport):
    bottlenecks: list[str] = Field(description="device interface direction utilisation, one per item")


class DocumentationReport(SpecialistReport):
    incident_report: str | None = Field(None, description="markdown incident report when one was asked for")
    runbooks: list[str] = Field(description="paths of the runbooks that apply")


REPORT_MODELS: dict[Specialist, type[SpecialistReport]] = {
    Specialist.diagnosis: DiagnosisReport,
    Specialist.config: ConfigReport,
    Specialist.security: SecurityReport,
    Specialist.performance: PerformanceReport,
    Specialist.documentation: DocumentationReport,
}


class Gap(BaseModel):
    agent: Specialist
    instruction: str = Field(description="the follow-up question for that specialist")
    reason: str = Field(description="what is missing from the reports")


class GapList(BaseModel):
    gaps: list[Gap] = Field(description="empty when the reports answer the question")


class SynthesisOut(BaseModel):
    summary: str = Field(description="the answer for the NOC engineer; cite which specialist found what, e.g. '(diagnosis)'")
    conflicts: list[str] = Field(description="disagreements between specialists and how they were resolved; empty if none")
