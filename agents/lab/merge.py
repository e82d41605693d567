"""A configuration merge as IOS, EOS, NX-OS and IOS-XR do it, on text, for the lab's stateful driver.

Lines that exist stay where they are, new children go at the end of their section, new sections
before `end` (at the end for NX-OS, which prints none), and a `no ...` line removes what it
negates. Nesting is read at the device's own indentation width (NX-OS two spaces, EOS three).
Junos `set` lines are merged into its brace text by `junos_merge`. Working on the text (not on a
re-rendered hier_config tree) keeps the lab's running config byte-identical outside the change,
so banners, `!` separators and every other reader of the fixtures see the device they knew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class _Node:
    text: str
    children: list[_Node] = field(default_factory=list)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tree(lines: list[str]) -> list[_Node]:
    """Candidate lines as a tree; indentation of any width nests under the line above."""
    roots: list[_Node] = []
    stack: list[tuple[int, _Node]] = []
    for line in lines:
        if not line.strip() or line.strip() == "!":
            continue
        node, depth = _Node(line.strip()), _indent(line)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((depth, node))
    return roots


def _block_end(lines: list[str], start: int) -> int:
    """Index after the section that starts at `start` (its deeper-indented lines)."""
    depth = _indent(lines[start])
    end = start + 1
    while end < len(lines) and lines[end].strip() and _indent(lines[end]) > depth:  # an indented `!` is inside
        end += 1
    return end


@dataclass(frozen=True)
class _Style:
    width: int  # spaces per nesting level
    separator: str | None  # what follows a new top-level section ("!" on IOS, nothing on NX-OS)


def _style(lines: list[str]) -> _Style:
    indents = [_indent(line) for line in lines if line.strip() and _indent(line)]
    return _Style(min(indents, default=1), "!" if any(line == "!" for line in lines) else None)


def _find(lines: list[str], start: int, end: int, text: str, indent: int) -> int | None:
    for k in range(start, end):
        if _indent(lines[k]) == indent and lines[k].strip() == text:
            return k
    return None


def _render(node: _Node, depth: int, width: int) -> list[str]:
    out = [" " * (depth * width) + node.text]
    for child in node.children:
        out += _render(child, depth + 1, width)
    return out


def _merge(lines: list[str], start: int, end: int, depth: int, nodes: list[_Node], style: _Style) -> int:
    """Merge `nodes` into lines[start:end] at `depth`; returns the new end."""
    for node in nodes:
        if node.text.startswith("no "):
            k = _find(lines, start, end, node.text[3:], depth * style.width)
            if k is not None:
                stop = _block_end(lines, k)
                del lines[k:stop]
                end -= stop - k
            continue
        k = _find(lines, start, end, node.text, depth * style.width)
        if k is None:
            block = _render(node, depth, style.width)
            at = end
            if depth == 0 and style.separator is not None:
                block = [*block, style.separator]
            lines[at:at] = block
            end += len(block)
            continue
        stop = _block_end(lines, k)
        new_stop = _merge(lines, k + 1, stop, depth + 1, node.children, style)
        end += new_stop - stop
    return end


def merge_lines(running: str, candidate: list[str]) -> str:
    """`running` after merging `candidate` into it."""
    lines = running.split("\n")
    last = next((i + 1 for i in range(len(lines) - 1, -1, -1) if lines[i].strip()), len(lines))  # before trailing blanks
    end = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip() == "end"), last)
    _merge(lines, 0, end, 0, _tree(candidate), _style(lines))
    return "\n".join(lines)


def running_of(config: dict[str, str]) -> str:
    return config.get("running", "")


def with_running(config: dict[str, str], running: str) -> str:
    """The get_config fixture with a new running config (startup is what was last saved: unchanged)."""
    return json.dumps({**config, "running": running}, indent=2)
