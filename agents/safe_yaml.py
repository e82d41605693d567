"""Reading the YAML files a person edits (the config file, the inventory) without surprises.

PyYAML's `safe_load` lets a repeated key silently replace the first one, recurses once per level
of nesting (a file nested a few thousand levels deep ends in RecursionError), and `open()` on a
FIFO or a device waits for ever. `read_text_file` and `load_yaml` turn each of those into a
`YamlInputError` whose message names the file and the line, so callers can show one line.

Built on PyYAML's own SafeLoader (hand-written here: only the duplicate-key and depth checks).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node

MAX_DEPTH = 100  # far beyond any real configuration or inventory; far below Python's recursion limit
MAX_FILE_BYTES = 64 * 1024 * 1024  # an inventory of tens of thousands of hosts fits
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlInputError(ValueError):
    """A file that cannot be read or is not acceptable YAML; the message names file and line."""


def read_text_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file. A FIFO, socket, device or directory is refused without
    blocking (opened non-blocking, checked with fstat), as is a file over `max_bytes`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise YamlInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise YamlInputError(f"{path}: not a regular file ({_kind(info.st_mode)})")
        if info.st_size > max_bytes:
            raise YamlInputError(f"{path}: {info.st_size} bytes, over the {max_bytes}-byte limit")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise YamlInputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:
        raise YamlInputError(f"{path}: over the {max_bytes}-byte limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlInputError(f"{path} line {line}: not UTF-8 text") from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a plain file"


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, and nesting deeper than MAX_DEPTH as it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:  # used by the pure-Python parser only
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # `<<: *base` merges are allowed to be overridden: that is what they are for
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key; SafeConstructor reports it below
                continue
            if first is not None:
                raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r} (first on line {first})",
                                           problem_mark=key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return SafeConstructor.construct_mapping(self, node, deep=deep)


# libyaml's parser when PyYAML was built with it: four times faster on a 2,000-host inventory. It
# refuses flow nesting beyond 1,000 levels itself, and `_depth` checks the rest after loading;
# its messages are worded a little differently from the pure-Python parser's.
_FAST_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastStrictLoader(_FAST_BASE):  # type: ignore[misc]
    construct_mapping = _StrictLoader.construct_mapping


def load_yaml(text: str, source: Path | str, *, fast: bool = False) -> Any:
    """One YAML document from `text`; every problem is a YamlInputError naming `source` and the
    line. `fast`: libyaml's parser, for large files (inventories)."""
    try:
        data = yaml.load(text, Loader=_FastStrictLoader if fast else _StrictLoader)  # noqa: S506 - safe loader subclasses
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if "maximum nesting depth" in problem:  # libyaml's own limit
            problem = f"nested deeper than {MAX_DEPTH} levels"
        raise YamlInputError(f"{source}{where}: not valid YAML: {problem}") from None
    except RecursionError:
        raise YamlInputError(f"{source}: not valid YAML: nested deeper than {MAX_DEPTH} levels") from None
    if _depth(data) > MAX_DEPTH:
        raise YamlInputError(f"{source}: not valid YAML: nested deeper than {MAX_DEPTH} levels")
    return data


def _depth(value: Any) -> int:
    """How deeply lists and mappings nest in `value`, walked without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((inner, depth + 1) for inner in item.values())
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
    return deepest


def load_yaml_file(path: Path, *, fast: bool = False) -> Any:
    """`read_text_file` then `load_yaml`."""
    return load_yaml(read_text_file(path), path, fast=fast)
