"""Offline documentation: find the runbooks for the problem and write incident reports.

The runbook query is the question plus what the other specialists found, so "why is the branch
slow?" finds the QoS runbook once performance has reported drops. An incident report is built
only from findings other specialists reported; with none in context, documentation asks the
diagnosis specialist first rather than inventing content.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, Field

from agents.models import Finding, Recommendation, Specialist
from agents.routing import asks_for_report
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, finding
from agents.specialists.incident_report import build_incident_report
from agents.tools.runbooks import RunbookHit, search_runbooks


class DocumentationResult(BaseModel):
    runbooks: list[RunbookHit] = Field(default_factory=list)
    incident_report: str | None = None


async def analyse(ctx: AnalysisContext) -> AnalystOutput:
    question = ctx.task.instruction
    context = [f for f in ctx.task.context if f.agent != Specialist.documentation.value]
    recommendations: list[Recommendation] = list(ctx.task.context_recommendations)
    wants_report = asks_for_report(question)
    if wants_report and not _substantive(context):
        response = await ctx.ask(Specialist.diagnosis, question, ctx.task.devices)
        if response is not None and response.status != "failure":
            context = context + response.findings
            recommendations = recommendations + response.recommendations

    serious = [f for f in context if f.severity.rank >= Severity.medium.rank]
    if context and not serious and not wants_report:
        hits = []  # the others found nothing wrong: a runbook would be noise
    else:
        hits = search_runbooks(" ".join([question] + [f.text for f in serious[:6]]))
    result = DocumentationResult(runbooks=hits)
    findings = [finding(ctx, f"Runbook: {h.title} ({h.path})", Severity.info, None, "runbook") for h in hits]

    if wants_report:
        worst = max(context, key=lambda f: f.severity.rank, default=None)
        severity = worst.severity if worst else Severity.info
        title = _title(worst, question)
        root = next((f.text for f in context if f.agent == Specialist.diagnosis.value and f.severity.rank >= Severity.medium.rank), None)
        report = build_incident_report(
            title=title, question=question, request_id=ctx.request_id, opened_at=datetime.now(timezone.utc), severity=severity,
            findings=context, recommendations=recommendations, devices=sorted({f.device for f in context if f.device}),
            runbooks=hits, root_cause=root,
        )
        result.incident_report = report
        findings.insert(0, finding(ctx, f"Incident report drafted ({len(report.splitlines())} lines): {title}", Severity.info, None, "incident_report"))
        summary = f"Incident report drafted: {title}" + (f"; runbook: {hits[0].title}" if hits else "")
        confidence = 0.85 if _substantive(context) else 0.5
    elif hits:
        summary = f"Relevant runbook: {hits[0].title} ({hits[0].path})" + (f"; also {', '.join(h.title for h in hits[1:])}" if len(hits) > 1 else "")
        confidence = 0.8
    elif context and not serious:
        summary = "No problem was reported, so no runbook applies"
        confidence = 0.8
    else:
        summary = "No runbook matches this question"
        confidence = 0.5
    return AnalystOutput(summary=summary, findings=findings, recommendations=[], confidence=confidence, result=result)


def _substantive(findings: list[Finding]) -> bool:
    return any(f.kind not in {None, "runbook", "forecast"} or f.severity.rank >= Severity.low.rank for f in findings)


def _title(worst: Finding | None, question: str) -> str:
    text = worst.text if worst and worst.severity.rank >= Severity.medium.rank else question
    text = text.split(":", 1)[0] if worst and ":" in text and len(text.split(":", 1)[0]) > 12 else text
    return (text[:90] + "...") if len(text) > 90 else text
