"""The audit's line matching: hier_config's match rules, compiled once and looked up once per audit.

Why not `HConfig.get_children_deep`: an audit follows about 150 match paths over one tree, most of
them across the top level (hundreds of lines), and hier_config re-tests every child against every
field of the rule (isinstance checks, then `re.search` finding its compiled pattern again) on each
call; that was most of `noc audit --all` and of `noc health` at 5,000 devices (issue 27). Here:

- a `LineMatch` becomes a predicate once (a compiled regex, its fields as plain values);
- a node's children are grouped by first word, so a match anchored on a literal start
  (`startswith`, `equals`, or a regex beginning `^word`) looks only at the lines that can match;
- the lines a (node, match) lookup found are kept for the rest of the audit, since rules share
  their `when`, `unless` and parent paths.

The answer is hier_config's: every child satisfying all the given criteria, in config order, path
step after path step (tests/unit/test_audit_match.py compares the two on every shipped rule and the
real-world configurations). Written here rather than taken from a library: hier_config has no
compiled or indexed form of its own lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from hier_config import HConfig, HConfigChild

from agents.tools.audit_schema import LineMatch

Node: TypeAlias = HConfig | HConfigChild

__all__ = ["Finder", "Predicate", "literal_prefixes", "predicate"]

# Below this many children a plain scan is as cheap as grouping them.
_INDEX_FROM = 12
_REGEX_META = set(".^$*+?{}[]\\|()")


@dataclass(frozen=True)
class Predicate:
    """One `LineMatch` as hier_config's `is_match` reads it: every field given must hold."""

    equals: str | frozenset[str] | None
    startswith: str | tuple[str, ...] | None
    endswith: str | tuple[str, ...] | None
    contains: str | tuple[str, ...] | None
    regex: re.Pattern[str] | None
    prefixes: tuple[str, ...] | None  # a matching line starts with one of these; None: could be anything

    def __call__(self, text: str) -> bool:
        equals = self.equals
        if equals is not None and (text != equals if isinstance(equals, str) else text not in equals):
            return False
        if self.startswith is not None and not text.startswith(self.startswith):
            return False
        if self.regex is not None and self.regex.search(text) is None:
            return False
        if self.endswith is not None and not text.endswith(self.endswith):
            return False
        contains = self.contains
        if contains is not None and (contains not in text if isinstance(contains, str) else not any(c in text for c in contains)):
            return False
        return True


def _plain(value: str | list[str] | None) -> str | tuple[str, ...] | None:
    return tuple(value) if isinstance(value, list) else value


def predicate(match: LineMatch) -> Predicate:
    """The compiled form of `match` (the same criteria as `LineMatch.to_match_rule`)."""
    equals: str | frozenset[str] | None = frozenset(match.equals) if isinstance(match.equals, list) else match.equals
    startswith = _plain(match.startswith)
    return Predicate(equals=equals, startswith=startswith, endswith=_plain(match.endswith),
                     contains=_plain(match.contains), regex=re.compile(match.re_search) if match.re_search is not None else None,
                     prefixes=literal_prefixes(equals, startswith, match.re_search))


def literal_prefixes(equals: str | frozenset[str] | None, startswith: str | tuple[str, ...] | None,
                     re_search: str | None) -> tuple[str, ...] | None:
    """Texts one of which every matching line starts with, or None when a line could start anyhow.

    A regex counts only when it begins with `^` and a run of literal characters; an alternation
    outside any group, or a quantifier on the run's last character, makes it say nothing (None)."""
    if equals is not None:
        return (equals,) if isinstance(equals, str) else tuple(equals)
    if startswith is not None:
        return (startswith,) if isinstance(startswith, str) else startswith
    if re_search is None or not re_search.startswith("^") or _alternates(re_search):
        return None
    run = ""
    for char in re_search[1:]:
        if char in _REGEX_META:
            if char in "?*{" and run:
                run = run[:-1]  # `^ab?`: the b is optional
            break
        run += char
    return (run,) if run else None


def _alternates(pattern: str) -> bool:
    """Whether `pattern` has a `|` outside every group and character class (`^a|b`, not `^a(b|c)`)."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":  # `[]...]`: a leading ] is a member, not the end
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        i += 1
    return False


def _first_word(text: str) -> str:
    return text.split(" ", 1)[0]


# Compiled matches by the identity of their LineMatch (kept with it, so an id reused by a new
# object is told apart); rules live as long as the process, custom rule files add a few more.
_PREDICATES: dict[int, tuple[LineMatch, Predicate]] = {}
_PREDICATES_MAX = 4096


class Finder:
    """Path lookups over one tree, for the length of one audit (results are kept by node identity,
    so a Finder must not outlive the tree it was used on)."""

    def __init__(self) -> None:
        self._found: dict[tuple[int, int], list[HConfigChild]] = {}
        self._groups: dict[int, dict[str, list[tuple[int, HConfigChild]]]] = {}

    @staticmethod
    def predicate(match: LineMatch) -> Predicate:
        held = _PREDICATES.get(id(match))
        if held is None or held[0] is not match:
            if len(_PREDICATES) >= _PREDICATES_MAX:
                _PREDICATES.clear()
            held = (match, predicate(match))
            _PREDICATES[id(match)] = held  # one dict store: safe across the threads audits run in
        return held[1]

    def find(self, node: Node, path: Sequence[LineMatch]) -> list[HConfigChild]:
        """The lines that `path` leads to from `node`, in config order (hier_config's get_children_deep)."""
        found = self.children(node, path[0])
        if len(path) == 1:
            return found
        return [deeper for child in found for deeper in self.find(child, path[1:])]

    def exists(self, node: Node, path: Sequence[LineMatch] | None) -> bool:
        if path is None:
            return False
        found = self.children(node, path[0])
        return bool(found) if len(path) == 1 else any(self.exists(child, path[1:]) for child in found)

    def children(self, node: Node, match: LineMatch) -> list[HConfigChild]:
        key = (id(node), id(match))
        found = self._found.get(key)
        if found is None:
            test = self.predicate(match)
            candidates = self._candidates(node, test.prefixes)
            if test.prefixes is not None:  # a C-level first cut (Junos lines all begin `set `, one group)
                candidates = [child for child in candidates if child.text.startswith(test.prefixes)]
            found = [child for child in candidates if test(child.text)]
            self._found[key] = found
        return found

    def _candidates(self, node: Node, prefixes: tuple[str, ...] | None) -> Iterable[HConfigChild]:
        children = node.children
        if prefixes is None or len(children) < _INDEX_FROM:
            return children
        groups = self._groups.get(id(node))
        if groups is None:
            groups = {}
            for index, child in enumerate(children):
                groups.setdefault(_first_word(child.text), []).append((index, child))
            self._groups[id(node)] = groups
        picked: list[tuple[int, HConfigChild]] = []
        for prefix in prefixes:
            word = _first_word(prefix)
            if " " in prefix:  # the line's first word is exactly this one
                picked.extend(groups.get(word, ()))
            else:  # the line's first word starts with it
                picked.extend(entry for key, members in groups.items() if key.startswith(word) for entry in members)
        picked.sort(key=lambda entry: entry[0])
        unique = [child for i, (index, child) in enumerate(picked) if i == 0 or picked[i - 1][0] != index]
        return unique
