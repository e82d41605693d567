"""A model as judge: a second opinion on each eval answer, next to the phrase-matching scores.

Why: the rule scores check phrases ("should be 20 ms" in the lead), which a right answer in other
words fails and a wrong answer that happens to quote them passes. A model reading the question,
the case's expectations and the whole answer grades what an engineer would: does it answer the
question, is the root cause the right one, does the evidence support it, are the commands safe
and for the right platform. The grade is reported beside the rule scores, with how often the two
agree, never instead of them: the rules are deterministic and run in CI without a key.

Runs only with `noc eval --judge` and ANTHROPIC_API_KEY set, through the project's Claude client
(the official SDK, its retries, breaker and usage meter); a case the judge cannot grade (API
down, budget spent) is reported as not judged, never as wrong.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from agents.config import LLMConfig
from agents.evals.cases import EvalCase
from agents.evals.scoring import answer_text
from agents.failures import LLMUnavailable
from agents.models import Answer
from agents.usage import UsageMeter

if TYPE_CHECKING:
    from agents.llm.client import ClaudeClient

ROLE = "eval-judge"
TIER = "balanced"  # a judge reads closely; the deep tier costs 5x for no measured gain here
ANSWER_CHARS = 12_000  # the answer as the engineer reads it; a longer one is cut (and the judge told)

SYSTEM = """You grade answers of a network operations chatbot the way a senior network engineer on call would.
You get the question, the network it was asked about, what the answer is expected to establish (written
by an engineer from a real incident), and the bot's whole answer. Judge the answer, not the expectations'
wording: a right root cause stated in other words is right; the expected phrases appearing in a wrong
conclusion is wrong. Grade:
- answers_question: the answer's first line answers what was asked.
- root_cause_right: the cause it leads with is the expected one (true when the case states no cause and
  the answer's conclusion is sound).
- evidence_supports: the findings hold the evidence that proves it (device, interface, numbers, log line).
- commands_fit: the recommended commands are safe to run and in the syntax of the device's platform
  (true when none are needed).
- score: 1 (wrong or harmful) to 5 (an engineer would sign it as is).
- reason: one or two sentences on the deciding point."""


class JudgeGrade(BaseModel):
    answers_question: bool
    root_cause_right: bool
    evidence_supports: bool
    commands_fit: bool
    score: int = Field(ge=1, le=5)
    reason: str = Field(max_length=600)

    @property
    def right(self) -> bool:
        """Right by the judge: answers the question with the right cause, and scores 4 or 5."""
        return self.answers_question and self.root_cause_right and self.score >= 4


Judge = Callable[[EvalCase, Answer], Awaitable["JudgeGrade | str"]]


def judge_available() -> bool:
    return bool(os.environ.get("ANTHROPIC_API_KEY"))


def prompt(case: EvalCase, answer: Answer) -> str:
    """The judge's user message: the case as data, then the answer as the engineer would read it."""
    text = answer_text(answer)
    cut = len(text) > ANSWER_CHARS
    expect = case.expect.model_dump(mode="json", exclude_defaults=True)
    return (f"Question: {case.question}\nNetwork: {case.network.label}\nIncident type: {case.category}\n"
            f"Expected (phrases may be alternatives; a list inside a list is 'any of'):\n{json.dumps(expect, indent=1)}\n\n"
            f"The bot's answer (primary specialist {answer.primary.value}, specialists {', '.join(s.value for s in answer.specialists)}, "
            f"confidence {answer.confidence:.2f}){' (cut to its first ' + str(ANSWER_CHARS) + ' characters)' if cut else ''}:\n"
            f"<answer>\n{text[:ANSWER_CHARS]}\n</answer>")


def model_judge(client: ClaudeClient, config: LLMConfig) -> Judge:
    """A judge that asks Claude through `client`; a call that fails returns why, as a string."""
    tier = config.tiers[TIER] if TIER in config.tiers else next(iter(config.tiers.values()))

    async def judge(case: EvalCase, answer: Answer) -> JudgeGrade | str:
        meter = UsageMeter(config.prices, config.request_cost_limit_usd)
        try:
            return await client.output(role=ROLE, agent=ROLE, tier=tier, system=SYSTEM,
                                       messages=[{"role": "user", "content": prompt(case, answer)}], output_model=JudgeGrade, meter=meter)
        except LLMUnavailable as exc:
            return f"not judged: {exc}"

    return judge


class JudgeSummary(BaseModel):
    """The judge's view of a run: how many it graded, how many it calls right, and how often it
    agrees with the rule scores (a case passed by the rules and right by the judge, or neither)."""

    judged: int
    not_judged: int
    right: float | None
    mean_score: float | None
    agreement: float | None
    disagreements: list[str]


def summarise(grades: dict[str, JudgeGrade | str], passed: dict[str, bool]) -> JudgeSummary:
    graded = {cid: g for cid, g in grades.items() if isinstance(g, JudgeGrade)}
    n = len(graded)
    agree = [cid for cid, g in graded.items() if g.right == passed[cid]]
    return JudgeSummary(
        judged=n, not_judged=len(grades) - n,
        right=round(sum(g.right for g in graded.values()) / n, 3) if n else None,
        mean_score=round(sum(g.score for g in graded.values()) / n, 2) if n else None,
        agreement=round(len(agree) / n, 3) if n else None,
        disagreements=sorted(cid for cid in graded if cid not in agree),
    )
