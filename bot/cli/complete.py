"""Shell completion for `noc`: device names from the inventory, tool arguments from the tools'
declarations (click's completion machinery: `_NOC_COMPLETE=bash_source noc`, see
docs/reference/commands.md).

Completion runs on every Tab press, with no command callback run (click parses resiliently), so
it reads the config itself and must stay cheap: device names come from a Nornir inventory file or
the embedded lab; an inventory in NetBox or Nautobot is not fetched for a key press, so it
completes no names. Any problem completes nothing: a broken config must not break the shell.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from click.shell_completion import CompletionItem


def device_names(ctx: click.Context) -> list[str]:
    """The inventory's device names, when they can be read without the network; else none."""
    try:
        from agents.network.inventory import load_inventory
        from bot.config.settings import load_settings

        settings = load_settings(ctx.find_root().params.get("config_path"))
        if settings.inventory.source != "file":
            return []
        if settings.network.inventory is not None:
            return load_inventory(settings.network.inventory).names
        from agents.lab import lab_inventory

        return lab_inventory(settings.network.scenario).names
    except Exception:  # noqa: BLE001 - a completion never fails the shell
        return []


def complete_device(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name) for name in device_names(ctx) if name.startswith(incomplete)]


def complete_tool_argument(tool: str) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A completer for a tool's `name=value` words: argument names, then their values (devices
    from the inventory, choices from the declaration)."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from agents.tools.registry import TOOL_SPECS
        from bot.cli.tool_help import arg_docs

        docs = {a.name: a for a in arg_docs(TOOL_SPECS[tool])}
        given = {str(w).partition("=")[0] for w in (ctx.params.get("arguments") or ())}
        key, sep, value = incomplete.partition("=")
        if not sep:
            return [CompletionItem(f"{a.name}=", help=a.line()) for name, a in docs.items()
                    if name.startswith(key) and name not in given]
        doc = docs.get(key)
        if doc is None:
            return []
        values: list[str] = list(doc.choices) or (device_names(ctx) if key == "device" else [])
        if doc.is_list:  # complete the last item of a comma-separated list
            done, _, last = value.rpartition(",")
            prefix = f"{key}={done + ',' if done else ''}"
            return [CompletionItem(prefix + v) for v in values if v.startswith(last) and v not in done.split(",")]
        return [CompletionItem(f"{key}={v}") for v in values if v.startswith(value)]

    return complete


__all__ = ["complete_device", "complete_tool_argument", "device_names"]
