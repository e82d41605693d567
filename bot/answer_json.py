"""The machine-readable answer printed by `noc ask --json` (and stored later)."""

from __future__ import annotations

from typing import Any

from agents.models import Answer


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "request_id": answer.request_id,
        "status": answer.status,
        "primary": answer.primary.value,
        "specialists": [s.value for s in answer.specialists],
        "devices": answer.devices,
        "severity": answer.severity.value,
        "severity_votes": answer.severity_votes,
        "severity_rule": answer.severity_rule,
        "incident_priority": answer.incident_priority,
        "confidence": answer.confidence,
        "automation": answer.automation,
        "summary": answer.summary,
        "findings": [{"agent": f.agent, "text": f.text, "severity": f.severity.value, "device": f.device} for f in answer.findings],
        "recommendations": [r.model_dump(mode="json") for r in answer.recommendations],
        "notices": answer.notices,
        "failed_agents": answer.failed_agents,
        "plan": answer.plan.model_dump(mode="json") if answer.plan else None,
        "agents": [
            {"agent": r.agent.value, "status": r.status, "engine": r.engine, "degraded": r.degraded,
             "confidence": r.confidence, "severity": r.severity.value, "usage": r.usage.model_dump(),
             "duration_s": r.duration_s, "error": r.error, "requests": [q.model_dump() for q in r.requests],
             "evidence": [e.model_dump() for e in r.evidence], "result": r.result}
            for r in answer.responses
        ],
        "trace": [t.model_dump() for t in answer.trace],
        "usage": answer.usage.model_dump(),
        "duration_s": answer.duration_s,
    }
