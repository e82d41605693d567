"""Running the suite through the Supervisor and turning the scores into a report.

The report keeps the tuning and holdout halves apart (the holdout half is never looked at while
tuning), scores each category, and measures what confidence means: how often an answer at each
automation level, and above each confidence step, is right (every applicable category passed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from pydantic import BaseModel

from agents.evals.cases import EvalCase
from agents.evals.judge import Judge, JudgeGrade, JudgeSummary, summarise
from agents.evals.networks import Networks, lab_device_names
from agents.evals.scoring import CATEGORIES, CaseScore, score
from agents.models import Answer, Request
from agents.tools.network import Toolbox

Ask = Callable[[Toolbox, Request], Awaitable[Answer]]
CONFIDENCE_STEPS = (0.5, 0.6, 0.7, 0.8, 0.9)


class Half(BaseModel):
    cases: int
    passed: int
    score: float  # mean of the cases' category fractions
    categories: dict[str, float | None]  # share of applicable cases passing each category


class Band(BaseModel):
    label: str
    cases: int
    right: float | None


class EvalSuiteReport(BaseModel):
    engine: str
    cases: list[CaseScore]
    halves: dict[str, Half]
    by_level: list[Band]
    by_confidence: list[Band]
    # The model as judge (noc eval --judge): each case's grade, or why it was not graded; None: not asked.
    grades: dict[str, JudgeGrade | str] | None = None
    judge: JudgeSummary | None = None


def half(scores: Sequence[CaseScore]) -> Half:
    categories: dict[str, float | None] = {}
    for c in CATEGORIES:
        applicable = [s.scores[c] for s in scores if s.scores[c] is not None]
        categories[c] = round(sum(1 for v in applicable if v) / len(applicable), 3) if applicable else None
    mean = sum(s.fraction for s in scores) / len(scores) if scores else 0.0
    return Half(cases=len(scores), passed=sum(s.passed for s in scores), score=round(mean, 3), categories=categories)


def _band(label: str, scores: Sequence[CaseScore]) -> Band:
    return Band(label=label, cases=len(scores), right=round(sum(s.passed for s in scores) / len(scores), 3) if scores else None)


def report(engine: str, scores: list[CaseScore]) -> EvalSuiteReport:
    halves = {"all": half(scores), "tuning": half([s for s in scores if not s.holdout]),
              "holdout": half([s for s in scores if s.holdout])}
    levels = [_band(level, [s for s in scores if s.automation == level]) for level in ("auto", "review", "human")]
    steps = [_band(f">= {t:.2f}", [s for s in scores if s.confidence >= t]) for t in CONFIDENCE_STEPS]
    return EvalSuiteReport(engine=engine, cases=scores, halves=halves, by_level=levels, by_confidence=steps)


async def run_suite(cases: Sequence[EvalCase], cases_dir: Path, corpus: Path, ask: Ask, engine: str = "offline",
                    progress: Callable[[CaseScore], None] | None = None, judge: Judge | None = None) -> EvalSuiteReport:
    """Ask every case's question on its network, one at a time (the lab's counters are per network);
    with a `judge`, each answer is also graded by it (agents/evals/judge.py)."""
    networks = Networks(cases_dir, corpus)
    lab_names = lab_device_names()
    scores: list[CaseScore] = []
    grades: dict[str, JudgeGrade | str] = {}
    try:
        for case in cases:
            toolbox = networks.toolbox(case.network)
            try:
                answer = await ask(toolbox, Request.from_text(case.question, role="admin"))  # as `noc ask` asks by default
            finally:
                toolbox.gateway.close()
            result = score(case, answer, toolbox.inventory.names, lab_names)
            scores.append(result)
            if judge is not None:
                grades[case.id] = await judge(case, answer)
            if progress is not None:
                progress(result)
    finally:
        networks.close()
    rep = report(engine, scores)
    if judge is not None:
        rep = rep.model_copy(update={"grades": grades, "judge": summarise(grades, {s.id: s.passed for s in scores})})
    return rep


def render(rep: EvalSuiteReport, verbose: bool = True) -> str:
    mark = {True: "ok", False: "--", None: " ."}
    lines = [f"engine: {rep.engine}", ""]
    if verbose:
        width = max(len(s.id) for s in rep.cases)
        lines.append(f"{'case':<{width}}  set      " + " ".join(f"{c[:9]:>9}" for c in CATEGORIES) + "   conf  level")
        for s in rep.cases:
            cells = " ".join(f"{mark[s.scores[c]]:>9}" for c in CATEGORIES)
            lines.append(f"{s.id:<{width}}  {'holdout' if s.holdout else 'tuning ':<7}  {cells}   {s.confidence:.2f}  {s.automation}")
            lines += [f"{'':<{width}}    - {m}" for m in s.misses]
            grade = (rep.grades or {}).get(s.id)
            if grade is not None:
                lines.append(f"{'':<{width}}    judge: " + (f"{grade.score}/5 {'right' if grade.right else 'wrong'}: {grade.reason}"
                                                          if isinstance(grade, JudgeGrade) else grade))
        lines.append("")
    lines.append(f"{'half':<8} {'cases':>5} {'passed':>6} {'score':>6}  " + " ".join(f"{c[:10]:>10}" for c in CATEGORIES))
    for name, h in rep.halves.items():
        cells = " ".join(f"{'-' if v is None else f'{v:.0%}':>10}" for v in h.categories.values())
        lines.append(f"{name:<8} {h.cases:>5} {h.passed:>6} {h.score:>6.0%}  {cells}")
    if rep.judge is not None:
        j = rep.judge
        lines += ["", f"model as judge: {j.judged} graded, {j.not_judged} not graded"]
        if j.judged:
            lines.append(f"  right {j.right:.0%}, mean score {j.mean_score:.2f}/5, agrees with the rule scores on {j.agreement:.0%}"
                         + (f"; disagrees on {', '.join(j.disagreements)}" if j.disagreements else ""))
    lines += ["", "confidence: share of answers that are right (every category passed)"]
    for b in [*rep.by_level, *rep.by_confidence]:
        lines.append(f"  {b.label:<8} {b.cases:>4} answers  {'-' if b.right is None else f'{b.right:.0%} right'}")
    return "\n".join(lines)
