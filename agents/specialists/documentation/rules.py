"""Offline documentation: find the runbooks for the problem, write incident reports, and answer
concept and how-to questions from the knowledge base (agents/specialists/howto.py).

The runbook query is the question plus what the other specialists found, so "why is the branch
slow?" finds the QoS runbook once performance has reported drops. An incident report is built
only from findings other specialists reported; with none in context, documentation asks the
diagnosis specialist first rather than inventing content. Asked on its own ("what does EXSTART
mean?", "how do I use /noc-audit?"), it answers from the best knowledge-base note and cites it
with the runbooks; a question for a procedure leads with the runbook instead.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from pydantic import BaseModel, Field

from agents.models import Finding, Recommendation, Specialist
from agents.routing import asks_for_report
from agents.severity import Severity
from agents.specialists.base import AnalysisContext, AnalystOutput, finding, recommendation
from agents.specialists.howto import CLAUDE_HINT, HowToAnswer, answer_howto
from agents.specialists.incident_report import build_incident_report, complete_report
from agents.tools.runbooks import RunbookHit, search_runbooks, site_runbooks

# A request for a written procedure: the runbook leads the answer, a knowledge note only adds to it.
_PROCEDURE = re.compile(r"\b(?:runbooks?|playbooks?|procedures?|sop|checklists?|steps?|process|escalat\w*|who do (?:i|we))\b", re.I)


class DocumentationResult(BaseModel):
    runbooks: list[RunbookHit] = Field(default_factory=list)
    incident_report: str | None = None
    howto: HowToAnswer | None = None


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
        hits = search_runbooks(" ".join([question] + [f.text for f in serious[:6]]), runbooks=site_runbooks(ctx.toolbox.runbooks_dir))
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
            runbooks=hits, root_cause=root, priority=ctx.engine.incident_priority(severity),
        )
        result.incident_report = report
        findings.insert(0, finding(ctx, f"Incident report drafted ({len(report.splitlines())} lines): {title}", Severity.info, None, "incident_report"))
        summary = f"Incident report drafted: {title}" + (f"; runbook: {hits[0].title}" if hits else "")
        confidence = 0.85 if _substantive(context) else 0.5
    elif (howto := answer_howto(question, known=set(ctx.inventory.names), runbooks_dir=ctx.toolbox.runbooks_dir,
                                   platforms={d.os for d in ctx.inventory}) if not context and not _PROCEDURE.search(question) else None) and howto.answer and (howto.strong or not hits):
        return _howto_output(ctx, howto, hits, result)
    elif hits:
        named = [f"{d} ({ctx.inventory.get(d).os})" for d in ctx.task.devices if d in ctx.inventory][:3]
        summary = f"Relevant runbook{' for ' + ', '.join(named) if named else ''}: {hits[0].title} ({hits[0].path})" + (f"; also {', '.join(h.title for h in hits[1:])}" if len(hits) > 1 else "")
        confidence = 0.8
        if howto is not None and not howto.strong:  # a question, not a procedure, and no note answers it
            summary += f". No knowledge-base note answers the question itself; {CLAUDE_HINT}"
            confidence = 0.5
    elif context and not serious:
        summary = "No problem was reported, so no runbook applies"
        confidence = 0.8
    else:
        summary = "No runbook or knowledge-base note matches this question; Claude (when configured) would answer it better"
        confidence = 0.4
    return AnalystOutput(summary=summary, findings=findings, recommendations=[], confidence=confidence, result=result)


def _howto_output(ctx: AnalysisContext, howto: HowToAnswer, hits: list[RunbookHit], result: DocumentationResult) -> AnalystOutput:
    """The knowledge-base answer, citing the note and the runbooks it used."""
    assert howto.note is not None and howto.answer is not None
    result.howto = howto
    note = howto.note
    findings = [finding(ctx, f"Knowledge base: {note.title} ({note.path})", Severity.info, None, "knowledge")]
    if howto.in_our_network:
        findings.append(finding(ctx, f"In our network: {howto.in_our_network}", Severity.info, None, "knowledge"))
    findings += [finding(ctx, f"Runbook: {h.title} ({h.path})", Severity.info, None, "runbook") for h in hits]
    if howto.hint:
        findings.append(finding(ctx, howto.hint, Severity.info, None, "knowledge"))
    # The notes' "Check it" commands are IOS/EOS syntax: never offered for a named device on another platform.
    named = {ctx.inventory.get(d).os for d in ctx.task.devices if d in ctx.inventory}
    recommendations = ([recommendation(ctx, f"To check it on an IOS or EOS device ({note.title})", howto.commands)]
                       if howto.commands and not named - {"ios", "eos"} else [])
    sources = ", ".join([note.path] + [h.path for h in hits])
    return AnalystOutput(summary=f"{howto.answer} (sources: {sources})", findings=findings, recommendations=recommendations,
                         confidence=0.8 if howto.strong else 0.55, result=result)


def _substantive(findings: list[Finding]) -> bool:
    return any(f.kind not in {None, "runbook", "forecast"} or f.severity.rank >= Severity.low.rank for f in findings)


def _title(worst: Finding | None, question: str) -> str:
    text = worst.text if worst and worst.severity.rank >= Severity.medium.rank else question
    text = text.split(":", 1)[0] if worst and ":" in text and len(text.split(":", 1)[0]) > 12 else text
    return (text[:90] + "...") if len(text) > 90 else text


def finish_report(ctx: AnalysisContext, report: BaseModel) -> BaseModel:
    """Claude's incident report with the sections every incident report carries (stakeholder
    update, lessons learned) added from the same inputs the offline report uses, when the model
    left them out. Declared in spec.yaml as `hooks.claude_report`."""
    markdown = getattr(report, "incident_report", None)
    if not isinstance(markdown, str) or not markdown:
        return report
    context = list(ctx.task.context)
    severity = Severity.worst([f.severity for f in context])
    title = next((ln[2:].strip() for ln in markdown.splitlines() if ln.startswith("# ")), ctx.task.instruction)
    completed = complete_report(markdown, title=title.removeprefix("Incident report:").strip(), severity=severity,
                                priority=ctx.engine.incident_priority(severity), findings=context,
                                recommendations=list(ctx.task.context_recommendations),
                                devices=sorted({f.device for f in context if f.device}), question=ctx.task.instruction)
    return report.model_copy(update={"incident_report": completed})
