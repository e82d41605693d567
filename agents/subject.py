"""What a question is about, and whether a finding is about that.

Why: an engineer asking "which BGP sessions are down on X and Y?" wants the down sessions first;
a failed power supply found on the way is worth saying, but as "also found", never as the root
cause of a BGP question. The subject decides what an answer leads with (diagnosis' root cause,
the synthesised lead); everything else stays in the answer, after it.

Plain regular expressions over the question, per subject: the subjects are few and their
vocabulary is small and stable, and the result must be the same offline and with Claude.
"""

from __future__ import annotations

import re

# Subject -> the words that name it in a question (and in a finding's text).
_WORDS: dict[str, str] = {
    "bgp": r"\bbgp\b|\bebgp\b|\bibgp\b|\bpeering\b|\btransit\b|\bisp-?[a-z0-9]*\b|\bremote-?as\b",
    "ospf": r"\bospf\b|\bexstart\b|\badjacenc(y|ies)\b|\bneighbou?rs?\b.*\bfull\b",
    "logs": r"\blogs?\b|\bsyslog\b|\bmessages log\b",  # "what happened" alone asks for the cause, not the log
    "hardware": r"\bpower\b|\bpsu\b|\bfans?\b|\btemperature|\boverheat|\bhardware\b|\benvironment\b|\bthermal\b|\bline ?cards?\b",
    "cpu": r"\bcpu\b|\bmemory\b|\bcontrol plane\b|\boverloaded\b|\bprocess(es)?\b",
    "interface": r"\binterfaces?\b|\buplinks?\b|\bcrc\b|\binput errors?\b|\bflap|\bbouncing\b|\boptic|\bsfp\b|\bport is\b",
    "security": r"\blogin|\bauthenticat|\blogged (in|into|on)\b|\btelnet\b|\bbrute\b|\battack|\bsnmp\b|\bsecurity\b|\bcompromis|\bsuspicious\b",
    "congestion": r"\bslow\b|\bcongest|\butili[sz]|\bdrops\b|\bbandwidth\b|\bcircuit\b|\bchoppy\b|\blatency\b|\bjitter\b|\bdelay\b|\brtt\b|\bround.?trip",
}
_COMPILED = {name: re.compile(words, re.IGNORECASE) for name, words in _WORDS.items()}
# An interface's name locates a question ("put the policy back on Gi0/0/0") without making it a
# question about the interface; in an answer's text it does show the answer is about one.
_INTERFACE_NAME = re.compile(r"\b(gi|te|eth?|xe|ge|et)-?\d+/\d|\b[a-z]*ethernet ?\d|\bport-channel ?\d|\bmgmteth", re.IGNORECASE)

# A diagnosed cause's kind -> its subject (kinds not listed are matched on their text).
_KIND_SUBJECT = {
    "bgp_as_mismatch": "bgp", "bgp_down": "bgp", "mtu_mismatch": "ospf", "ospf_stuck": "ospf",
    "interface_errors": "interface", "interface_down": "interface", "link_flaps": "interface",
    "cpu_high": "cpu", "memory_high": "cpu", "psu_failed": "hardware", "fan_failed": "hardware", "temperature": "hardware",
    "congestion": "congestion", "latency_degraded": "congestion", "login_after_failures": "security", "login_failures": "security", "login_unexpected_source": "security",
}

LABELS = {"bgp": "BGP", "ospf": "OSPF", "logs": "log", "hardware": "hardware", "cpu": "CPU or memory",
          "interface": "interface", "security": "security", "congestion": "congestion"}


def subjects_of(question: str) -> frozenset[str]:
    """The subjects a question names (empty: a general question, e.g. "what's wrong with X?")."""
    return frozenset(name for name, rx in _COMPILED.items() if rx.search(question))


def about(subjects: frozenset[str], kind: str | None, text: str) -> bool:
    """Whether a cause or finding (its kind, else its text) is about one of `subjects`."""
    if not subjects or kind == "unreachable":  # a device that does not answer answers nothing about itself: that comes first
        return True
    if kind in _KIND_SUBJECT:
        subject = _KIND_SUBJECT[kind]
        # An adjacency flap is BGP or OSPF by its text; a flapping uplink also answers an OSPF question poorly.
        return subject in subjects or (subject == "interface" and "logs" in subjects)
    return (any(_COMPILED[s].search(text) for s in subjects) or ("logs" in subjects and text.startswith("Log of "))
            or ("interface" in subjects and _INTERFACE_NAME.search(text) is not None))
