"""Routing: which specialists should answer, and about which devices.

Which specialists: the learned router (agents/router: logistic regression over word and
character n-grams, trained on the labelled questions in each specialist folder's examples.txt) gives calibrated
probabilities. The primary is the specialist most likely to lead; every other specialist whose
own probability of being needed is at least one half joins, so a question that names several
domains gets all of them. The primary's probability is the decision's confidence, which decides
whether Claude is asked to route (llm.router_confidence).

The keyword scores (agents/router/keywords.py) were the router until issue 15. They are now
features of the learned model, the baseline it is measured against (`noc eval-routing` prints
both) and the fallback should the model ever fail to load; they no longer decide a route.

Device names are taken from the inventory; device-like names that are not in it are reported as
unknown, and role or site words ("branch", "core", "internet edge") narrow the search when no
device is named.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from agents.models import MAX_QUESTION_CHARS, RouteDecision, Specialist
from agents.network.inventory import Device, Inventory
from agents.router import Scores, predict
from agents.router.keywords import _SAME_LINE_BGP_NEIGHBOUR_EDIT, keywords, score

__all__ = ["_SAME_LINE_BGP_NEIGHBOUR_EDIT", "asks_for_report", "decide", "named", "extract_devices", "hinted_devices", "keywords",
           "keyword_route", "route", "score"]

log = logging.getLogger(__name__)

# The keyword patterns (and their linear-time rules) live in agents/router/keywords.py; they are
# features of the learned router and the fallback route here.


def _tie_order() -> list[Specialist]:
    """Ties go to the specialist a NOC engineer would want first: the catalogue's order (each
    spec's routing.tie_rank)."""
    return list(Specialist)


# Role and site words that narrow the device search when no device is named.
_HINTS: list[tuple[str, str, set[str]]] = [
    (r"\bbranch\b", "branch", {"branch-router"}),
    (r"\bcore\b", "core", {"core"}),
    (r"\bdistribution\b|\bdist\b", "distribution", {"distribution"}),
    (r"\baccess (?:switch|layer|port)", "access", {"access"}),
    (r"\bdata ?cent(?:er|re)\b|\bdc\b|\bleaf\b", "dc", {"dc-switch"}),
    (r"\binternet\b|\bisp\b|\bedge\b|\btransit\b|\bupstream\b", "edge", {"wan-edge", "internet-edge"}),
    (r"\bwan\b|\bcircuit\b|\bmpls\b", "wan", {"wan-edge", "branch-router"}),
]

# Device-like names: `word(-word)*-<digits>[letter]`, e.g. core-sw-01, branch-rtr-2b. The plain form
# `\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d+[a-z]?\b` retries from every word of a hyphenated run and
# rescans the run each time: quadratic on "a-a-a-...". Within one run (words of [a-z0-9] joined by
# single hyphens) only the leftmost word that can start a name matters - every later start sees a
# subset of the same words - so the search starts only at run starts (the lookbehinds), skips
# words that cannot start a name (the first word when it is glued to a word character, and words
# that start with a digit) and tries once from there; the name itself is the old pattern, with
# the words possessive (each is followed by a hyphen, never by more of itself). Same matches as
# the plain form, except that the number is ASCII digits (`[0-9]`, not `\d`): device names are ASCII.
_DEVICE_LIKE = re.compile(
    r"(?<![a-z0-9])(?<![a-z0-9]-)"          # at the start of a run of hyphenated words
    r"(?:(?:\B[a-z]|[0-9])[a-z0-9]*+-)?+"    # its first word, when a name cannot start there
    r"(?:[0-9][a-z0-9]*+-)*+"                # then words that start with a digit
    r"(\b[a-z][a-z0-9]*+(?:-[a-z0-9]++)*-[0-9]+[a-z]?\b)"
)

SECONDARY_SHARE = 0.5  # a specialist joins when it scores at least half of the primary's score
SECONDARY_MIN = 1.5


# A request for a written artefact (report, write-up, summary) rather than an investigation.
_REPORT_REQUEST = re.compile(r"incident report|post[- ]?mortem|post[- ]incident|write[- ]?up|\breport\b|incident summary|\bsummar|\brca\b"
                             r"|\bpir\b|turn (?:these|this|my) notes", re.I)


def asks_for_report(question: str) -> bool:
    """Does the question ask for a report? The planner then puts investigators before documentation,
    and documentation writes one."""
    return bool(_REPORT_REQUEST.search(_cut(question)))


def _cut(question: str) -> str:
    """What the router looks at: the question as a Request keeps it (callers may pass raw text)."""
    return question[:MAX_QUESTION_CHARS]


def extract_devices(question: str, inventory: Inventory) -> tuple[list[str], list[str]]:
    """(known device names mentioned, device-like names that are not in the inventory)."""
    text = _cut(question).lower()
    by_lower = {name.lower(): name for name in inventory.names}
    known: list[str] = []
    for lower, name in by_lower.items():
        if re.search(rf"(?<![\w-]){re.escape(lower)}(?![\w-])", text):
            known.append(name)
    sites: dict[str, list[str]] = {}
    for d in inventory:
        if d.site:
            sites.setdefault(d.site.lower(), []).append(d.name)
    unknown = []
    for m in dict.fromkeys(_DEVICE_LIKE.findall(text)):
        if m in sites:  # a site's name ("branch-01") names the devices at that site
            known += [n for n in sites[m] if n not in known]
        elif m not in by_lower and not _is_interface(m):
            unknown.append(m)
    return known, unknown


def _is_interface(token: str) -> bool:
    return bool(re.match(r"^(?:gi|te|fa|et|eth|po|vlan|lo|ma|mgmt|tu|hu|fo|twe)\w*-?\d", token))


def hinted_devices(question: str, inventory: Inventory) -> tuple[list[str], list[str]]:
    """Devices whose role or site the question mentions, and the hint words that matched."""
    text = _cut(question).lower()
    hints, roles = [], set()
    for pattern, label, hint_roles in _HINTS:
        if re.search(pattern, text):
            hints.append(label)
            roles |= hint_roles
    devices = [d.name for d in inventory if d.role in roles or _site_matches(d, hints)]
    return devices, hints


def _site_matches(device: Device, hints: Iterable[str]) -> bool:
    return any(h in device.site for h in hints if h in {"branch", "dc"})


# A specialist other than the primary joins when the model gives it at least the model's join
# probability of being needed (Scores.join): the membership heads are calibrated per specialist, and
# the threshold is chosen on out-of-fold data (agents/router/train.py), at most 0.5 ("more likely
# than not") and lower where that finds more of the needed specialists within a budget of extras:
# a missing specialist costs the answer, an extra one costs a step.


def route(question: str, inventory: Inventory) -> RouteDecision:
    question = _cut(question)
    known, unknown = extract_devices(question, inventory)
    _, hints = hinted_devices(question, inventory)
    try:
        probabilities = predict(question)  # the model loads on the first route, not at import
    except Exception:  # noqa: BLE001 - a broken model must not take routing down with it
        log.exception("learned router unavailable; routing on keyword scores")
        return keyword_route(question, known, unknown, hints)
    return decide(probabilities).model_copy(update={"devices": known, "unknown_devices": unknown, "hints": hints})


def decide(probabilities: Scores) -> RouteDecision:
    """The specialists from the model's probabilities: the likeliest leader, and every other
    specialist more likely needed than not. Cross-validation (agents/evaluation.py) uses this too."""
    primary_p, member_p = probabilities.primary, probabilities.membership
    order = _tie_order()
    ranked = sorted(order, key=lambda s: (-primary_p[s.value], order.index(s)))
    primary = ranked[0]
    joining = sorted((s for s in order if s != primary and member_p[s.value] >= probabilities.join),
                     key=lambda s: (-member_p[s.value], order.index(s)))
    return RouteDecision(
        primary=primary,
        specialists=[primary, *joining],
        scores={s.value: round(member_p[s.value], 3) for s in Specialist},
        confidence=round(primary_p[primary.value], 3),
        margin=round(primary_p[primary.value] - primary_p[ranked[1].value], 3),
        method="learned",
    )


def named(question: str) -> list[Specialist]:
    """The specialists the question names by their domains' words: those the keyword router would
    have sent it to (a score of at least SECONDARY_MIN and half the highest). The learned router
    weighs these words against everything else it learned, so a question listing four domains can
    leave it unsure and two of them out; the early starts (agents/scheduling.py `candidates`) start
    them anyway while Claude routes, since Claude's route will often name them."""
    scores = score(question)
    top = max(scores.values(), default=0.0)
    return [s for s in _tie_order() if scores[s] > 0 and scores[s] >= max(SECONDARY_MIN, SECONDARY_SHARE * top)]


def keyword_route(question: str, known: list[str], unknown: list[str], hints: list[str]) -> RouteDecision:
    """The pre-issue-15 router: highest keyword score leads, those within half of it join. Its
    margin is in keyword points, so its confidence is 0: Claude, when present, routes instead."""
    scores = score(question)
    order = _tie_order()
    ranked = sorted(order, key=lambda s: (-scores[s], order.index(s)))
    primary = ranked[0]
    top = scores[primary]
    specialists = [primary] + [s for s in ranked[1:] if scores[s] >= max(SECONDARY_MIN, SECONDARY_SHARE * top)]
    return RouteDecision(primary=primary, specialists=specialists, devices=known, unknown_devices=unknown,
                         scores={s.value: round(v, 2) for s, v in scores.items()}, confidence=0.0,
                         margin=round(top - scores[ranked[1]], 2), hints=hints, method="keywords")
