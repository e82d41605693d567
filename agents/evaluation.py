"""Routing evaluation: accuracy and a confusion matrix over a JSONL file of labelled questions."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agents.models import Specialist
from agents.network.inventory import Inventory
from agents.routing import route


class EvalFileError(ValueError):
    pass


class EvalCase(BaseModel):
    query: str
    expected: Specialist


class EvalReport(BaseModel):
    accuracy: float
    total: int
    correct: int
    confusion: dict[str, dict[str, int]]
    mistakes: list[dict[str, str]] = []


def load_eval_cases(path: Path) -> list[EvalCase]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(EvalCase.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise EvalFileError(f"{path} line {n}: {problem} (each line must be {{\"query\": ..., \"expected\": <specialist>}})") from None
    if not cases:
        raise EvalFileError(f"{path}: no cases")
    return cases


def evaluate_routing(cases: list[EvalCase], inventory: Inventory) -> EvalReport:
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    correct = 0
    mistakes = []
    for case in cases:
        got = route(case.query, inventory).primary
        confusion[case.expected.value][got.value] += 1
        if got == case.expected:
            correct += 1
        else:
            mistakes.append({"query": case.query, "expected": case.expected.value, "got": got.value})
    return EvalReport(accuracy=round(correct / len(cases), 4), total=len(cases), correct=correct,
                      confusion={e: dict(g) for e, g in confusion.items()}, mistakes=mistakes)


def render_eval(report: EvalReport) -> str:
    names = [s.value for s in Specialist]
    width = max(len(n) for n in names) + 2
    lines = [f"accuracy {report.accuracy:.1%} ({report.correct}/{report.total})", "",
             "expected \\ got".ljust(width + 4) + "".join(n[:6].rjust(8) for n in names)]
    for e in names:
        row = report.confusion.get(e, {})
        lines.append(e.ljust(width + 4) + "".join(str(row.get(g, 0)).rjust(8) for g in names))
    if report.mistakes:
        lines += ["", "mistakes:"] + [f"  {m['expected']} -> {m['got']}: {m['query']}" for m in report.mistakes]
    return "\n".join(lines)
