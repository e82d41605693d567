"""`noc lab` and `noc audit`: the embedded lab and configuration audits, printed as text or JSON;
a device that cannot be read makes the exit status 1. (`noc tool` is `bot.cli.tool`.)"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import click

from agents.lab import UnknownScenarioError, get_scenario, list_scenarios
from agents.network.inventory import UnknownDeviceError
from agents.tools.audit_schema import RISK_SCALE
from agents.tools.network import Toolbox
from agents.tools.results import SecurityScan
from bot.cli.audit_report import render_audit_text
from bot.cli.complete import complete_device
from bot.cli.progress import DeviceProgress, progress_for
from bot.cli.support import LazyGroup, fail, parse_on_the_loop, scenario_option, settings_of, toolbox_of


@click.group(cls=LazyGroup, lazy={"reset": "bot.cli.changes:lab_reset|Restore a lab scenario as shipped (undoes applied changes)."})
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
        fail(str(exc))
    token = os.environ.get(TOKEN_ENV)
    if not token:
        fail(f"{TOKEN_ENV} is not set: use the token the bot was started with")
    target = url or f"http://127.0.0.1:{settings_of(ctx).server.port}/alerts/alertmanager"
    try:
        status, body = send(target, token, scenario_payload(found, "resolved" if resolved else "firing"))
    except OSError as exc:
        fail(f"cannot reach the bot at {target}: {getattr(exc, 'reason', exc)}")
    if status >= 300:
        fail(f"the bot answered {status}: {body[:300]}")
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


@click.command()
@click.argument("device", required=False, shell_complete=complete_device)
@click.option("--all", "all_devices", is_flag=True, help="Audit every inventory device.")
@scenario_option
@click.option("--tag", "tags", multiple=True, type=click.Choice(["cis", "pci", "soc2"]), help="Only rules with this compliance tag (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--progress/--no-progress", "show_progress", default=False,
              help="Progress of --all on stderr even when stderr is not a terminal (on a terminal it is shown anyway).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_context
def audit(ctx: click.Context, device: str | None, all_devices: bool, scenario: str | None, tags: tuple[str, ...], as_json: bool,
          show_progress: bool, quiet: bool) -> None:
    """Audit device configuration against the hardening rules, worst findings first."""
    if bool(device) == all_devices:
        fail("name one DEVICE or pass --all (e.g. `noc audit edge-rtr-01` or `noc audit --all`)")
    toolbox = toolbox_of(ctx, scenario)
    if device:
        try:
            toolbox.inventory.get(device)
        except UnknownDeviceError as exc:
            fail(str(exc))
    names = [device] if device else toolbox.inventory.names
    progress = progress_for(quiet or not all_devices, show_progress)
    parse_on_the_loop()
    scans = asyncio.run(_scan_all(toolbox, names, list(tags) or None, progress))
    if as_json:
        click.echo(json.dumps({"risk_scale": RISK_SCALE, "devices": [s.model_dump(mode="json") for s in scans]}, indent=2))
    else:
        click.echo(render_audit_text(scans))
    if not all(s.ok for s in scans):
        sys.exit(1)


async def _scan_all(toolbox: Toolbox, names: list[str], tags: list[str] | None,
                    progress: DeviceProgress | None) -> list[SecurityScan]:
    try:
        return await toolbox.audit_devices(names, tags, progress)
    finally:
        toolbox.gateway.close()
