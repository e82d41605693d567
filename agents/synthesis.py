"""Turning the specialists' reports into one answer.

Rules, in order: every claim keeps the name of the agent that made it; severity is the most
severe vote (votes are kept, and a spread of two levels or more is called out as a conflict);
failed agents are named with their reason; confidence is the weighted mean of the agents that
answered (primary counts double, documentation half), scaled by the share that answered.
"""

from __future__ import annotations

from agents.models import AgentResponse, Answer, Finding, Recommendation, Specialist, automation_level
from agents.severity import Severity

_WEIGHT = {Specialist.documentation: 0.5}


def severity_vote(responses: list[AgentResponse]) -> tuple[Severity, dict[str, str], str | None]:
    """(most severe, votes by agent, a conflict note when the working agents disagree widely)."""
    answered = [r for r in responses if r.status != "failure"]
    votes = {r.agent.value: r.severity.value for r in answered}
    overall = Severity.worst([r.severity for r in answered])
    working = [r for r in answered if r.agent != Specialist.documentation]
    conflict = None
    if working:
        high = max(working, key=lambda r: r.severity.rank)
        low = min(working, key=lambda r: r.severity.rank)
        if high.severity.rank - low.severity.rank >= 2:
            conflict = (f"Severity conflict: {high.agent.value} rates this {high.severity.value}, {low.agent.value} rates it "
                        f"{low.severity.value}; the most severe rating wins ({overall.value}).")
    return overall, votes, conflict


def confidence_of(responses: list[AgentResponse], primary: Specialist) -> float:
    answered = [r for r in responses if r.status != "failure"]
    if not answered:
        return 0.0
    weights = [2.0 if r.agent == primary else _WEIGHT.get(r.agent, 1.0) for r in answered]
    mean = sum(w * r.confidence for w, r in zip(weights, answered, strict=False)) / sum(weights)
    partial_penalty = 0.9 ** sum(1 for r in answered if r.status == "partial")
    return round(mean * len(answered) / len(responses) * partial_penalty, 2)


def merge_findings(responses: list[AgentResponse]) -> list[Finding]:
    seen, out = set(), []
    for r in responses:
        for f in r.findings:
            if f.text not in seen:
                seen.add(f.text)
                out.append(f)
    return sorted(out, key=lambda f: -f.severity.rank)


def merge_recommendations(responses: list[AgentResponse]) -> list[Recommendation]:
    seen, out = set(), []
    for r in responses:
        for rec in r.recommendations:
            # Two agents proposing the same commands on the same device are one recommendation.
            key = (rec.device, tuple(rec.commands)) if rec.commands else (rec.device, rec.text)
            if key not in seen:
                seen.add(key)
                out.append(rec)
    return sorted(out, key=lambda rec: rec.priority)


def synthesize(
    *,
    request_id: str,
    question: str,
    primary: Specialist,
    specialists: list[Specialist],
    devices: list[str],
    responses: list[AgentResponse],
    notices: list[str],
) -> Answer:
    severity, votes, conflict = severity_vote(responses)
    failed = [r for r in responses if r.status == "failure"]
    notices = list(notices) + ([conflict] if conflict else [])
    ordered = sorted(responses, key=lambda r: (r.agent != primary, specialists.index(r.agent) if r.agent in specialists else 99))
    lines = [f"[{r.agent.value}] {r.summary or _headline(r)}" for r in ordered if r.status != "failure"]
    lines += [f"[{r.agent.value}] FAILED: {r.error or 'no answer'}" for r in failed]
    if not lines:
        lines = ["No specialist could answer."]
    if len(failed) == len(responses):
        status = "failed"
    elif failed or any(r.status == "partial" for r in responses):
        status = "partial"
    else:
        status = "ok"
    confidence = confidence_of(responses, primary)
    return Answer(
        request_id=request_id,
        question=question,
        status=status,
        primary=primary,
        specialists=specialists,
        devices=devices,
        severity=severity,
        severity_votes=votes,
        confidence=confidence,
        automation=automation_level(confidence),
        summary="\n".join(lines),
        findings=merge_findings(responses),
        recommendations=merge_recommendations(responses),
        notices=notices,
        failed_agents=[r.agent.value for r in failed],
        responses=responses,
    )


def _headline(r: AgentResponse) -> str:
    return r.findings[0].text.splitlines()[0] if r.findings else "no findings"
