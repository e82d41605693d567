"""A Junos `set` merge on the brace text the lab's Junos router prints, for the stateful driver.

A `set` line names a full path; the statement goes into the deepest block of the running config
whose path it starts with (`set routing-options static route 10.0.0.0/8 next-hop 192.0.2.1`
lands in `routing-options { static { ... } }` as `route 10.0.0.0/8 next-hop 192.0.2.1;`), a
hierarchy the config lacks is opened at the top level, and a statement its block already has
changes nothing. The difference is
shown as Junos' `show | compare` does: `[edit path]` then `+` lines. Written here because a
Junos merge on text is what the lab needs, and no library does it offline.
"""

from __future__ import annotations

from dataclasses import dataclass

_STEP = 4  # Junos indents each level by four spaces


@dataclass(frozen=True)
class _Block:
    path: tuple[str, ...]
    close: int  # index of its closing brace
    indent: int


def _blocks(lines: list[str]) -> list[_Block]:
    """Every `name {` block with its full path and the line of its closing brace."""
    out: list[_Block] = []
    stack: list[tuple[str, int, int]] = []  # (statement, indent, open line)
    for k, raw in enumerate(lines):
        text = raw.strip()
        if text.endswith("{"):
            stack.append((text[:-1].strip(), len(raw) - len(raw.lstrip()), k))
        elif text == "}" and stack:
            statement, indent, _ = stack[-1]
            out.append(_Block(tuple(s for s, _, _ in stack), k, indent))
            stack.pop()
    return out


def merge_set_lines(running: str, candidate: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """`running` with the candidate's `set` lines merged in, and what was added as (edit path, statement)."""
    lines = running.split("\n")
    added: list[tuple[str, str]] = []
    for line in candidate:
        line = " ".join(line.split())
        if not line.startswith("set "):
            continue
        words = line[4:]
        blocks = [b for b in _blocks(lines) if words.startswith(" ".join(b.path) + " ")]
        if blocks:
            block = max(blocks, key=lambda b: len(b.path))
            rest = words[len(" ".join(block.path)) + 1:]
            if _has(lines, block, rest):
                continue
            lines.insert(block.close, " " * (block.indent + _STEP) + rest + ";")
            added.append((" ".join(block.path), rest))
        else:
            top, _, rest = words.partition(" ")
            lines[len(lines):] = [top + " {", " " * _STEP + rest + ";", "}"]
            added.append((top, rest))
    return "\n".join(lines), added


def _has(lines: list[str], block: _Block, statement: str) -> bool:
    """Whether the block holds `statement;` directly (not inside one of its own blocks)."""
    depth = 0
    for k in range(block.close - 1, -1, -1):
        text = lines[k].strip()
        if text == "}":
            depth += 1
        elif text.endswith("{"):
            if depth == 0:
                return False  # reached the block's own opening line
            depth -= 1
        elif depth == 0 and " ".join(text.rstrip(";").split()) == statement:
            return True
    return False


def compare(added: list[tuple[str, str]]) -> str:
    """Junos `show | compare` style: each edit path once, its added statements under it."""
    out: list[str] = []
    last = None
    for path, statement in added:
        if path != last:
            out.append(f"[edit {path}]")
            last = path
        out.append(f"+    {statement};")
    return "\n".join(out)
