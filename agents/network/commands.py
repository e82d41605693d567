"""Platform-correct commands: every command the bot recommends or runs comes from one table.

Why: an IOS command recommended to a Junos engineer is at best noise and at worst a syntax error
in the middle of an incident (`show environment all` on a Junos EX is not a command). The table
(`commands.yaml`, data beside this module) names each purpose once with one column per platform,
and `commands()` fills its `{placeholders}`. A purpose the table does not give for a platform is
an empty list, never another platform's command; a placeholder the caller has no value for is
left as `<name>` for the engineer to fill.
"""

from __future__ import annotations

import functools
import string
from pathlib import Path
from typing import Any

from agents.safe_yaml import load_yaml_file

__all__ = ["PLATFORMS", "command", "commands", "purposes", "templates"]

_TABLE = Path(__file__).with_name("commands.yaml")
PLATFORMS = ("ios", "eos", "nxos", "iosxr", "junos")


@functools.cache
def _table() -> dict[str, dict[str, tuple[str, ...]]]:
    raw = load_yaml_file(_TABLE, fast=True)  # shipped: libyaml's parser (the pure-Python one took 0.08 s)
    return {purpose: {os_name: tuple(cmds) for os_name, cmds in row.items()} for purpose, row in raw.items()}


def purposes() -> list[str]:
    return sorted(_table())


def templates(os_name: str) -> set[str]:
    """Every command template the table gives `os_name`, placeholders unfilled (for checking)."""
    return {c for row in _table().values() for c in row.get(os_name, ())}


class _Blanks(dict[str, Any]):
    """Format values; a name nobody supplied becomes `<name>` (the engineer fills it)."""

    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def commands(os_name: str, purpose: str, **values: Any) -> list[str]:
    """The commands for `purpose` on `os_name`, placeholders filled; [] when the platform has none."""
    row = _table()[purpose]  # an unknown purpose is a programming error: KeyError
    blanks = _Blanks({k: v for k, v in values.items() if v is not None})
    return [string.Formatter().vformat(c, (), blanks) for c in row.get(os_name, ())]


def command(os_name: str, purpose: str, **values: Any) -> str | None:
    """The first command for `purpose` (the read the bot itself runs), or None when there is none."""
    found = commands(os_name, purpose, **values)
    return found[0] if found else None
