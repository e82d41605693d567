"""A configuration as a hier_config tree that is built even when a few lines cannot be placed.

Why: hier_config refuses a whole configuration over one line it cannot place. Real devices
print such lines: IOS 12.0 has a known bug that indents one `interface` line, which turns the
next block's lines into duplicates of the previous block's and makes hier_config raise
`DuplicateChildError`; a banner without its closing delimiter raises `ValueError`. Refusing the
device means its read-write community is never seen, so instead the lines that cannot be placed
are left out, named (`ConfigTree.unplaced`), and everything else is read as usual.

How (hier_config has no tolerant mode): repeats that only differ in a redacted secret are dropped
first (`drop_duplicate_lines`); then, while parsing fails, the first line at which a growing
prefix of the text fails is found by bisection (parsing a prefix is monotonic: once a prefix
raises, every longer one does) and left out. At most `MAX_UNPLACED` lines are left out; a text
that needs more is not a configuration this platform's reader understands, and says so.
Junos is converted to `set` form first (`junos_set`), which names its own unplaced lines.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from hier_config import HConfig, Platform, get_hconfig
from hier_config.exceptions import DuplicateChildError

from agents.network.parse_cache import PARSES, content_key
from agents.network.parsers import drop_duplicate_lines
from agents.tools.junos_set import to_set_form

__all__ = ["HCONFIG_PLATFORMS", "MAX_UNPLACED", "ConfigTree", "UnreadableConfigError", "read_config"]

HCONFIG_PLATFORMS: dict[str, Platform] = {
    "ios": Platform.CISCO_IOS,
    "eos": Platform.ARISTA_EOS,
    "nxos": Platform.CISCO_NXOS,
    "iosxr": Platform.CISCO_XR,
    "junos": Platform.JUNIPER_JUNOS,
}
MAX_UNPLACED = 25
_PARSE_ERRORS = (DuplicateChildError, ValueError)


class UnreadableConfigError(ValueError):
    """More lines than `MAX_UNPLACED` could not be placed: the text is not read as this platform."""


@dataclass(frozen=True)
class ConfigTree:
    """The parsed tree, the text it was parsed from (set form for Junos) and the lines left out."""

    tree: HConfig
    text: str
    unplaced: tuple[str, ...] = ()
    inactive: tuple[str, ...] = ()


def read_config(os_name: str, text: str) -> ConfigTree:
    """The configuration as a tree for `os_name` (generic rules for an unknown OS), cached by content.

    The tree is shared between callers through the parse cache: read it, never change it.
    """
    return PARSES.get_sync("hconfig-tolerant", content_key(os_name, text), _read, os_name, text)


def _read(os_name: str, text: str) -> ConfigTree:
    platform = HCONFIG_PLATFORMS.get(os_name, Platform.GENERIC)
    text = text.replace("\r\n", "\n")
    inactive: tuple[str, ...] = ()
    unplaced: list[str] = []
    if platform is Platform.JUNIPER_JUNOS:
        form = to_set_form(text)
        text, inactive, unplaced = form.text, form.inactive, list(form.unplaced)
    else:
        text, repaired = _unnest_interfaces(_split_one_line_banners(text))
        unplaced += [f"{line.strip()}  (indented inside another interface; read as its own block)" for line in repaired]
    try:
        return ConfigTree(get_hconfig(platform, text), text, tuple(unplaced), inactive)
    except _PARSE_ERRORS:
        pass
    lines = drop_duplicate_lines(text).split("\n")
    while True:
        try:
            kept = "\n".join(lines)
            return ConfigTree(get_hconfig(platform, kept), kept, tuple(unplaced), inactive)
        except _PARSE_ERRORS as exc:
            if len(unplaced) >= MAX_UNPLACED:
                raise UnreadableConfigError(f"more than {MAX_UNPLACED} lines could not be placed ({exc})") from None
            bad = _first_failing_line(platform, lines, _duplicate_text(exc))
            unplaced.append(lines[bad])
            del lines[bad]


def _unnest_interfaces(text: str) -> tuple[str, list[str]]:
    """An `interface` line indented under another `interface` block, moved back to the top level.

    The IOS 12.0 bug: ` interface Serial0` printed one space in, so hier_config files Serial0's
    lines under the previous interface (and raises on the first line both share). No platform
    nests an interface inside an interface block, so the line is read as the block it is, and
    named; its own lines follow it with their one-space indent as usual.
    """
    out: list[str] = []
    repaired: list[str] = []
    block = ""  # the current top-level block header
    for line in text.split("\n"):
        if line and not line[0].isspace():
            block = line
        elif block.startswith("interface ") and line.startswith(" ") and line.lstrip().startswith("interface ") \
                and len(line) - len(line.lstrip()) == 1:
            repaired.append(line)
            line = block = line.lstrip()
        out.append(line)
    return "\n".join(out), repaired


def _split_one_line_banners(text: str) -> str:
    """`banner motd #text#` (NX-OS writes banners on one line) as hier_config's banner block.

    hier_config only ends a banner on a later line, so a banner closed on its own line would
    swallow the rest of the configuration; the closing delimiter is put on a line of its own.
    """
    out: list[str] = []
    for line in text.split("\n"):
        words = line.split(" ", 2)
        if line.startswith("banner ") and len(words) == 3 and len(words[2]) > 1:
            delimiter, body = words[2][0], words[2][1:]
            if delimiter in body and body.rstrip().endswith(delimiter):
                out += [line, delimiter]
                continue
        out.append(line)
    return "\n".join(out)


def _fails(platform: Platform, lines: list[str]) -> bool:
    try:
        get_hconfig(platform, "\n".join(lines))
    except DuplicateChildError:
        return True
    except ValueError:  # an open banner at the end of a prefix is not yet an error
        return False
    return False


def _duplicate_text(exc: Exception) -> str | None:
    """The line hier_config found twice, from its message `Found a duplicate section: ('a', 'b')`."""
    if not isinstance(exc, DuplicateChildError):
        return None
    _, _, shown = str(exc).partition(": ")
    try:
        path = ast.literal_eval(shown)
    except (ValueError, SyntaxError):
        return None
    return path[-1] if isinstance(path, tuple) and path and isinstance(path[-1], str) else None


def _first_failing_line(platform: Platform, lines: list[str], duplicate: str | None = None) -> int:
    """Index of the line at which a prefix of `lines` starts to fail; for an unterminated banner
    (only the whole text fails), the last banner line that opened one.

    When hier_config named the duplicated line, only the lines with that text are tried (a parse
    or two instead of a bisection's dozen: a large IOS-XR configuration takes half a second each).
    """
    if not _fails(platform, lines):
        return _last_banner(lines)
    if duplicate is not None:
        same = [i for i, line in enumerate(lines) if " ".join(line.split()) == duplicate]
        for index in same[1:]:
            if _fails(platform, lines[:index + 1]):
                return index
    low, high = 1, len(lines)  # lines[:high] fails; lines[:low - 1] does not
    while low < high:
        mid = (low + high) // 2
        if _fails(platform, lines[:mid]):
            high = mid
        else:
            low = mid + 1
    return high - 1


def _last_banner(lines: list[str]) -> int:
    starts = [i for i, line in enumerate(lines) if line.startswith("banner ")]
    return starts[-1] if starts else len(lines) - 1
