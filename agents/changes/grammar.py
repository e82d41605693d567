"""The grammar a candidate must fit: the lines the templates can produce, per change kind and OS.

Why a grammar and not trust: lines drafted by Claude (or typed into a file for `noc change
propose`) are free text until proven otherwise. They are parsed into a tree (hier_config must
read it as written), every line must fit one allowed kind's shapes at its nesting depth, and no
secret may appear. One line outside the grammar refuses the whole candidate, naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import yaml

from agents.specialists.config_templates import structure_problems
from agents.tools.redact import contains_secret

_GRAMMAR_FILE = Path(__file__).with_name("grammar.yaml")


# Platforms whose lines nest by indentation (checked with hier_config as written); Junos
# candidates are flat `set` lines, each a full path at depth 0.
_INDENTED = ("ios", "eos", "nxos", "iosxr")


@cache
def _raw() -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = yaml.safe_load(_GRAMMAR_FILE.read_text())
    return data


@cache
def _grammar() -> dict[str, dict[str, dict[int, tuple[re.Pattern[str], ...]]]]:
    return {kind: {os: {int(depth): tuple(re.compile(p) for p in patterns)
                        for depth, patterns in levels.items()}  # type: ignore[attr-defined]
                   for os, levels in by_os.items()}
            for kind, by_os in _raw().items() if kind != "not_supported"}


def not_supported(kind: str, os: str) -> str | None:
    """Why `os` has no `kind` change at all (the grammar file says), or None."""
    reason = _raw().get("not_supported", {}).get(kind, {})
    return str(reason[os]) if isinstance(reason, dict) and os in reason else None


def grammar_kinds() -> dict[str, list[str]]:
    """Change kind -> the OSes it has a grammar for (the closing note's table comes from this)."""
    return {kind: sorted(by_os) for kind, by_os in _grammar().items()}


def depths(lines: Iterable[str]) -> list[tuple[int, str]]:
    """(nesting depth, text) per line, whatever the indentation width."""
    out: list[tuple[int, str]] = []
    stack: list[int] = []
    for line in lines:
        if not line.strip() or line.strip() == "!":
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and stack[-1] >= indent:
            stack.pop()
        out.append((len(stack), line.strip()))
        stack.append(indent)
    return out


def _fits(kind: str, os: str, depth: int, text: str) -> bool:
    patterns = _grammar().get(kind, {}).get(os, {}).get(depth, ())
    return any(p.fullmatch(text) for p in patterns)


def check_lines(lines: list[str], os: str, allowed: Iterable[str]) -> tuple[str | None, list[str]]:
    """The one allowed kind every line fits, and the problems (empty when the candidate is sound)."""
    allowed = list(allowed)
    missing = {k: f"there is no {k} change on {os}: {reason}" for k in allowed if (reason := not_supported(k, os))}
    allowed = [k for k in allowed if os in _grammar().get(k, {})]
    parsed = depths(lines)
    if not parsed:
        return None, ["the candidate has no configuration lines"]
    if os in _INDENTED:
        problems = structure_problems(lines, os)
    elif os == "junos":
        problems = [f"Junos candidates are `set` lines, one statement each: {t!r}" for d, t in parsed
                    if d or not t.startswith("set ")][:5]
    else:
        problems = [f"no grammar for OS {os!r}"]
    if contains_secret("\n".join(lines)):
        problems.append("the candidate carries a secret value: keys come from the vault, never from a proposal")
    fitting = [k for k in allowed if all(_fits(k, os, d, t) for d, t in parsed)]
    if fitting:
        return fitting[0], problems
    if not allowed:
        return None, [*problems, f"no allowed change kind has a grammar for {os}"]
    best = max(allowed, key=lambda k: sum(_fits(k, os, d, t) for d, t in parsed))
    outside = [t for d, t in parsed if not _fits(best, os, d, t)]
    # A line that is a kind's line on another platform, where this one has no such kind at all
    # (`switchport mode access` on IOS-XR): say why.
    why_not = [reason for k, reason in missing.items()
               if any(_fits(k, other, d, t) for other in _grammar()[k] for d, t in parsed if t in outside)]
    return None, [*problems, *(f"line outside the {best} grammar: {t!r}" for t in outside[:5]), *why_not]
