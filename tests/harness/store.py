"""Store test helpers: a hand-wound clock shared by every Store of a test, and answers and agent
responses to record."""

from __future__ import annotations

from agents.models import AgentResponse, Answer, Evidence, Specialist, Usage
from agents.severity import Severity

DAY = 86400.0


class Clock:
    """A hand-wound clock shared by every Store of a test."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_answer(request_id: str, question: str = "why is the branch office slow?", *, status: str = "ok",
                devices: list[str] | None = None, responses: list[AgentResponse] | None = None, tokens: int = 0) -> Answer:
    return Answer(request_id=request_id, question=question, status=status, primary=Specialist.diagnosis,
                  specialists=[Specialist.diagnosis], devices=devices or ["branch-rtr-01"], severity=Severity.medium,
                  confidence=0.8, automation="review", summary=f"summary of {request_id}", responses=responses or [],
                  usage=Usage(llm_calls=1 if tokens else 0, input_tokens=tokens, output_tokens=0, cost_usd=tokens / 1e6),
                  duration_s=1.5)


def response(agent: Specialist, status: str = "success", duration_s: float = 1.0, *, instance: str = "i1",
             error: str | None = None, tokens: int = 10) -> AgentResponse:
    return AgentResponse(agent=agent, task="t", status=status, duration_s=duration_s, instance=instance, error=error,
                         usage=Usage(llm_calls=1, input_tokens=tokens, output_tokens=0, cost_usd=tokens / 1000),
                         evidence=[Evidence(tool="get_interfaces", device="branch-rtr-01", ok=True, summary="Gi0/1 up")])
