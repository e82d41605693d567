"""Junos configuration in `set` form, from either form a device or an archive gives us.

Why: hier_config reads Junos as flat `set` lines (its Junos driver converts brace text itself,
but by counting four-space indents, so a config with other indentation, comments, `inactive:`
statements or one stray brace ends up with wrong paths and no word about it). Rules are simpler
in set form too: every statement is one line with its full path (`set system services telnet`).

Written here (no library converts brace text to set form offline; PyEZ asks a device): the brace
form is read by its braces and semicolons, not its indentation, which is how Junos itself
reads it. What the conversion does:

- `inactive:` statements (and `deactivate ...` lines in set form) are left out: they are in the
  configuration but not in effect, and an audit judges what is in effect;
- `apply-groups` at the top level are expanded (`set groups G system services telnet` with
  `set apply-groups G` also yields `set system services telnet`, as `show configuration |
  display inheritance` would), except wildcard paths (`<*>`), which would need the whole tree;
- comments (`#`, `/* */`, `## SECRET-DATA`) and `protect:`/`replace:` markers are dropped;
- a line it cannot place (a closing brace with nothing open, text outside any statement) is
  returned in `unplaced` instead of being guessed at. A closing brace is matched to the open
  block at its own indentation, so one stray brace (NAPALM's Junos sample has one) is named and
  does not move every later statement out of its block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ANNOTATION = re.compile(r"^(?:protect|replace|unprotect):\s*")
_INACTIVE = re.compile(r"^inactive:\s*")
_TRAILING_COMMENT = re.compile(r"\s*##.*$|\s*/\*.*?\*/\s*$")
_APPLY_GROUPS = re.compile(r"^set apply-groups (?:\[ (.+) \]|(\S+))$")


@dataclass(frozen=True)
class SetForm:
    """The configuration as `set` lines, what was left out as inactive, and what could not be placed."""

    lines: tuple[str, ...]
    inactive: tuple[str, ...]
    unplaced: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def to_set_form(text: str) -> SetForm:
    """Brace form, `display set` form or a mix of both, as de-duplicated `set` lines in order."""
    lines: list[str] = []
    inactive: list[str] = []
    unplaced: list[str] = []
    deactivated: list[str] = []
    path: list[tuple[str, bool, int]] = []  # (statement, inactive, indentation) per open brace
    in_comment = False
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if in_comment:
            in_comment = "*/" not in line
            continue
        if line.startswith("/*"):
            in_comment = "*/" not in line
            continue
        if not line or line.startswith(("#", "!")):
            continue
        if not path and line.startswith(("set ", "deactivate ", "delete ")):
            verb, _, rest = line.partition(" ")
            if verb == "set":
                lines.append("set " + _clean(rest))
            elif verb == "deactivate":
                deactivated.append(_clean(rest))
            continue
        line = _TRAILING_COMMENT.sub("", line)
        indent = len(raw) - len(raw.lstrip())
        if line == "}":
            if not _close(path, indent):
                unplaced.append(raw.strip())
            continue
        off = bool(_INACTIVE.match(line)) or any(flag for _, flag, _ in path)
        statement = _ANNOTATION.sub("", _INACTIVE.sub("", line))
        if statement.endswith("{"):
            path.append((statement[:-1].strip(), off, indent))
        elif statement.endswith(";"):
            full = "set " + " ".join([*(p for p, _, _ in path), _clean(statement[:-1])])
            (inactive if off else lines).append(full)
        else:
            unplaced.append(raw.strip())
    active = [line for line in lines if not any(_under(line, "set " + d) for d in deactivated)]
    inactive += [line for line in lines if line not in active]
    return SetForm(lines=tuple(_dedupe(_expand_groups(active))), inactive=tuple(inactive), unplaced=tuple(unplaced))


def _close(path: list[tuple[str, bool, int]], indent: int) -> bool:
    """Close the block a `}` at `indent` belongs to; False for a brace that closes nothing.

    Junos writes a block's closing brace at the indentation of its opening line. A brace at an
    indentation no open block has is a stray; when the indentation says nothing (every block at
    the same depth, e.g. a flattened text), the innermost block is closed.
    """
    if not path:
        return False
    indents = [i for _, _, i in path]
    if indent not in indents:
        if len(set(indents)) == len(indents) and indents == sorted(indents):
            return False
        path.pop()
        return True
    while path and path[-1][2] != indent:
        path.pop()  # blocks whose own closing brace is missing
    path.pop()
    return True


def _clean(statement: str) -> str:
    return " ".join(statement.split())


def _under(line: str, prefix: str) -> bool:
    return line == prefix or line.startswith(prefix + " ")


def _expand_groups(lines: list[str]) -> list[str]:
    """Top-level `apply-groups` applied: each group's non-wildcard lines also without the prefix."""
    groups: list[str] = []
    for line in lines:
        if (m := _APPLY_GROUPS.match(line)) is not None:
            groups += (m.group(1) or m.group(2)).split()
    out = list(lines)
    for group in groups:
        prefix = f"set groups {group} "
        out += ["set " + line[len(prefix):] for line in lines if line.startswith(prefix) and "<" not in line]
    return out


def _dedupe(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
