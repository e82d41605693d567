"""Routing evaluation: how often the router picks the right specialists, on data it never saw.

Two kinds of measurement, one report:
- a file of labelled questions (JSONL, `{"query": ..., "expected": <primary>}`, optionally
  `"labels": [every specialist the question needs]`), routed as a user's question is routed;
- k-fold cross-validation on the router's own training data: each fold's questions are routed
  by a model built (and calibrated) without them.

The report gives the primary's accuracy, per-specialist precision and recall, the confusion
matrix, the multi-label exact-match rate (cases that list their labels), on multi-domain cases the
share routed to every specialist they need, on single-domain cases the extra specialists routed
on average (what a needless step costs), the calibration (expected
calibration error, and accuracy by confidence, which is what `llm.router_confidence` is chosen
from), and the keyword router's accuracy on the same questions as the baseline.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agents.models import RouteDecision, Specialist
from agents.network.inventory import Inventory
from agents.routing import decide, keyword_route, route

CONFIDENCE_STEPS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


class EvalFileError(ValueError):
    pass


class EvalCase(BaseModel):
    query: str
    expected: Specialist
    labels: list[Specialist] | None = None  # every specialist the question needs, the expected one included


class ClassScore(BaseModel):
    precision: float
    recall: float
    support: int


class ConfidenceBand(BaseModel):
    at_least: float
    share: float  # of all questions, those routed with at least this confidence
    accuracy: float | None


class EvalReport(BaseModel):
    accuracy: float
    total: int
    correct: int
    confusion: dict[str, dict[str, int]]
    per_class: dict[str, ClassScore] = {}
    exact_match: float | None = None  # share of cases with labels whose specialist set matched exactly
    exact_total: int = 0
    # Multi-domain cases (labels name two or more specialists): the share routed to every needed one
    # (more may join: an extra specialist costs a step, a missing one costs the answer).
    all_needed: float | None = None
    multi_total: int = 0
    # Single-domain cases (labels name one specialist): specialists routed beyond it, on average.
    extras_per_single: float | None = None
    single_total: int = 0
    calibration_error: float | None = None  # expected calibration error of the confidence, 10 bins
    by_confidence: list[ConfidenceBand] = []
    keyword_accuracy: float | None = None  # the keyword router on the same questions
    source: str = ""
    mistakes: list[dict[str, str]] = []


def load_eval_cases(path: Path) -> list[EvalCase]:
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise EvalFileError(f"{path} line {n}: {problem} (each line must be {{\"query\": ..., \"expected\": <specialist>}})") from None
        if case.labels is not None and case.expected not in case.labels:
            raise EvalFileError(f"{path} line {n}: labels must include the expected specialist '{case.expected.value}'")
        cases.append(case)
    if not cases:
        raise EvalFileError(f"{path}: no cases")
    return cases


def evaluate_routing(cases: list[EvalCase], inventory: Inventory, source: str = "") -> EvalReport:
    decisions = [route(c.query, inventory) for c in cases]
    baseline = [keyword_route(c.query, [], [], []).primary for c in cases]
    return score_decisions(cases, decisions, baseline, source)


def cross_validate(k: int = 10) -> EvalReport:
    """k-fold cross-validation of the learned router on its training data (imports scikit-learn)."""
    from agents.router.dataset import data_hash, load_examples
    from agents.router.train import build_model, folds

    examples = load_examples()
    if not 2 <= k <= len(examples):
        raise EvalFileError(f"--cv needs between 2 and {len(examples)} folds")
    cases: list[EvalCase] = []
    decisions: list[RouteDecision] = []
    for train, test in folds(examples, k):
        model = build_model([examples[i] for i in train], f"{data_hash()}-fold")
        for i in test:
            e = examples[i]
            cases.append(EvalCase(query=e.question, expected=e.primary, labels=sorted(e.labels, key=list(Specialist).index)))
            decisions.append(decide(model.scores(e.question)))
    baseline = [keyword_route(c.query, [], [], []).primary for c in cases]
    return score_decisions(cases, decisions, baseline, f"{k}-fold cross-validation on {len(examples)} training questions")


def score_decisions(cases: Sequence[EvalCase], decisions: Sequence[RouteDecision], baseline: Sequence[Specialist],
                    source: str = "") -> EvalReport:
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    mistakes = []
    correct = exact = exact_total = covered = multi_total = extras = single_total = 0
    for case, d in zip(cases, decisions, strict=True):
        confusion[case.expected.value][d.primary.value] += 1
        ok = d.primary == case.expected
        correct += ok
        if case.labels is not None:
            exact_total += 1
            exact += set(d.specialists) == set(case.labels)
            if len(case.labels) > 1:
                multi_total += 1
                covered += set(d.specialists) >= set(case.labels)
            else:
                single_total += 1
                extras += len(set(d.specialists) - set(case.labels))
        if not ok or (case.labels is not None and set(d.specialists) != set(case.labels)):
            mistakes.append({"query": case.query, "expected": "+".join(s.value for s in case.labels or [case.expected]),
                             "got": "+".join(s.value for s in d.specialists), "confidence": f"{d.confidence:.2f}"})
    per_class = {}
    for s in Specialist:
        tp = confusion[s.value][s.value]
        predicted = sum(row.get(s.value, 0) for row in confusion.values())
        support = sum(confusion[s.value].values())
        per_class[s.value] = ClassScore(precision=round(tp / predicted, 4) if predicted else 0.0,
                                        recall=round(tp / support, 4) if support else 0.0, support=support)
    hits = [(d.confidence, d.primary == c.expected) for c, d in zip(cases, decisions, strict=True)]
    learned = all(d.method == "learned" for d in decisions)
    return EvalReport(
        accuracy=round(correct / len(cases), 4), total=len(cases), correct=correct,
        confusion={e: dict(g) for e, g in confusion.items() if g}, per_class=per_class,
        exact_match=round(exact / exact_total, 4) if exact_total else None, exact_total=exact_total,
        all_needed=round(covered / multi_total, 4) if multi_total else None, multi_total=multi_total,
        extras_per_single=round(extras / single_total, 4) if single_total else None, single_total=single_total,
        calibration_error=_ece(hits) if learned else None, by_confidence=_bands(hits) if learned else [],
        keyword_accuracy=round(sum(b == c.expected for b, c in zip(baseline, cases, strict=True)) / len(cases), 4),
        source=source, mistakes=mistakes,
    )


def _ece(hits: list[tuple[float, bool]], bins: int = 10) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over bins."""
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in hits if lo < c <= hi or (b == 0 and c == 0)]
        if inside:
            total += len(inside) * abs(sum(c for c, _ in inside) / len(inside) - sum(ok for _, ok in inside) / len(inside))
    return round(total / len(hits), 4)


def _bands(hits: list[tuple[float, bool]]) -> list[ConfidenceBand]:
    bands = []
    for t in CONFIDENCE_STEPS:
        inside = [ok for c, ok in hits if c >= t]
        bands.append(ConfidenceBand(at_least=t, share=round(len(inside) / len(hits), 4),
                                    accuracy=round(sum(inside) / len(inside), 4) if inside else None))
    return bands


def render_eval(report: EvalReport) -> str:
    names = [s.value for s in Specialist]
    width = max(len(n) for n in names) + 2
    lines = ([report.source] if report.source else []) + [f"accuracy {report.accuracy:.1%} ({report.correct}/{report.total})"]
    if report.exact_match is not None:
        lines.append(f"exact match of the specialist set {report.exact_match:.1%} ({report.exact_total} cases with labels)")
    else:
        lines.append("exact match of the specialist set: n/a (no case lists its labels)")
    if report.all_needed is not None:
        lines.append(f"every needed specialist on multi-domain questions {report.all_needed:.1%} ({report.multi_total} cases)")
    if report.extras_per_single is not None:
        lines.append(f"extra specialists per single-domain question {report.extras_per_single:.2f} ({report.single_total} cases)")
    if report.keyword_accuracy is not None:
        lines.append(f"keyword router on the same questions: accuracy {report.keyword_accuracy:.1%}")
    lines += ["", "".ljust(width + 4) + "precision  recall  support"]
    for n, c in report.per_class.items():
        lines.append(n.ljust(width + 4) + f"{c.precision:9.1%} {c.recall:7.1%} {c.support:8d}")
    lines += ["", "expected \\ got".ljust(width + 4) + "".join(n[:6].rjust(8) for n in names)]
    for e in names:
        row = report.confusion.get(e, {})
        lines.append(e.ljust(width + 4) + "".join(str(row.get(g, 0)).rjust(8) for g in names))
    if report.calibration_error is not None:
        lines += ["", f"calibration: expected calibration error {report.calibration_error:.3f}"]
        lines += [f"  confidence >= {b.at_least:.2f}: {b.share:6.1%} of questions, accuracy "
                  + (f"{b.accuracy:6.1%}" if b.accuracy is not None else "   n/a") for b in report.by_confidence]
    if report.mistakes:
        lines += ["", "mistakes (expected -> got, confidence):"]
        lines += [f"  {m['expected']} -> {m['got']} ({m['confidence']}): {m['query']}" for m in report.mistakes]
    return "\n".join(lines)
