"""`noc metrics`, `noc health`, `noc requests` and `noc audit-log`: what a running bot and its
store say about the network, the agents and who asked what."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import click

from bot.cli.support import fail, from_store, parse_on_the_loop, scenario_option, settings_of, since_option, toolbox_of


@click.command("metrics")
@click.option("--url", default=None, help="The bot's /metrics URL (default: http://127.0.0.1:<server.port>/metrics).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.pass_context
def metrics_cmd(ctx: click.Context, url: str | None, as_csv: bool) -> None:
    """Per-agent-instance table of a running bot's metrics (tasks, failures, latency, tokens, health)."""
    from bot.cli.metrics_report import MetricsUnavailable, fetch, render_csv, render_table, rows_from

    url = url or f"http://127.0.0.1:{settings_of(ctx).server.port}/metrics"
    try:
        rows = rows_from(fetch(url))
    except MetricsUnavailable as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(render_csv(rows) if as_csv else render_table(rows))


# -- noc health ---------------------------------------------------------------------------------


@click.command("health")
@scenario_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--post", "post_channel", default=None, metavar="CHANNEL",
              help="Also post it to this Slack channel id, like the daily report (needs SLACK_BOT_TOKEN).")
@click.option("--progress/--no-progress", "show_progress", default=False,
              help="Progress on stderr even when stderr is not a terminal (on a terminal it is shown anyway).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_context
def health_cmd(ctx: click.Context, scenario: str | None, as_json: bool, post_channel: str | None, show_progress: bool, quiet: bool) -> None:
    """The health report of /noc-health and the daily job: alerts, every device worst first,
    what changed since the last report, agent health from the store."""
    from bot.cli.progress import progress_for
    from bot.report.command import health_report
    from bot.report.text import render_text
    from bot.store import StoreError

    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if post_channel is not None and not token.startswith("xoxb-"):
        fail("--post needs SLACK_BOT_TOKEN (the bot token, xoxb-...) in the environment")
    settings = settings_of(ctx)
    toolbox = toolbox_of(ctx, scenario)
    parse_on_the_loop()
    try:
        report = asyncio.run(health_report(settings, toolbox, post_channel=post_channel, bot_token=token,
                                           progress=progress_for(quiet, show_progress)))
    except StoreError as exc:
        fail(f"store error: {exc}")
    click.echo(report.model_dump_json(indent=2) if as_json else render_text(report))
    if report.network.unreachable:
        sys.exit(1)


@click.command("requests")
@click.option("--status", type=click.Choice(["received", "running", "answered", "failed", "interrupted"]), default=None,
              help="Only requests in this state.")
@click.option("--since", default=None, help="Only requests received since: 24h, 30m, 7d, or a date (UTC) such as 2026-11-01.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def requests_cmd(ctx: click.Context, status: str | None, since: str | None, limit: int, as_json: bool) -> None:
    """Requests the bot received, newest first: status, who, where, time taken, tokens, question."""
    from bot.cli.history import render_requests, request_json

    start = since_option(since)
    rows = from_store(settings_of(ctx), lambda store: store.requests(status=status, since=start, limit=limit))
    click.echo(json.dumps([request_json(r) for r in rows], indent=2) if as_json else render_requests(rows))


@click.command("audit-log")
@click.option("--since", default=None, help="Only events since: 24h, 30m, 7d, or a date (UTC) such as 2026-11-01.")
@click.option("--user", default=None, help="Only this Slack user id.")
@click.option("--limit", type=click.IntRange(1, 100000), default=1000, show_default=True, help="At most this many (the newest).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def audit_log_cmd(ctx: click.Context, since: str | None, user: str | None, limit: int, as_json: bool) -> None:
    """Access decisions and button clicks, oldest first: who, where, what, allowed or denied and why."""
    from bot.cli.history import audit_json, render_audit

    start = since_option(since)
    rows = from_store(settings_of(ctx), lambda store: store.audit_events(since=start, user=user, limit=limit))
    click.echo(json.dumps([audit_json(r) for r in rows], indent=2) if as_json else render_audit(rows))
