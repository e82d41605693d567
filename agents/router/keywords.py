"""Keyword scores: hand-written phrase patterns per specialist, and the sum of those that match.

These were the whole router until issue 15. Now they are features of the learned router (one
per specialist: the summed score, agents/router/features.py): they carry what a person knew
about NOC phrasing ("what do I paste", "top talkers") into questions whose words are rare in the
training data; the model learns how much to trust them. agents/routing.py keeps them as the
fallback route and the baseline in `noc eval-routing`.
"""

from __future__ import annotations

import re

from agents.models import MAX_QUESTION_CHARS, Specialist

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



def score(question: str) -> dict[Specialist, float]:
    """Summed pattern weights per specialist over the first MAX_QUESTION_CHARS, lower-cased."""
    text = question[:MAX_QUESTION_CHARS].lower()
    return {s: sum(w for rx, w in pats if rx.search(text)) for s, pats in _COMPILED.items()}
