"""Concept and how-to answers without a language model, from the shipped knowledge base.

Why: "what does EXSTART mean?", "how does BGP pick a path?" or "how do I use /noc-audit?" are
among the commonest NOC questions, and when Claude is down or not configured the documentation
specialist used to answer them with a runbook link at best. The knowledge base (agents/knowledge,
one short markdown note per topic, written for this network) gives a real answer offline.

The notes have the runbooks' shape (title, `Applies to:` line, `## ` sections), so the runbook
search (BM25, agents/tools/runbooks.py) ranks them too: one ranking to reason about. An answer is
the best note's "In short" section, its "In our network" section as a finding, the commands of
"Check it" as a recommendation, and the runbooks that match the question; every one is cited by
path. When no note matches well the answer says so, and says that Claude would answer better.

A configuration how-to ("how do I configure OSPF?", "how do I set up BGP route filtering?")
leads with the note's "Configure it" section instead: the commands per platform (IOS-XE, EOS,
Junos, IOS-XR, NX-OS), cut to the platforms the network has when the caller names them (issue 25:
a how-to, not a validation of every config). The note's "Check it" commands still follow.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from pydantic import BaseModel, Field

from agents.tools.runbooks import Runbook, RunbookHit, load_runbooks, search_runbooks, site_runbooks, tokenize

KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
# BM25 score over the notes (title and `Applies to:` count three times) below which the best note
# only shares a common word with the question. A note that clears it is "strong" when it also
# contains most of the question's words (STRONG_COVERAGE): BM25 alone rewards one rare word, so
# "rolling back a bad change" would match the bot's note on "rolls back". Set by reading the
# scores for questions the notes should and should not answer (tests/unit/test_howto.py keeps both).
MIN_NOTE_SCORE = 3.0
STRONG_COVERAGE = 0.6
# Words that say what kind of question it is, not what it is about: not counted for coverage.
_QUESTION_WORDS = frozenset("work mean difference differ explain versu vs use used purpose tell simple term plain english general "
                            "actually usually thing way really exactly".split())
CLAUDE_HINT = "Claude (llm.provider, when configured and reachable) would answer this better"
_COMMAND = re.compile(r"`([^`\n]{2,160})`")
# A request for configuration steps, not an explanation: "how do I configure X", "steps to set up X".
_HOW = re.compile(r"\bhow (?:do|can|should|would) (?:i|we|you|one)\b|\bhow to\b|\bsteps? to\b|\bway to\b", re.I)
_SET_UP = re.compile(r"\bconfigur|\bset ?up\b|\benabl|\bturn on\b|\bdeploy|\bfilter", re.I)
# One platform's line of a "Configure it" section: `- IOS-XE (ios): `cmd`, `cmd``.
_PLATFORM_LINE = re.compile(r"^- ([^()\n]+?) \((\w+)\):(.*)$", re.M)


class PlatformSteps(BaseModel):
    """The configuration commands of one platform, as a note's "Configure it" section gives them."""

    os: str  # the inventory's os key: ios, eos, junos, iosxr, nxos
    label: str  # what people call it: IOS-XE, EOS, ...
    commands: list[str]


class HowToAnswer(BaseModel):
    """What the knowledge base says about one question."""

    answer: str | None = None  # the best note's short answer, None when no note fits
    note: RunbookHit | None = None
    in_our_network: str | None = None
    commands: list[str] = Field(default_factory=list)
    runbooks: list[RunbookHit] = Field(default_factory=list)
    strong: bool = False  # the note is about the question's subject, not only near it
    claude_would_help: bool = True
    hint: str | None = None
    configure: list[PlatformSteps] = Field(default_factory=list)  # a configuration how-to: the steps per platform


def load_notes(directory: Path | None = None) -> list[Runbook]:
    """The knowledge base notes (cached by the runbook loader)."""
    return load_runbooks(directory or KNOWLEDGE_DIR)


# A device-like name in a note (letters, a hyphen, ending in digits: core-sw-01, edge-rtr-01).
_DEVICE_NAME = re.compile(r"(?<![\w-])[a-z][a-z0-9]*(?:-[a-z0-9]+)*-[a-z]*\d+(?![\w-])")


def strangers(text: str, known: Collection[str] | None) -> list[str]:
    """Device-like names in `text` that the inventory does not have (none when `known` is None):
    a note's "in our network" written for another network must not be cited as this one's."""
    if known is None:
        return []
    return sorted({n for n in _DEVICE_NAME.findall(text) if n not in known})


def asks_how_to_configure(question: str) -> bool:
    """Does the question ask how to configure something (rather than what it is)?"""
    return bool(_HOW.search(question) and _SET_UP.search(question))


def configure_steps(note: Runbook, platforms: Collection[str] | None = None) -> list[PlatformSteps]:
    """The note's "Configure it" commands per platform; only `platforms` (inventory os keys) when
    given and the note covers any of them, else every platform it covers."""
    steps = [PlatformSteps(os=m.group(2), label=m.group(1).strip(), commands=_COMMAND.findall(m.group(3)))
             for m in _PLATFORM_LINE.finditer(_section(note, "configure it"))]
    wanted = [s for s in steps if platforms is not None and s.os in platforms]
    return wanted or steps


def answer_howto(question: str, directory: Path | None = None, known: Collection[str] | None = None,
                 runbooks_dir: Path | None = None, platforms: Collection[str] | None = None) -> HowToAnswer:
    """The best note for a how-to question; `known` (the inventory's names) drops what names other
    devices; `platforms` (the inventory's os keys) narrows a configure answer to them."""
    notes = [n for n in load_notes(directory) if not strangers(_section(n, "in short") or n.title, known)]
    hits = search_runbooks(question, runbooks=notes, limit=1, min_score=MIN_NOTE_SCORE)
    runbooks = search_runbooks(question, runbooks=site_runbooks(runbooks_dir))
    if not hits:
        return HowToAnswer(runbooks=runbooks, hint=f"The knowledge base has no note on this. {CLAUDE_HINT}.")
    hit = hits[0]
    note = next(n for n in notes if n.slug == hit.slug)
    terms = set(tokenize(question)) - _QUESTION_WORDS
    strong = len(terms & set(tokenize(note.text))) >= STRONG_COVERAGE * len(terms)
    check = _section(note, "check it")
    short = _flat(_section(note, "in short") or hit.excerpt)
    steps = configure_steps(note, platforms) if asks_how_to_configure(question) else []
    if steps:
        intro = _flat(_section(note, "configure it").split("\n- ", 1)[0])
        short = (f"How to configure it ({note.title}): {intro} "
                 + " ".join(f"{s.label}: " + ", ".join(f"`{c}`" for c in s.commands) + "." for s in steps)
                 + f" Background: {short}")
    return HowToAnswer(
        answer=short, note=hit, configure=steps,
        in_our_network=None if strangers(_section(note, "in our network"), known) else (_flat(_section(note, "in our network")) or None),
        commands=_COMMAND.findall(check)[:6], runbooks=runbooks, strong=strong, claude_would_help=not strong,
        hint=None if strong else f"This is the closest note in the knowledge base, not an exact answer. {CLAUDE_HINT}.",
    )


def _section(note: Runbook, name: str) -> str:
    return next((text for heading, text in note.sections.items() if heading.lower() == name), "")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
