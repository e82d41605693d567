"""Keyword scores: hand-written phrase patterns per specialist, and the sum of those that match.

The patterns are data: each specialist's `routing.keywords` in its spec.yaml (agents/catalogue.py).

These were the whole router until issue 15. Now they are features of the learned router (one
per specialist: the summed score, agents/router/features.py): they carry what a person knew
about NOC phrasing ("what do I paste", "top talkers") into questions whose words are rare in the
training data; the model learns how much to trust them. agents/routing.py keeps them as the
fallback route and the baseline in `noc eval-routing`.
"""

from __future__ import annotations

import re

from agents.catalogue import PerCatalogue, catalogue
from agents.models import MAX_QUESTION_CHARS, Specialist

# Every pattern here runs on user text and must match in linear time. A search retries a pattern
# from every position, so an unbounded repeat that can run far before failing (`A.*B` on
# "A A A ...") costs quadratic time; such patterns are anchored to run once per line or per run of
# words (tests/scenario/test_front_door.py pins their matches to the plain forms; bench/adversarial_input.py
# times them). The router also looks only at the first MAX_QUESTION_CHARS of a question.

# The config specialist's "bgp neighbour ... add" or "add ... bgp neighbour" on one line. Written as
# `A.*B|B.*A` this rescans to the end of the line from every A (or B): quadratic on "add add add
# ...". Anchored at line starts, with the first A (B) taken atomically, each line is scanned at
# most twice. Same answer: if any A precedes a B on a line, the first A on that line does. Kept
# here (the pattern itself is in config/spec.yaml) for the tests and the benchmark that time it.
_SAME_LINE_BGP_NEIGHBOUR_EDIT = (r"(?<![^\n])(?:(?>.*?\bbgp neighbou?r\b).*\b(?:add|new|set up|configure)"
                                 r"|(?>.*?\b(?:add|new|set up|configure)\b).*\bbgp neighbou?r)")


def keywords() -> dict[Specialist, list[tuple[str, float]]]:
    """(pattern, weight) per specialist, from the catalogue, in tie order."""
    return {Specialist(name): [(p, w) for p, w in spec.routing.keywords] for name, spec in catalogue().specs.items()}


_COMPILED: PerCatalogue[Specialist, list[tuple[re.Pattern[str], float]]] = PerCatalogue(lambda cat: {
    Specialist(name): [(re.compile(p), w) for p, w in spec.routing.keywords] for name, spec in cat.specs.items()})


def score(question: str) -> dict[Specialist, float]:
    """Summed pattern weights per specialist over the first MAX_QUESTION_CHARS, lower-cased."""
    text = question[:MAX_QUESTION_CHARS].lower()
    return {s: sum(w for rx, w in pats if rx.search(text)) for s, pats in _COMPILED.items()}
