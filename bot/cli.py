"""The `noc` command line: lab scenarios, config audits and single tool calls.

Every user mistake (bad config, unknown device or scenario, bad arguments) ends with one
readable line on stderr and exit status 2; a device that cannot be read is reported in the
output and makes the exit status 1. No traceback reaches the terminal.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from agents.access import ROLE_ORDER, ToolRoles
from agents.lab import UnknownScenarioError, get_scenario, list_scenarios
from agents.models import Answer, ExecutionMode, Request
from agents.network.inventory import InventoryError, UnknownDeviceError
from agents.progress import NullSink
from agents.routing import route
from agents.tools import build_toolbox
from agents.tools.audit import AuditRulesError
from agents.tools.network import Toolbox
from agents.tools.registry import TOOL_SPECS, call_tool
from bot.answer_json import answer_json
from bot.audit_report import render_audit_text
from bot.credentials import CredentialError, slack_credentials
from bot.settings import CONFIG_ENV, ConfigError, Settings, load_settings
from bot.terminal import TerminalSink, render_answer


class UsageProblem(click.UsageError):
    """A usage error whose message is already complete (exit 2)."""


def _fail(message: str) -> None:
    raise UsageProblem(message)


class _OneLineFormatter(logging.Formatter):
    """Log records on one line: an operator at a terminal needs the cause, not a traceback.

    Tracebacks are still written at NOC_LOG_LEVEL=DEBUG, for whoever debugs the bot itself.
    """

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            return super().formatException(ei)
        first = str(ei[1]).splitlines()[0] if ei and str(ei[1]) else ""
        return f"  ({ei[0].__name__}: {first}; NOC_LOG_LEVEL=DEBUG shows the traceback)" if ei and ei[0] else ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # computed per handler, so another handler's traceback text is not reused
        text = super().format(record)
        return text.replace("\n  (", "  (", 1)


class _LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when they are run (or listed in
    help): `noc --help` and offline commands should not pay for SQLAlchemy or the Claude SDK."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, attr = self.lazy[name].split("|")[0].split(":")
            self.add_command(getattr(__import__(module, fromlist=[attr]), attr), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list without importing the lazy ones: their one-line help is given here."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name].partition("|")[2]))
            elif (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(formatter.width - 6 - max(len(n) for n in self.list_commands(ctx)))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=_LazyGroup, lazy={"change": "bot.change_cli:change|Human-approved configuration changes: list, show, approve, reject, propose."}, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar=CONFIG_ENV,
              help=f"YAML config file (default: ${CONFIG_ENV}, else built-in defaults on the embedded lab).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """noc-chatops: ask your network questions, audit configs, run the Slack bot."""
    logging.basicConfig(level=os.environ.get("NOC_LOG_LEVEL", "WARNING").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.setFormatter(_OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    ctx.obj = {"config_path": config_path}


def _settings(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj["config_path"])
        except ConfigError as exc:
            _fail(f"configuration error: {exc}")
    return obj["settings"]


def _toolbox(ctx: click.Context, scenario: str | None) -> Toolbox:
    settings = _settings(ctx)
    if scenario is not None:
        if settings.network.inventory is not None:
            _fail("--scenario applies to the embedded lab only; this config points network.inventory at real devices")
        try:
            get_scenario(scenario)
        except UnknownScenarioError as exc:
            _fail(str(exc))
    try:
        return build_toolbox(settings.network, settings.audit, settings.thresholds, scenario=scenario)
    except (InventoryError, AuditRulesError) as exc:
        _fail(f"configuration error: {exc}")
    raise AssertionError("unreachable")


scenario_option = click.option("--scenario", "-s", default=None, help="Lab fault scenario (see `noc lab scenarios`).")


# -- noc lab ------------------------------------------------------------------------------------


@cli.group(cls=_LazyGroup, lazy={"reset": "bot.change_cli:lab_reset|Restore a lab scenario as shipped (undoes applied changes)."})
def lab() -> None:
    """The embedded lab network."""


@lab.command("alert")
@click.argument("scenario")
@click.option("--url", default=None, help="The running bot (default http://127.0.0.1:<server.port>).")
@click.option("--resolved", is_flag=True, help="Send the resolved notification instead of the firing one.")
@click.pass_context
def lab_alert(ctx: click.Context, scenario: str, url: str | None, resolved: bool) -> None:
    """Send the Alertmanager alert a monitoring system would send for SCENARIO to a running bot
    (POST /alerts/alertmanager with NOC_ALERT_TOKEN), so triage can be tried without Alertmanager."""
    from bot.triage.http import TOKEN_ENV
    from bot.triage.lab_alert import scenario_payload, send

    try:
        found = get_scenario(scenario)
    except UnknownScenarioError as exc:
        _fail(str(exc))
    token = os.environ.get(TOKEN_ENV)
    if not token:
        _fail(f"{TOKEN_ENV} is not set: use the token the bot was started with")
    target = url or f"http://127.0.0.1:{_settings(ctx).server.port}/alerts/alertmanager"
    try:
        status, body = send(target, token, scenario_payload(found, "resolved" if resolved else "firing"))
    except OSError as exc:
        _fail(f"cannot reach the bot at {target}: {getattr(exc, 'reason', exc)}")
    if status >= 300:
        _fail(f"the bot answered {status}: {body[:300]}")
    click.echo(f"sent {'resolved' if resolved else 'firing'} alert for {scenario} to {target}: {status} {body}")


@lab.command("scenarios")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def lab_scenarios(as_json: bool) -> None:
    """List the fault scenarios with a one-line description."""
    scenarios = list_scenarios()
    if as_json:
        click.echo(json.dumps([s.model_dump(include={"name", "description", "affected"}) for s in scenarios], indent=2))
        return
    width = max(len(s.name) for s in scenarios)
    for s in scenarios:
        click.echo(f"{s.name.ljust(width)}  {s.description}")


# -- noc audit ----------------------------------------------------------------------------------


@cli.command()
@click.argument("device", required=False)
@click.option("--all", "all_devices", is_flag=True, help="Audit every inventory device.")
@scenario_option
@click.option("--tag", "tags", multiple=True, type=click.Choice(["cis", "pci", "soc2"]), help="Only rules with this compliance tag (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def audit(ctx: click.Context, device: str | None, all_devices: bool, scenario: str | None, tags: tuple[str, ...], as_json: bool) -> None:
    """Audit device configuration against the hardening rules, worst findings first."""
    if bool(device) == all_devices:
        _fail("name one DEVICE or pass --all (e.g. `noc audit edge-rtr-01` or `noc audit --all`)")
    toolbox = _toolbox(ctx, scenario)
    if device:
        try:
            toolbox.inventory.get(device)
        except UnknownDeviceError as exc:
            _fail(str(exc))
    names = toolbox.inventory.names if all_devices else [device]
    scans = asyncio.run(_scan_all(toolbox, names, list(tags) or None))
    if as_json:
        click.echo(json.dumps({"devices": [s.model_dump(mode="json") for s in scans]}, indent=2))
    else:
        click.echo(render_audit_text(scans))
    if not all(s.ok for s in scans):
        sys.exit(1)


async def _scan_all(toolbox: Toolbox, names: list[str], tags: list[str] | None):
    try:
        return await toolbox.audit_devices(names, tags)
    finally:
        toolbox.gateway.close()


# -- noc tool -----------------------------------------------------------------------------------


@cli.command("tool")
@click.argument("name", type=click.Choice(sorted(TOOL_SPECS)))
@click.argument("arguments", nargs=-1)
@scenario_option
@click.pass_context
def tool(ctx: click.Context, name: str, arguments: tuple[str, ...], scenario: str | None) -> None:
    """Run one network tool and print its JSON result, e.g. `noc tool get_device_health device=edge-rtr-01`."""
    args: dict[str, object] = {}
    for item in arguments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"tool arguments are key=value pairs, got '{item}'")
        args[key] = value.split(",") if key == "tags" else value
    toolbox = _toolbox(ctx, scenario)

    async def run():
        try:
            return await call_tool(toolbox, name, args)
        finally:
            toolbox.gateway.close()

    result = asyncio.run(run())
    click.echo(result.model_dump_json(indent=2))
    if not result.ok:
        sys.exit(2 if result.error and result.error.kind in {"unknown_device", "bad_arguments"} else 1)


# -- noc ask / route / eval-routing ---------------------------------------------------------------


@cli.command()
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
        _fail('ask needs a question, e.g. noc ask "why is the branch office slow?"')
    settings = _settings(ctx)
    toolbox = _toolbox(ctx, scenario)
    request = Request.from_text(question, mode=ExecutionMode(mode or settings.engine.default_mode), role=role)
    sink = NullSink() if quiet else TerminalSink(sys.stderr, verbose_tools=not as_json)
    answer = asyncio.run(_ask(toolbox, settings, request, sink))
    if as_json:
        click.echo(json.dumps(answer_json(answer), indent=2))
    else:
        click.echo(render_answer(answer))
    sys.exit(1 if answer.status == "failed" else 0)


async def _ask(toolbox: Toolbox, settings: Settings, request: Request, sink) -> Answer:
    from agents.llm import provider_enabled
    from agents.resilience.guard import Resilience
    from agents.supervisor import Supervisor

    resilience = Resilience(settings.resilience)
    claude = None
    if provider_enabled(settings.llm):  # the Claude SDK is imported only when Claude is used
        from agents.llm.backend import build_backend

        claude = build_backend(settings.llm, resilience)
    try:
        return await Supervisor(toolbox, settings.engine, claude=claude, resilience=resilience,
                                tool_roles=ToolRoles(settings.access.tool_roles)).run(request, sink)
    finally:
        toolbox.gateway.close()
        if claude is not None:
            await claude.aclose()


@cli.command("route")
@click.argument("question", required=False, default="")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def route_cmd(ctx: click.Context, question: str, as_json: bool) -> None:
    """Show which specialists the router picks for a question, and which devices it names."""
    if not question.strip():
        _fail('route needs a question, e.g. noc route "is telnet enabled anywhere?"')
    toolbox = _toolbox(ctx, None)
    decision = route(Request.from_text(question).question, toolbox.inventory)
    data = {"primary": decision.primary.value, "specialists": [s.value for s in decision.specialists], "devices": decision.devices,
            "unknown_devices": decision.unknown_devices, "scores": decision.scores, "confidence": decision.confidence,
            "margin": decision.margin, "method": decision.method}
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(f"primary: {data['primary']}\nspecialists: {', '.join(data['specialists'])}\ndevices: {', '.join(data['devices']) or '-'}"
                   + (f"\nunknown devices: {', '.join(decision.unknown_devices)}" if decision.unknown_devices else "")
                   + f"\nscores: {data['scores']} (confidence {data['confidence']}, margin {data['margin']}, {data['method']})")


@cli.command("eval-routing")
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
        _fail("eval-routing needs a JSONL file or --cv (not both), e.g. noc eval-routing tests/data/routing_heldout_v3.jsonl")
    from agents.evaluation import EvalFileError, cross_validate, evaluate_routing, load_eval_cases, render_eval

    try:
        if path is not None:
            cases = load_eval_cases(path)
            report = evaluate_routing(cases, _toolbox(ctx, None).inventory, source=str(path))
        else:
            report = cross_validate(folds or 10)
    except EvalFileError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(report.model_dump(), indent=2))
    else:
        click.echo(render_eval(report))


# -- noc run ------------------------------------------------------------------------------------


@cli.command("run")
@click.option("--host", envvar="NOC_HOST", default=None, help="HTTP listen address (default 0.0.0.0, or NOC_HOST).")
@click.option("--port", envvar="NOC_PORT", type=click.IntRange(0, 65535), default=None, help="HTTP port (default 3000, or NOC_PORT).")
@click.pass_context
def run_cmd(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on /slack/events."""
    try:
        creds = slack_credentials()
    except CredentialError as exc:
        _fail(str(exc))
    settings = _settings(ctx)
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    from bot.server import StartupError
    from bot.store import StoreError

    try:
        asyncio.run(_run_bot(settings, creds, host, port))
    except StoreError as exc:  # unreachable, not a database, newer schema, failed migration
        _fail(f"store error: {exc}")
    except StartupError as exc:  # port in use, bad address
        _fail(str(exc))


async def _run_bot(settings: Settings, creds, host: str, port: int) -> None:
    # `noc run` is the composition root: it alone imports the Slack listeners (handlers -> bot -> agents),
    # and only here, so the terminal commands start without loading Slack and server code.
    from bot.runtime import Runtime
    from bot.server import serve_forever
    from bot.slack_client import web_client
    from handlers.app import build_app

    client = web_client(creds.bot_token, settings.slack.api_url, settings.slack.max_rate_limit_retries)
    runtime = await Runtime.create(settings, client)
    runtime.start_background()  # live alerts, the daily report, housekeeping
    app = build_app(runtime, signing_secret=creds.signing_secret)
    await serve_forever(app, runtime, host=host, port=port, app_token=creds.app_token,
                        shutdown_grace_s=settings.server.shutdown_grace_s)


# -- noc metrics --------------------------------------------------------------------------------


@cli.command("metrics")
@click.option("--url", default=None, help="The bot's /metrics URL (default: http://127.0.0.1:<server.port>/metrics).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.pass_context
def metrics_cmd(ctx: click.Context, url: str | None, as_csv: bool) -> None:
    """Per-agent-instance table of a running bot's metrics (tasks, failures, latency, tokens, health)."""
    from bot.metrics_report import MetricsUnavailable, fetch, render_csv, render_table, rows_from

    url = url or f"http://127.0.0.1:{_settings(ctx).server.port}/metrics"
    try:
        rows = rows_from(fetch(url))
    except MetricsUnavailable as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(render_csv(rows) if as_csv else render_table(rows))


# -- noc health ---------------------------------------------------------------------------------


@cli.command("health")
@scenario_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--post", "post_channel", default=None, metavar="CHANNEL",
              help="Also post it to this Slack channel id, like the daily report (needs SLACK_BOT_TOKEN).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_context
def health_cmd(ctx: click.Context, scenario: str | None, as_json: bool, post_channel: str | None, quiet: bool) -> None:
    """The health report of /noc-health and the daily job: alerts, every device worst first,
    what changed since the last report, agent health from the store."""
    from bot.report.command import TerminalProgress, health_report
    from bot.report.text import render_text
    from bot.store import StoreError

    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if post_channel is not None and not token.startswith("xoxb-"):
        _fail("--post needs SLACK_BOT_TOKEN (the bot token, xoxb-...) in the environment")
    settings = _settings(ctx)
    toolbox = _toolbox(ctx, scenario)
    try:
        report = asyncio.run(health_report(settings, toolbox, post_channel=post_channel, bot_token=token,
                                           progress=None if quiet else TerminalProgress()))
    except StoreError as exc:
        _fail(f"store error: {exc}")
    click.echo(report.model_dump_json(indent=2) if as_json else render_text(report))
    if report.network.unreachable:
        sys.exit(1)


# -- noc requests / noc audit-log ---------------------------------------------------------------


def _since(text: str | None) -> float | None:
    from bot.history import parse_since

    if text is None:
        return None
    try:
        return parse_since(text, time.time())
    except ValueError as exc:
        _fail(str(exc))
    return None


def _from_store(settings: Settings, read):
    """Open the configured store, run one read, close; a store problem is one line and exit 2."""
    from bot.store import Store, StoreError

    async def run():
        store = await Store.from_config(settings.store).open()
        try:
            return await read(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        _fail(f"store error: {exc}")


@cli.command("requests")
@click.option("--status", type=click.Choice(["received", "running", "answered", "failed", "interrupted"]), default=None,
              help="Only requests in this state.")
@click.option("--since", default=None, help="Only requests received since: 24h, 30m, 7d, or a date (UTC) such as 2026-11-01.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def requests_cmd(ctx: click.Context, status: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """Requests the bot received, newest first: status, who, where, time taken, tokens, question."""
    from bot.history import render_requests, request_json

    start = _since(since)
    rows = _from_store(_settings(ctx), lambda store: store.requests(status=status, since=start, limit=limit))
    click.echo(json.dumps([request_json(r) for r in rows], indent=2) if as_json else render_requests(rows))


@cli.command("audit-log")
@click.option("--since", default=None, help="Only events since: 24h, 30m, 7d, or a date (UTC) such as 2026-11-01.")
@click.option("--user", default=None, help="Only this Slack user id.")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True, help="At most this many (the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def audit_log_cmd(ctx: click.Context, since: str | None, user: str | None, limit: int, as_json: bool) -> None:
    """Access decisions and button clicks, oldest first: who, where, what, allowed or denied and why."""
    from bot.history import audit_json, render_audit

    start = _since(since)
    rows = _from_store(_settings(ctx), lambda store: store.audit_events(since=start, user=user, limit=limit))
    click.echo(json.dumps([audit_json(r) for r in rows], indent=2) if as_json else render_audit(rows))


def main() -> None:
    """Console entry point; click turns UsageError into exit 2 with the message.

    Anything else that escapes a command is a bug or an environment problem; it is reported on one
    line with exit 1 (the traceback only at NOC_LOG_LEVEL=DEBUG), never as a Python traceback.
    """
    try:
        code = cli(prog_name="noc", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("NOC_LOG_LEVEL", "").upper() == "DEBUG":
            raise
        detail = str(exc).splitlines()[0] if str(exc) else ""
        click.echo(f"noc: {type(exc).__name__}{': ' + detail if detail else ''} (NOC_LOG_LEVEL=DEBUG shows the traceback)", err=True)
        sys.exit(1)
    if isinstance(code, int) and code:  # ctx.exit(n) in non-standalone mode is returned, not raised
        sys.exit(code)


if __name__ == "__main__":
    main()
