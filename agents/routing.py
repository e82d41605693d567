"""Keyword router: which specialists should answer, and about which devices.

Scores are sums of weighted patterns (whole phrases weigh more than single words) over the
lower-cased question. The margin between the best and the second-best score says how sure the
router is; a later Claude router is consulted only when the margin is small. Device names are
taken from the inventory; device-like names that are not in it are reported as unknown, and
role or site words ("branch", "core", "internet edge") narrow the search when no device is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from agents.models import MAX_QUESTION_CHARS, RouteDecision, Specialist
from agents.network.inventory import Device, Inventory

# Every pattern here runs on user text and must match in linear time. A search retries a pattern
# from every position, so an unbounded repeat that can run far before failing (`A.*B` on
# "A A A ...") costs quadratic time; such patterns are anchored to run once per line or per run of
# words (tests/test_front_door.py pins their matches to the plain forms; bench/adversarial_input.py
# times them). The router also looks only at the first MAX_QUESTION_CHARS of a question.

# "bgp neighbour ... add" or "add ... bgp neighbour" on one line. Written as `A.*B|B.*A` this
# rescans to the end of the line from every A (or B): quadratic on "add add add ...". Anchored at
# line starts, with the first A (B) taken atomically, each line is scanned at most twice. Same
# answer: if any A precedes a B on a line, the first A on that line does.
_SAME_LINE_BGP_NEIGHBOUR_EDIT = (r"(?<![^\n])(?:(?>.*?\bbgp neighbou?r\b).*\b(?:add|new|set up|configure)"
                                 r"|(?>.*?\b(?:add|new|set up|configure)\b).*\bbgp neighbou?r)")

# (pattern, weight). Patterns are regexes matched against the lower-cased question.
KEYWORDS: dict[Specialist, list[tuple[str, float]]] = {
    Specialist.diagnosis: [
        (r"\bwhy\b", 1.5), (r"\bwhat(?:'s| is)? (?:wrong|broken|happen(?:ed|ing))", 3), (r"\broot cause\b", 4), (r"\brca\b", 3),
        (r"\btroubleshoot", 4), (r"\bdiagnos", 4), (r"\bdown\b", 2), (r"\boutage\b", 2), (r"\bflap", 3),
        (r"\bcan(?:'t|not| ?not)\b|\bcant\b|\bunable to\b", 2.5), (r"\bunreachable\b|\bnot reachable\b|\bno reachability\b", 3),
        (r"\bbroken?\b|\bbroke\b", 2.5), (r"\bstuck\b", 3), (r"\bexstart\b|\bexchange state\b|\bactive state\b|\bidle\b|\bin active\b", 3),
        (r"\badjacen", 2), (r"\bneighbou?r|\bnbr\b|\bneigbor|\bnieghbou?r", 1.5), (r"\bpeer(?:ing)?\b|\bsession\b", 1.5),
        (r"\bbgp\b", 1), (r"\bospf\b", 1), (r"\bcrc\b|\binput errors?\b|\berrors?\b", 2), (r"\bfault", 2),
        (r"\bfail(?:ed|ing|ure|s)?\b", 2), (r"\bnot working\b|\bisn'?t working\b|\bdoesn'?t work\b|\bstopped\b", 3),
        (r"\bissue\b|\bproblem\b", 1.5), (r"\bpacket loss\b|\bloss\b", 1.5), (r"\blost\b|\bdropped (?:its|the)\b", 2),
        (r"\bcpu\b", 1), (r"\bping\b|\btraceroute\b", 1.5), (r"\bmtu\b", 1.5), (r"\bcause[ds]?\b|\bcausing\b", 2.5),
        (r"\bhealth(?:y)?\b|\bok\b|\bstatus\b", 1), (r"\bwhat happened\b", 3), (r"\bgo(?:ne)? away\b", 1),
        (r"\bmismatch", 1.5), (r"\breset\b|\bbounc", 1.5), (r"\berr-?disabled?\b", 3), (r"\bintermittent", 2),
    ],
    Specialist.config: [
        (r"\bconfig(?:uration|ure|ured|s)?\b|\bconf t\b", 2.5), (r"\btemplate\b", 4), (r"\bgenerate\b|\bgive me the (?:commands|config|lines)\b", 3),
        (r"\bcommands? to\b|\bcli to\b|\bsyntax\b|\bstanza\b|\bsnippet\b", 3.5), (r"\bhow do i (?:add|configure|set up|create)\b", 3),
        (r"\baccess port\b|\btrunk\b|\bvlan \d+|\badd (?:a )?vlan\b|\bswitchport\b", 3), (r"\bstatic route\b|\bip route\b", 3.5),
        (_SAME_LINE_BGP_NEIGHBOUR_EDIT, 3),
        (r"\bservice-policy\b|\bpolicy-map\b|\bclass-map\b|\bqos polic", 2.5), (r"\brunning[- ]config\b|\bstartup[- ]config\b|\bshow run\b", 3),
        (r"\bdiff\b|\bdrift\b|\bcompare\b|\bchanged\b|\bunsaved\b|\bwrite mem", 3), (r"\bvalidat", 3), (r"\bwhat(?:'s| is) configured\b", 4),
        (r"\bshow me the\b|\bshow (?:the )?(?:interface|router|line) ", 2), (r"\bset up\b|\bsetup\b|\bprovision", 2),
        (r"\bdescription\b|\bhostname\b|\bmtu \d+", 1.5), (r"\badd\b|\bcreate\b|\bchange\b|\bremove\b|\bdelete\b|\bmodify\b", 1.5),
        (r"\bprefix-list\b|\broute-map\b|\bacl\b|\baccess-list\b", 1.5), (r"\bospf area\b|\bnetwork statement\b|\bpassive-interface\b", 2.5),
        (r"\bwhat (?:do i|should i|to) type\b|\bwhat lines\b|\blines do (?:i|we) need\b|\bwhat do i paste\b", 4),
        (r"\bset to\b|\bhave .{1,40} set\b|\bis set\b|\bconfigured with\b", 2.5), (r"\bwhich vlan\b|\bvoice vlan\b|\bnative vlan\b|\bvlans?\b", 2),
        (r"\bportfast\b|\bbpdu ?guard\b|\bspanning-tree\b|\binterface range\b|\bchannel-group\b|\bport-channel\b", 3),
        (r"\brouter-id\b|\bip address\b|\bntp server\b|\blogging host\b|\bsnmp-server host\b", 2),
    ],
    Specialist.security: [
        (r"\bsecur", 4), (r"\bvulnerab", 4), (r"\bharden", 4), (r"\bcomplian", 4), (r"\baudit", 3.5),
        (r"\bcis\b", 4), (r"\bpci\b|\bpci[- ]dss\b", 4), (r"\bsoc ?2\b", 4), (r"\brisk\b", 3), (r"\bexpos", 3),
        (r"\btelnet\b", 4), (r"\bsnmp\b|\bcommunity\b|\bpublic\b", 2.5), (r"\bpassword|\bcredential|\bsecret", 3.5),
        (r"\btype ?7\b|\bcleartext\b|\bplain ?text\b|\bencrypt", 3.5), (r"\baaa\b|\btacacs|\bradius\b", 3), (r"\bssh\b", 1.5),
        (r"\bcve\b|\bexploit|\battack|\bbreach|\bintrusion|\bmalicious|\bthreat", 4), (r"\bfirewall|\bacl\b|\baccess-class\b", 1.5),
        (r"\bauditor|\bassessment\b|\bpen ?test", 3), (r"\bunauthori[sz]ed\b|\bwho can log ?in\b|\blogin\b|\bbanner\b", 2),
        (r"\bhttp server\b|\bip http\b|\bmanagement plane\b|\bmgmt plane\b", 2.5), (r"\block(?:ed)? down\b|\bweak\b|\binsecure\b|\bsafe(?:ly)?\b|\bwide open\b", 3),
        (r"\bcves?\b|\badvisor(?:y|ies)\b|\bpsirt\b", 4), (r"\bmd5\b|\bauthenticat|\bunauthenticated\b|\bspoof", 3),
        (r"\bcdp\b|\blldp\b|\bleaks?\b|\bdisclos", 2.5), (r"\bfindings?\b|\bposture\b", 3.5), (r"\bcrypto\b|\bisakmp\b|\bpre-?shared\b|\bkeys?\b", 2.5),
        (r"\bexec-timeout\b|\bidle timeout\b|\bsession timeout\b", 3.5),
    ],
    Specialist.performance: [
        (r"\bperformance\b", 4), (r"\bbandwidth\b", 4), (r"\butili[sz]", 4), (r"\bcongest", 4), (r"\blatency\b|\bjitter\b|\bdelay\b", 3.5),
        (r"\bcapacity\b|\bheadroom\b|\bforecast\b|\bgrowth\b|\btrend", 4), (r"\bthroughput\b|\bmbps\b|\bgbps\b|\bline rate\b", 3.5),
        (r"\bsaturat|\bmaxed\b|\bfull\b|\bbusy\b|\bhot\b|\bpeak\b", 2.5), (r"\bslow\b|\bsluggish\b|\blag", 2.5), (r"\bdrops?\b|\bdiscards?\b", 2.5),
        (r"\btop talkers?\b|\bheavy hitters?\b|\bhogging\b", 4), (r"\btraffic\b|\bload\b|\busage\b", 2.5), (r"\bqueue|\bqos\b|\bshap", 1.5),
        (r"\bcpu\b|\bmemory\b", 1.5), (r"\bupgrade\b|\brunning out\b|\bhow much (?:room|more)\b|\bbottleneck", 3), (r"\b\d+ ?%|\bpercent", 1.5),
        (r"\bbusiest\b|\bmost loaded\b|\bhottest\b|\bloaded\b", 3.5), (r"\bhold up\b|\bkeep up\b|\bcope\b|\benough room\b", 3.5),
        (r"\bpipe\b|\blinks? (?:are|is) (?:running|getting)\b|\brates?\b|\bpps\b|\bsorted\b", 2.5), (r"\b(?:10|40|100|1)g\b", 1),
    ],
    Specialist.documentation: [
        (r"\brunbooks?\b|\bplaybooks?\b|\bsop\b", 5), (r"\bdocument", 4), (r"\bdocs?\b|\bwiki\b|\bkb\b", 3), (r"\bprocedure", 4),
        (r"\bhow[- ]to\b|\bsteps? (?:for|to|when)\b|\bwhat are the steps\b|\bchecklist\b", 3.5), (r"\bincident report|\bpost[- ]?mortem|\bpir\b", 5),
        (r"\bwrite (?:a|an)\b|\bdraft\b|\bsummar(?:y|ise|ize)\b|\breport\b", 3), (r"\bwrite[- ]?up\b|\bwrite (?:it|this|that) up\b|\bturn (?:these|this|my) notes\b", 6),
        (r"\b(?:exec(?:utive)?|management|one[- ]paragraph|brief|incident) summary\b", 5), (r"\bpost[- ]incident\b|\bincident review\b", 5),
        (r"\bback ?out\b|\broll ?back\b|\bbackout plan\b", 3), (r"\bthe steps\b|\bstep[- ]by[- ]step\b|\bnormally\b|\bstandard\b", 2.5), (r"\bchange record|\bchange request|\bcab\b|\bmop\b", 6),
        (r"\bescalat", 2.5), (r"\bwho (?:do|should) (?:i|we) (?:call|page|contact)\b|\bon-?call\b", 3.5), (r"\btimeline\b|\blessons learned\b", 4),
        (r"\bwhere (?:is|can i find)\b|\bis there a (?:guide|process)\b|\bguide\b|\bprocess\b", 3), (r"\bmanagement\b(?! plane)|\bexec(?:utive)?\b(?!-)|\bcio\b|\bstakeholder", 2.5),
        (r"\bsev ?[1-4]\b|\bseverity levels?\b", 2),
    ],
}

_COMPILED = {s: [(re.compile(p), w) for p, w in pats] for s, pats in KEYWORDS.items()}

# Ties go to the specialist a NOC engineer would want first.
_TIE_ORDER = [Specialist.diagnosis, Specialist.performance, Specialist.security, Specialist.config, Specialist.documentation]

# Role and site words that narrow the device search when no device is named.
_HINTS: list[tuple[str, str, set[str]]] = [
    (r"\bbranch\b", "branch", {"branch-router"}),
    (r"\bcore\b", "core", {"core"}),
    (r"\bdistribution\b|\bdist\b", "distribution", {"distribution"}),
    (r"\baccess (?:switch|layer|port)", "access", {"access"}),
    (r"\bdata ?cent(?:er|re)\b|\bdc\b|\bleaf\b", "dc", {"dc-switch"}),
    (r"\binternet\b|\bisp\b|\bedge\b|\btransit\b|\bupstream\b", "edge", {"wan-edge"}),
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


def score(question: str) -> dict[Specialist, float]:
    text = _cut(question).lower()
    return {s: sum(w for rx, w in pats if rx.search(text)) for s, pats in _COMPILED.items()}


def extract_devices(question: str, inventory: Inventory) -> tuple[list[str], list[str]]:
    """(known device names mentioned, device-like names that are not in the inventory)."""
    text = _cut(question).lower()
    by_lower = {name.lower(): name for name in inventory.names}
    known: list[str] = []
    for lower, name in by_lower.items():
        if re.search(rf"(?<![\w-]){re.escape(lower)}(?![\w-])", text):
            known.append(name)
    unknown = [m for m in dict.fromkeys(_DEVICE_LIKE.findall(text)) if m not in by_lower and not _is_interface(m)]
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


def route(question: str, inventory: Inventory) -> RouteDecision:
    question = _cut(question)
    scores = score(question)
    ranked = sorted(_TIE_ORDER, key=lambda s: (-scores[s], _TIE_ORDER.index(s)))
    primary = ranked[0]
    top = scores[primary]
    second = scores[ranked[1]]
    specialists = [primary] + [
        s for s in ranked[1:] if scores[s] >= max(SECONDARY_MIN, SECONDARY_SHARE * top)
    ]
    known, unknown = extract_devices(question, inventory)
    _, hints = hinted_devices(question, inventory)
    return RouteDecision(
        primary=primary,
        specialists=specialists,
        devices=known,
        unknown_devices=unknown,
        scores={s.value: round(v, 2) for s, v in scores.items()},
        margin=round(top - second, 2),
        hints=hints,
    )
