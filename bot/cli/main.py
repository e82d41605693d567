"""The `noc` command line: the group, `noc run` (the composition root) and the console entry point.

Every user mistake (bad config, unknown device or scenario, bad arguments) ends with one
readable line on stderr and exit status 2; a device that cannot be read is reported in the
output and makes the exit status 1. No traceback reaches the terminal. The commands live in `cli_network` (lab, audit, tool),
`cli_ask` (ask, route, eval-routing) and `cli_ops` (metrics, health, requests, audit-log);
`cli_support` holds what they share.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import click

from bot.cli.ask import ask, eval_routing, route_cmd
from bot.cli.network import audit, lab
from bot.cli.ops import audit_log_cmd, health_cmd, metrics_cmd, requests_cmd
from bot.cli.support import LazyGroup, fail, settings_of
from bot.cli.tool import tool
from bot.config.env import EnvError, apply_secret_files
from bot.config.secret_mask import mask_credentials
from bot.config.settings import CONFIG_ENV, Settings
from bot.logs import FORMAT_ENV, FORMATS, configure_logging, serve_level
from bot.slack.credentials import CredentialError, SlackCredentials, slack_credentials


@click.group(cls=LazyGroup, lazy={"change": "bot.cli.changes:change|Human-approved configuration changes: list, show, approve, reject, propose.",
                                   "mcp": "bot.cli.mcp:mcp|The NOC's tools and specialists for MCP clients (noc mcp serve).",
                                   "eval": "bot.cli.evals:eval_cmd|Run the answer eval suite (evals/) and print the scores."}, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), envvar=CONFIG_ENV,
              help=f"YAML config file (default: ${CONFIG_ENV}, else built-in defaults on the embedded lab).")
@click.option("--log-format", type=click.Choice(FORMATS), envvar=FORMAT_ENV, default=None,
              help=f"Log lines on stderr as text (default) or json (or {FORMAT_ENV}); level: NOC_LOG_LEVEL.")
@click.version_option(package_name="noc-chatops", prog_name="noc", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_format: str | None) -> None:
    """noc-chatops: ask your network questions, audit configs, run the Slack bot."""
    configure_logging(log_format)
    try:  # *_FILE secrets (Docker and Kubernetes mount them as files) for everything that reads the environment
        apply_secret_files(Settings)
    except EnvError as exc:
        fail(str(exc))
    ctx.obj = {"config_path": config_path}


for _command in (lab, audit, tool, ask, route_cmd, eval_routing, metrics_cmd, health_cmd, requests_cmd, audit_log_cmd):
    cli.add_command(_command)


@cli.command("run")
@click.option("--host", envvar="NOC_HOST", default=None, help="HTTP listen address (default 0.0.0.0, or NOC_HOST).")
@click.option("--port", envvar="NOC_PORT", type=click.IntRange(0, 65535), default=None, help="HTTP port (default 3000, or NOC_PORT).")
@click.pass_context
def run_cmd(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP mode on /slack/events."""
    serve_level()
    try:
        creds = slack_credentials()
    except CredentialError as exc:
        fail(str(exc))
    settings = settings_of(ctx)
    host = host or settings.server.host
    port = settings.server.port if port is None else port
    from agents.network.inventory import InventoryError
    from agents.tools.audit import AuditRulesError
    from bot.server.app import StartupError
    from bot.store import StoreError

    try:
        asyncio.run(_run_bot(settings, creds, host, port))
    except StoreError as exc:  # unreachable, not a database, newer schema, failed migration
        fail(f"store error: {exc}")
    except StartupError as exc:  # port in use, bad address
        fail(str(exc))
    except (InventoryError, AuditRulesError) as exc:  # the inventory or rules file turned bad
        fail(f"configuration error: {exc}")


async def _run_bot(settings: Settings, creds: SlackCredentials, host: str, port: int) -> None:
    # `noc run` is the composition root: it alone imports the Slack listeners (handlers -> bot -> agents),
    # and only here, so the terminal commands start without loading Slack and server code.
    from agents.network.access import load_device_drivers
    from bot.runtime import Runtime
    from bot.server.app import serve_forever
    from bot.slack.client import channel_pacer, close_web_client, web_client
    from handlers.app import build_app

    client = web_client(creds.bot_token, settings.slack.api_url, settings.slack.max_rate_limit_retries,
                        pacer=channel_pacer(settings.slack))
    try:
        runtime = await Runtime.create(settings, client)
    except BaseException:
        await close_web_client(client)
        raise
    runtime.start_background()  # live alerts, the daily report, housekeeping
    load_device_drivers()  # before serving: not on the first request's path
    app = build_app(runtime, signing_secret=creds.signing_secret)
    await serve_forever(app, runtime, host=host, port=port, app_token=creds.app_token,
                        shutdown_grace_s=settings.server.shutdown_grace_s)


def main() -> None:
    """Console entry point; click turns UsageError into exit 2 with the message.

    Anything else that escapes a command is a bug or an environment problem; it is reported on one
    line with exit 1 (the traceback only at NOC_LOG_LEVEL=DEBUG), never as a Python traceback.

    Once the command has printed, the process ends at once (`_exit_now`): the interpreter's own
    finalisation (tearing down every module and the objects they hold) took 0.4-0.8 s after
    `noc ask` had printed its answer on a busy machine, time the user waited for the prompt.
    """
    try:
        _main()
    except SystemExit as exc:
        _exit_now(exc.code)
    _exit_now(0)


def _exit_now(code: object) -> None:
    """Exit with `code` as `sys.exit` would, minus the interpreter's finalisation: output is
    flushed, non-daemon threads joined (as the interpreter does), logging shut down and the atexit
    handlers run (the lab's temporary directory is removed) first; then os._exit."""
    import atexit
    import logging
    import threading

    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message") prints the message and exits 1
        print(code, file=sys.stderr)
        status = 1
    try:
        sys.stdout.flush()
    except (OSError, ValueError):  # a closed pipe (noc ask | head): nothing left to tell
        status = status or 1
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    logging.shutdown()
    atexit._run_exitfuncs()
    os._exit(status)


def _main() -> None:
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
        detail = mask_credentials(str(exc).splitlines()[0]) if str(exc) else ""
        click.echo(f"noc: {type(exc).__name__}{': ' + detail if detail else ''} (NOC_LOG_LEVEL=DEBUG shows the traceback)", err=True)
        sys.exit(1)
    if isinstance(code, int) and code:  # ctx.exit(n) in non-standalone mode is returned, not raised
        sys.exit(code)


if __name__ == "__main__":
    main()
