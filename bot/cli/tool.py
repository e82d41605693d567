"""`noc tool`: run one network tool and print its JSON result.

A group with one subcommand per tool of `agents.tools.registry.TOOL_SPECS`, built from the
declarations, so `noc tool --help` lists every tool with its arguments and the role it needs,
`noc tool NAME --help` shows one tool, the shell completes tool names, argument names and their
values, and a bad argument is one line naming it and what it accepts (exit 2).
"""

from __future__ import annotations

import asyncio
import sys

import click

from agents.tools.registry import TOOL_SPECS, call_tool
from agents.tools.results import ToolResult
from bot.cli.complete import complete_tool_argument
from bot.cli.support import complete_scenario, fail, scenario_option, settings_of, toolbox_of
from bot.cli.tool_help import arg_docs, parse_arguments, usage_of


def _roles(ctx: click.Context) -> dict[str, str]:
    """The role each tool needs, with the config's `access.tool_roles`; the defaults if the config cannot be read."""
    from agents.tools.roles import ToolRoles

    try:
        overrides = settings_of(ctx).access.tool_roles if ctx.find_root().obj is not None else None
    except click.UsageError:
        overrides = None
    roles = ToolRoles(overrides)
    return {name: roles.needed(name) for name in TOOL_SPECS}


def _arguments_help(name: str) -> list[tuple[str, str]]:
    return [(f"{a.name}={a.metavar()}", a.line()) for a in arg_docs(TOOL_SPECS[name])] or [("(none)", "takes no arguments")]


class ToolCommand(click.Command):
    """One tool: its description, the role it needs and its arguments in the help."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path.rsplit(" ", 1)[0], usage_of(self.name or "") + " [OPTIONS]")

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        spec = TOOL_SPECS[self.name or ""]
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(f"{spec.description} Needs the {_roles(ctx)[spec.name]} role in Slack; reads {', '.join(spec.reads)}.")
        with formatter.section("Arguments (name=value)"):
            formatter.write_dl(_arguments_help(spec.name))


class ToolGroup(click.Group):
    """The tools as subcommands, made from their declarations when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(TOOL_SPECS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return _tool_command(name) if name in TOOL_SPECS else None

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name = click.utils.make_str(args[0])
        if name not in TOOL_SPECS and not ctx.resilient_parsing:
            fail(f"unknown tool '{name}'; tools: {', '.join(sorted(TOOL_SPECS))} (see `noc tool --help`)")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        roles = _roles(ctx)
        with formatter.section("Tools (role needed in Slack) and their arguments"):
            for name in self.list_commands(ctx):
                formatter.write_text(f"{name}  [{roles[name]}]  {TOOL_SPECS[name].description}")
                with formatter.indentation():
                    formatter.write_dl(_arguments_help(name))
                formatter.write_paragraph()


def _tool_command(name: str) -> click.Command:
    def run(arguments: tuple[str, ...], scenario: str | None) -> None:
        ctx = click.get_current_context()
        try:
            args = parse_arguments(name, arguments)
        except ValueError as exc:
            fail(str(exc))
        group_scenario = ctx.parent.params.get("scenario") if ctx.parent is not None else None
        _run_tool(ctx, name, args, scenario or group_scenario)

    params: list[click.Parameter] = [
        click.Argument(["arguments"], nargs=-1, metavar="NAME=VALUE...", shell_complete=complete_tool_argument(name)),
        click.Option(["--scenario", "-s"], default=None, help="Lab fault scenario (see `noc lab scenarios`).",
                     shell_complete=complete_scenario),
    ]
    return ToolCommand(name, callback=run, params=params, short_help=TOOL_SPECS[name].description,
                       context_settings={"help_option_names": ["-h", "--help"]})


def _run_tool(ctx: click.Context, name: str, args: dict[str, object], scenario: str | None) -> None:
    toolbox = toolbox_of(ctx, scenario)

    async def run() -> ToolResult:
        try:
            return await call_tool(toolbox, name, args)
        finally:
            toolbox.gateway.close()

    result = asyncio.run(run())
    if not result.ok and result.error and result.error.kind == "unknown_device":
        fail(result.error.message)
    click.echo(result.model_dump_json(indent=2))
    if not result.ok:
        sys.exit(2 if result.error and result.error.kind == "bad_arguments" else 1)


@click.group("tool", cls=ToolGroup, invoke_without_command=False, subcommand_metavar="TOOL NAME=VALUE...",
             context_settings={"help_option_names": ["-h", "--help"]})
@scenario_option
def tool(scenario: str | None) -> None:
    """Run one network tool and print its JSON result, e.g. `noc tool get_device_health device=edge-rtr-01`.

    Arguments are name=value words; a list takes comma-separated values (tags=cis,pci).
    `noc tool TOOL --help` shows one tool."""
