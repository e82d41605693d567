"""`noc ask`, `noc route` and `noc eval-routing`: the agents answering in the terminal, and the
router on its own (one question, or measured on a labelled file)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from agents.access import ROLE_ORDER
from agents.models import Answer, ExecutionMode, Request
from agents.network.access import load_device_drivers
from agents.progress import NullSink, ProgressSink
from agents.router import load_model as load_router_model
from agents.routing import route
from agents.tools.network import Toolbox
from agents.tools.roles import ToolRoles
from bot.answer_json import answer_json
from bot.cli.support import fail, scenario_option, settings_of, toolbox_of
from bot.cli.terminal import TerminalSink, render_answer
from bot.config.settings import Settings


@click.command()
@click.argument("question", required=False, default="")
@scenario_option
@click.option("--mode", type=click.Choice([m.value for m in ExecutionMode]), default=None, help="How to run the specialists (default: auto).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@click.option("--quiet", "-q", is_flag=True, help="No live progress on stderr.")
@click.option("--role", type=click.Choice(list(ROLE_ORDER)), default="admin", show_default=True,
              help="Answer as a user with this role would be answered (the shell user has local access: admin).")
@click.pass_context
def ask(ctx: click.Context, question: str, scenario: str | None, mode: str | None, as_json: bool, quiet: bool, role: str) -> None:
    """Ask the agents a question, e.g. noc ask "why is the branch office slow?"."""
    if not question.strip():
        fail('ask needs a question, e.g. noc ask "why is the branch office slow?"')
    settings = settings_of(ctx)
    toolbox = toolbox_of(ctx, scenario)
    # The router's model before the request's clock starts: a specialist folder added since the
    # shipped model was built means training it now (a warning says so), which is set-up, not
    # answering, and must not eat the question's deadline.
    load_router_model()
    request = Request.from_text(question, mode=ExecutionMode(mode or settings.engine.default_mode), role=role)
    sink = NullSink() if quiet else TerminalSink(sys.stderr, verbose_tools=not as_json)
    answer = asyncio.run(_ask(toolbox, settings, request, sink))
    if as_json:
        click.echo(json.dumps(answer_json(answer), indent=2))
    else:
        click.echo(render_answer(answer))
    sys.exit(1 if answer.status == "failed" else 0)


async def _ask(toolbox: Toolbox, settings: Settings, request: Request, sink: ProgressSink) -> Answer:
    from agents.engine import build_engine  # the Claude SDK is imported only when Claude is used

    engine = build_engine(settings, toolbox, tool_roles=ToolRoles(settings.access.tool_roles))
    if engine.claude is not None:
        load_device_drivers(background=True)  # while the first model calls are on the network
    try:
        return await engine.run(request, sink)
    finally:
        toolbox.gateway.close()
        await toolbox.external.aclose()  # the MCP servers' sessions (mcp_servers)
        await engine.aclose()


@click.command("route")
@click.argument("question", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def route_cmd(ctx: click.Context, question: str, as_json: bool) -> None:
    """Show which specialists the router picks for a question, and which devices it names."""
    if not question.strip():
        fail('route needs a question, e.g. noc route "is telnet enabled anywhere?"')
    toolbox = toolbox_of(ctx, None)
    decision = route(Request.from_text(question).question, toolbox.inventory)
    data: dict[str, Any] = {"primary": decision.primary.value, "specialists": [s.value for s in decision.specialists], "devices": decision.devices,
            "unknown_devices": decision.unknown_devices, "scores": decision.scores, "confidence": decision.confidence,
            "margin": decision.margin, "method": decision.method}
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"primary: {data['primary']}\nspecialists: {', '.join(data['specialists'])}\ndevices: {', '.join(data['devices']) or '-'}"
                   + (f"\nunknown devices: {', '.join(decision.unknown_devices)}" if decision.unknown_devices else "")
                   + f"\nscores: {data['scores']} (confidence {data['confidence']}, margin {data['margin']}, {data['method']})")


@click.command("eval-routing")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--cv", "folds", type=click.IntRange(2, 50), default=None, is_flag=False, flag_value=10,
              help="Cross-validate on the router's training data instead (default 10 folds).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def eval_routing(ctx: click.Context, path: Path | None, folds: int | None, as_json: bool) -> None:
    """Measure the router: accuracy, per-specialist precision and recall, exact match of the
    specialist set, calibration and the confusion matrix, on a JSONL file of {"query": ...,
    "expected": <specialist>, "labels": [...]} lines, or with --cv on its own training data."""
    if (path is None) == (folds is None):
        fail("eval-routing needs a JSONL file or --cv (not both), e.g. noc eval-routing tests/data/routing_heldout_v3.jsonl")
    from agents.evaluation import EvalFileError, cross_validate, evaluate_routing, load_eval_cases, render_eval

    try:
        if path is not None:
            cases = load_eval_cases(path)
            report = evaluate_routing(cases, toolbox_of(ctx, None).inventory, source=str(path))
        else:
            report = cross_validate(folds or 10)
    except EvalFileError as exc:
        fail(str(exc))
    if as_json:
        click.echo(json.dumps(report.model_dump(), indent=2))
    else:
        click.echo(render_eval(report))
