"""Scoring one answer against its case, per category.

Categories (None when a case states nothing for it):
- root_cause: every root-cause phrase is in the answer's lead (its first summary line): the
  answer to the question comes first, other problems found on the way do not;
- evidence: the devices are named and every evidence phrase is in the findings or summary;
- routing: the expected primary answered first and every expected specialist was consulted;
- commands: a recommendation holds one of the commands for the right platform;
- must_not: no forbidden phrase anywhere, and no device that is not in the network is cited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel

from agents.evals.cases import EvalCase, Phrase
from agents.models import Answer

CATEGORIES = ("root_cause", "evidence", "routing", "commands", "must_not")


class CaseScore(BaseModel):
    id: str
    holdout: bool
    category: str
    network: str
    scores: dict[str, bool | None]
    misses: list[str]
    confidence: float
    automation: str
    lead: str

    @property
    def passed(self) -> bool:
        return all(v is not False for v in self.scores.values())

    @property
    def fraction(self) -> float:
        applicable = [v for v in self.scores.values() if v is not None]
        return sum(applicable) / len(applicable) if applicable else 1.0


def _has(text: str, phrase: Phrase) -> bool:
    options = [phrase] if isinstance(phrase, str) else phrase
    return any(o.lower() in text for o in options)


def _show(phrase: Phrase) -> str:
    return phrase if isinstance(phrase, str) else " | ".join(phrase)


def answer_text(answer: Answer) -> str:
    parts = [answer.summary, *(f.text for f in answer.findings), *answer.notices]
    for r in answer.recommendations:
        parts += [r.text, *r.commands]
    return "\n".join(parts)


def cited_strangers(text: str, known: Iterable[str], lab_names: Iterable[str]) -> list[str]:
    """Lab device names the answer cites although the network has no such device."""
    known_set = set(known)
    return sorted(n for n in lab_names if n not in known_set and re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))


def score(case: EvalCase, answer: Answer, inventory_names: Iterable[str], lab_names: Iterable[str]) -> CaseScore:
    expect = case.expect
    full = answer_text(answer)
    low = full.lower()
    # The lead: the first summary line up to "Also found" (what was found on the way is not the answer).
    lead = re.split(r"(?i)\balso found\b", answer.summary.splitlines()[0])[0] if answer.summary else ""
    stated = "\n".join([answer.summary, *(f.text for f in answer.findings)]).lower()
    misses: list[str] = []
    scores: dict[str, bool | None] = dict.fromkeys(CATEGORIES)

    if expect.root_cause:
        missing = [p for p in expect.root_cause if not _has(lead.lower(), p)]
        scores["root_cause"] = not missing
        misses += [f"root cause not in the lead: {_show(p)}" for p in missing]
    if expect.evidence or expect.devices:
        missing_ev = [p for p in expect.evidence if not _has(stated, p)]
        missing_dev = [d for d in expect.devices if d.lower() not in low]
        scores["evidence"] = not (missing_ev or missing_dev)
        misses += [f"evidence missing: {_show(p)}" for p in missing_ev] + [f"device not named: {d}" for d in missing_dev]
    wanted = expect.specialists
    got = [s.value for s in answer.specialists]
    routed = answer.primary == wanted[0] and all(s.value in got for s in wanted)
    scores["routing"] = routed
    if not routed:
        misses.append(f"routing: wanted {'+'.join(s.value for s in wanted)}, got {answer.primary.value} ({'+'.join(got)})")
    if expect.commands is not None:
        want = expect.commands
        recs = [r for r in answer.recommendations if want.device is None or r.device == want.device]
        commands = [c.lower() for r in recs for c in r.commands]
        ok = any(w.lower() in c for w in want.any for c in commands)
        scores["commands"] = ok
        if not ok:
            misses.append(f"no {want.platform} command among: {' | '.join(want.any)}")
    forbidden = [p for p in expect.must_not if p.lower() in low]
    strangers = cited_strangers(full, inventory_names, lab_names)
    scores["must_not"] = not (forbidden or strangers)
    misses += [f"says: {p}" for p in forbidden] + [f"cites a device not in the network: {n}" for n in strangers]
    return CaseScore(id=case.id, holdout=case.holdout, category=case.category, network=case.network.label, scores=scores,
                     misses=misses, confidence=answer.confidence, automation=answer.automation, lead=lead[:160])
