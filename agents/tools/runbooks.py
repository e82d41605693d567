"""Find the shipped runbook(s) that fit a question or an incident.

Why this exists: the documentation specialist and the incident report both want to point an
engineer at "the runbook for this", and the runbooks under `agents/runbooks/*.md` are the
network's own procedures. A question like "ospf stuck exstart mtu" must land on the OSPF MTU
runbook without a round trip to an LLM, offline, in a millisecond, and the same way every time.

Why a hand-written BM25 instead of a search library: the corpus is 11 markdown files of about
500 words each. At that size an inverted index, a vector store or a new dependency buys nothing;
Okapi BM25 in ~40 lines of plain Python ranks the whole corpus in well under a millisecond, is
deterministic and is easy to reason about when a ranking looks wrong. What matters more than
the ranking function at this size is the text preparation, so the tokenizer keeps NOC tokens
(`exstart`, `mtu`, `65001`, `crc`, `qos`), the title and `Applies to:` line count three times
(they say what the runbook is *for*; the body mentions many things in passing), and a handful of
NOC synonyms are expanded in the query only (`slow` -> congestion/latency, `isp` -> internet).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, Field

__all__ = [
    "DEFAULT_MIN_SCORE",
    "Runbook",
    "RunbookHit",
    "load_runbooks",
    "search_runbooks",
    "site_runbooks",
    "tokenize",
]

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the `agents` package
DEFAULT_DIR = PACKAGE_DIR / "runbooks"  # generic: no device names, for any network
LAB_DIR = PACKAGE_DIR / "lab" / "data" / "runbooks"  # the embedded lab's own, naming its devices (the lab's site runbooks)

# BM25 parameters: the textbook Okapi values; the documents are of similar length, so b matters little.
K1 = 1.5
B = 0.75
# Weight of the title and `Applies to:` line relative to body text.
HEADER_WEIGHT = 3
# Below this a hit is noise: one common word such as "router" or "lab" matching in passing.
# A single distinctive term that the runbook is about ("telnet", "rollback") scores well above it.
DEFAULT_MIN_SCORE = 2.25
EXCERPT_MAX_CHARS = 300

_STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself nor not now of on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t d ll m re ve
    im ive dont doesnt isnt cant get got getting please hi hello hey us let lets need want know
    """.split()
)
# "down", "no" and "off" carry meaning here ("bgp peer down", "no qos"), so they are not stop words.

# Query-side synonym expansion: NOC shorthand -> the words the runbooks use. The original
# token is kept, so a runbook that uses the shorthand itself still matches it.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "slow": ("congestion", "latency"),
    "neighbour": ("neighbor",),
    "adjacency": ("neighbor",),
    "crc": ("error",),
    "telnet": ("hardening", "ssh"),
    "cpu": ("processe",),  # already normalised: "processes" -> "processe"
    "isp": ("internet",),
    "rollback": ("roll", "back"),
    "responding": ("unreachable",),  # "not responding": "not" is a stop word, the intent survives
    "unresponsive": ("unreachable",),
}

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_HEADING_RE = re.compile(r"^##[ \t]+(.+?)[ \t]*$", re.MULTILINE)


class Runbook(BaseModel):
    """One parsed runbook file."""

    slug: str
    title: str
    applies_to: str
    path: str  # relative to the `agents` package, e.g. "runbooks/bgp-session-down.md"
    sections: dict[str, str] = Field(default_factory=dict)  # "Symptoms" -> text under `## Symptoms`
    text: str


class RunbookHit(BaseModel):
    """One search result: enough to link the runbook and show why it matched."""

    slug: str
    title: str
    path: str
    score: float
    excerpt: str


def _normalise(token: str) -> str:
    """Strip a plural `s` so "drops"/"drop" and "errors"/"error" meet; short tokens are left
    alone because they are acronyms (`qos`, `ios`, `eos`, `dns`)."""
    if len(token) <= 3 or token.isdigit():
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith(("ss", "us", "is")):
        return token
    if token.endswith("s"):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Lower-case, split on anything that is not a letter or digit, drop stop words, normalise.

    `wan-edge-qos` -> [wan, edge, qos]; `EXSTART` -> [exstart]; `AS 65001` -> [65001].
    """
    out: list[str] = []
    for raw in _TOKEN_RE.findall(text.lower()):
        if raw in _STOP_WORDS:
            continue
        out.append(_normalise(raw))
    return out


def _query_terms(query: str) -> list[str]:
    """Query tokens with NOC synonyms expanded; duplicates kept out so one word counts once."""
    terms: list[str] = []
    for tok in tokenize(query):
        for term in (tok, *_SYNONYMS.get(tok, ())):
            if term not in terms:
                terms.append(term)
    return terms


def _relative_path(file: Path) -> str:
    """Path shown in links: relative to the `agents` package when the file lives in it."""
    try:
        return file.resolve().relative_to(PACKAGE_DIR).as_posix()
    except ValueError:
        return f"{file.parent.name}/{file.name}"


def parse_runbook(markdown: str, path: str, slug: str) -> Runbook:
    """Split one runbook into title, `Applies to:` line and `## ` sections."""
    title = slug
    applies_to = ""
    for line in markdown.splitlines():
        if line.startswith("# ") and title == slug:
            title = line[2:].strip()
        elif line.lower().startswith("applies to:") and not applies_to:
            applies_to = line.split(":", 1)[1].strip()
    sections: dict[str, str] = {}
    matches = list(_HEADING_RE.finditer(markdown))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(markdown)
        sections[m.group(1)] = markdown[m.end() : end].strip("\n")
    return Runbook(slug=slug, title=title, applies_to=applies_to, path=path, sections=sections, text=markdown)


@functools.lru_cache(maxsize=8)
def _load_cached(directory: Path) -> tuple[Runbook, ...]:
    """Read and parse every `*.md` once per directory; the files ship with the package."""
    books = []
    for file in sorted(directory.glob("*.md")):
        books.append(parse_runbook(file.read_text(encoding="utf-8"), _relative_path(file), file.stem))
    return tuple(books)


def load_runbooks(directory: Path | None = None) -> list[Runbook]:
    """All runbooks in `directory` (default: `agents/runbooks`), sorted by file name, cached.

    A fresh list is returned each time so a caller can filter it without touching the cache.
    """
    return list(_load_cached((directory or DEFAULT_DIR).resolve()))


def site_runbooks(site: Path | None) -> list[Runbook]:
    """The shipped generic runbooks, with a site's own in their place (same file name) and its
    other runbooks added: a site writes procedures for its own devices without forking ours."""
    books = {b.slug: b for b in load_runbooks()}
    if site is not None and site.is_dir():
        books.update({b.slug: b for b in load_runbooks(site)})
    return [books[slug] for slug in sorted(books)]


def _doc_tokens(book: Runbook) -> list[str]:
    """Body tokens plus the title and `Applies to:` tokens counted HEADER_WEIGHT times in all."""
    body = "\n".join(
        line
        for line in book.text.splitlines()
        if not line.startswith("# ") and not line.lower().startswith("applies to:")
    )
    header = tokenize(f"{book.title}\n{book.applies_to}")
    return tokenize(body) + header * HEADER_WEIGHT


class _Index:
    """Term frequencies, lengths and document frequencies for BM25 over a fixed set of runbooks."""

    def __init__(self, books: tuple[Runbook, ...]) -> None:
        self.books = books
        docs = [_doc_tokens(b) for b in books]
        self.tf = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg_len = (sum(self.lengths) / len(docs)) if docs else 0.0
        self.df: Counter[str] = Counter()
        for counts in self.tf:
            self.df.update(counts.keys())

    def idf(self, term: str) -> float:
        """BM25+ style idf, never negative, so a term in most documents adds little but not less than 0."""
        n, df = len(self.books), self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def score(self, terms: list[str], i: int) -> float:
        """Okapi BM25 of document `i` for the query terms."""
        counts, length = self.tf[i], self.lengths[i]
        norm = K1 * (1.0 - B + B * length / self.avg_len) if self.avg_len else K1
        total = 0.0
        for term in terms:
            f = counts.get(term, 0)
            if f:
                total += self.idf(term) * f * (K1 + 1.0) / (f + norm)
        return total


_INDEX_CACHE: dict[tuple[tuple[str, str, str, str], ...], _Index] = {}


def _index(books: tuple[Runbook, ...]) -> _Index:
    """The index for these runbooks, built once per distinct content (models are not hashable)."""
    key = tuple((b.slug, b.title, b.applies_to, b.text) for b in books)
    index = _INDEX_CACHE.get(key)
    if index is None:
        if len(_INDEX_CACHE) >= 8:
            _INDEX_CACHE.clear()
        index = _INDEX_CACHE[key] = _Index(books)
    return index


def _paragraphs(book: Runbook) -> list[str]:
    """Candidate excerpt units: list items and prose paragraphs outside code fences."""
    units: list[str] = []
    for heading, body in book.sections.items():
        if heading.lower() == "escalation":
            continue
        current: list[str] = []
        in_fence = False
        for line in body.splitlines():
            stripped = line.strip()
            if stripped.startswith("```"):
                in_fence = not in_fence
                if current:
                    units.append(" ".join(current))
                    current = []
                continue
            if in_fence or stripped.startswith("|"):
                continue
            starts_item = bool(re.match(r"^(?:[-*]|\d+\.)\s", stripped))
            if not stripped or starts_item:
                if current:
                    units.append(" ".join(current))
                current = []
            if stripped:
                current.append(re.sub(r"^(?:[-*]|\d+\.)\s+", "", stripped))
        if current:
            units.append(" ".join(current))
    return units


def _shorten(text: str, limit: int = EXCERPT_MAX_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    if cut.count("`") % 2:  # do not leave a code span open
        cut = cut[: cut.rfind("`")].rstrip()
    return cut + "…"


def _excerpt(book: Runbook, terms: list[str], index: _Index) -> str:
    """The first 1-3 Symptoms lines, unless one paragraph matches the query clearly better.

    Symptoms are what an engineer compares against what they see, so they are the default; a
    paragraph wins only when it covers more of the query's distinctive terms (by idf) than the
    symptom lines do, e.g. "how do I roll back" lands on the rollback step itself.
    """
    term_set = set(terms)

    def weight(text: str) -> float:
        return sum(index.idf(t) for t in set(tokenize(text)) & term_set)

    symptoms = next((v for k, v in book.sections.items() if k.lower() == "symptoms"), "")
    lines = [re.sub(r"^[-*]\s+", "", ln.strip()) for ln in symptoms.splitlines() if ln.strip()]
    default = " ".join(lines[:3]) if lines else ""
    best, best_weight = default, weight(default) if default else -1.0
    for para in _paragraphs(book):
        w = weight(para)
        if w > best_weight * 1.5 and w > best_weight + 1.0:
            best, best_weight = para, w
    return _shorten(best or book.title)


def search_runbooks(
    query: str,
    runbooks: list[Runbook] | None = None,
    limit: int = 3,
    min_score: float = DEFAULT_MIN_SCORE,
) -> list[RunbookHit]:
    """Best-matching runbooks for `query`, highest BM25 score first, at most `limit`.

    Hits scoring below `min_score` are dropped, so an unrelated question returns `[]` rather
    than three random runbooks; ties break on the slug so the order is stable.
    """
    books = tuple(runbooks) if runbooks is not None else tuple(load_runbooks())
    terms = _query_terms(query)
    if not books or not terms or limit <= 0:
        return []
    index = _index(books)
    scored = [(index.score(terms, i), book) for i, book in enumerate(books)]
    scored = [(s, b) for s, b in scored if s >= min_score and s > 0.0]
    scored.sort(key=lambda sb: (-sb[0], sb[1].slug))
    return [
        RunbookHit(
            slug=b.slug,
            title=b.title,
            path=b.path,
            score=round(s, 3),
            excerpt=_excerpt(b, terms, index),
        )
        for s, b in scored[:limit]
    ]
