"""Features of a question: the one function both training and routing use.

Why our own featuriser rather than scikit-learn's vectorisers: the fitted weights are exported
to a small artefact and applied without scikit-learn (importing it costs about a second, more
than the whole start-up budget), so the features must be computed identically in both places.
One function used by both makes that true by construction.

What the features are, and why:
- word unigrams and bigrams: the words that say what is asked ("root cause", "write up");
- character 3-5-grams inside each word (padded with spaces, as scikit-learn's `char_wb`): they
  survive typos, shorthand and inflections ("neigbor", "congested"/"congestion", "util");
- digits are folded to 0, so "vlan 110" and "vlan 30", "edge-rtr-01" and "edge-rtr-02" look the
  same: the numbers say which thing, not which kind of question;
- the keyword router's score per specialist (agents/router/keywords.py) as a count, k:<name>: a
  prior written by people, which helps most on words the training data has seldom seen (it adds
  about one point of cross-validated accuracy); the model learns how far to trust it;
- the same score over the first clause only (up to the first comma, "and", "then"...), f:<name>:
  a question that names several domains is led by the one it asks first ("the branch is slow,
  audit its security and write a report" is led by performance), and word counts alone cannot
  see order (half a point of cross-validated accuracy).

Linear time: one regex pass with no backtracking, then a bounded amount of work per word (the
number of n-grams of a word is at most three times its length); the keyword patterns are linear
by construction (see keywords.py).
"""

from __future__ import annotations

import re
from collections import Counter

from agents.router.keywords import score

# A word: letters and digits (digits already folded to 0). Apostrophes are dropped first, so
# "can't" and "cant" are one word. No nested repeats, so the scan is linear.
_WORD = re.compile(r"[a-z0-9]+")
_DIGITS = re.compile(r"[0-9]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
# Where a question's first ask ends: punctuation or a joining word. Literal alternatives, linear.
_CLAUSE_END = re.compile(r"[,;:!?]| and | then | plus | with ")
CHAR_NGRAMS = (3, 4, 5)
# Words longer than this are not language (hashes, pasted blobs); their n-grams only add noise
# and cost. They still count as a word.
MAX_WORD_FOR_CHARS = 40


def words(text: str) -> list[str]:
    """Lower-cased words with digits folded to 0 and apostrophes removed."""
    text = _APOSTROPHES.sub("", text.lower())
    return _WORD.findall(_DIGITS.sub("0", text))


def featurise(text: str) -> Counter[str]:
    """Feature counts of one question. Prefixes keep the three kinds apart: w: word, b: bigram,
    c: character n-gram."""
    toks = words(text)
    feats: Counter[str] = Counter()
    for i, tok in enumerate(toks):
        feats["w:" + tok] += 1
        if i:
            feats["b:" + toks[i - 1] + " " + tok] += 1
        if len(tok) <= MAX_WORD_FOR_CHARS:
            padded = f" {tok} "
            for n in CHAR_NGRAMS:
                for j in range(len(padded) - n + 1):
                    feats["c:" + padded[j:j + n]] += 1
    for specialist, points in score(text).items():
        if points >= 0.5:
            feats["k:" + specialist.value] += round(points)
    clauses = _CLAUSE_END.split(text.lower(), maxsplit=1)
    if len(clauses) > 1:
        for specialist, points in score(clauses[0]).items():
            if points >= 0.5:
                feats["f:" + specialist.value] += round(points)
    return feats
