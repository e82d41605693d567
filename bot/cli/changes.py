"""`noc change list|show|approve|reject|propose` and `noc lab reset`: the change desk at a terminal.

Same rules as Slack (agents.changes.rules): the CLI user is $NOC_USER or the login name, and their
role comes from the same `access` section (user patterns; Slack user groups cannot be resolved
here). An approval from the terminal applies the change in this process and prints each step.
"""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import click

from agents.changes.models import ChangeProposal
from agents.lab import UnknownScenarioError, get_scenario
from agents.lab.stateful import reset_scenario
from agents.network.inventory import InventoryError
from agents.tools import build_toolbox
from bot.access import AccessControl
from bot.changes.desk import ChangeDesk
from bot.config.settings import ConfigError, Settings, load_settings
from bot.store import Store, StoreError

USER_ENV = "NOC_USER"


def cli_user() -> str:
    return os.environ.get(USER_ENV) or getpass.getuser()


def _settings(ctx: click.Context) -> Settings:
    try:
        return load_settings((ctx.find_root().obj or {}).get("config_path"))
    except ConfigError as exc:
        raise click.UsageError(f"configuration error: {exc}") from None


async def _with_desk(settings: Settings, work: Any) -> Any:
    try:
        return await _desk_work(settings, work)
    except StoreError as exc:  # unreachable, not a database, newer schema: one line, exit 2
        raise click.UsageError(f"store error: {exc}") from None
    except InventoryError as exc:
        raise click.UsageError(f"configuration error: {exc}") from None


async def _desk_work(settings: Settings, work: Any) -> Any:
    toolbox = build_toolbox(settings.network, settings.audit, settings.thresholds, inventory=settings.inventory)
    try:
        store = await Store.from_config(settings.store).open()
    except BaseException:
        toolbox.gateway.close()
        raise
    jobs: list[Awaitable[None]] = []
    desk = ChangeDesk(settings, None, store, toolbox, lambda job, name: jobs.append(job))
    try:
        result = await work(desk)
        for job in jobs:  # an approval's apply run: finish it before the process ends
            await job
        return result
    finally:
        desk.engine.close()
        toolbox.gateway.close()
        await store.close()


def _line(p: ChangeProposal) -> str:
    return f"{p.id}  {p.state:<15} {p.device:<16} {p.kind or '-':<12} {p.requester or '-':<10} {p.intent[:60]}"


def _show(p: ChangeProposal) -> str:
    checks = "\n".join(f"  [{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in p.prechecks)
    diff = "\n".join(f"  {line}" for line in p.diff) or "  (none)"
    return (f"{p.id} on {p.device} ({p.os}): {p.state}\nintent: {p.intent}\nkind: {p.kind}  risk: {p.risk}  "
            f"confidence: {p.confidence:.2f} ({p.automation})\n"
            + (f"risk reasons: {'; '.join(p.risk_reasons)}\n" if p.risk_reasons else "")
            + f"requested by: {p.requester}  approved by: {p.approver}\n"
            f"diff (redacted, hash {p.diff_hash[:8]}):\n{diff}\n"
            + (("impact (predicted from current counters and tables):\n" + "\n".join(f"  - {line.strip()}" for line in p.impact) + "\n")
               if p.impact else "")
            + f"pre-checks:\n{checks}" + (f"\nreason: {p.reason}" if p.reason else ""))


@click.group("change")
def change() -> None:
    """Human-approved configuration changes (see README, "Changes")."""


@change.command("list")
@click.option("--state", default=None, help="Only proposals in this state (pending, confirmed, ...).")
@click.pass_context
def change_list(ctx: click.Context, state: str | None) -> None:
    proposals = asyncio.run(_with_desk(_settings(ctx), lambda desk: desk.store.changes(state=state)))
    for p in proposals:
        click.echo(_line(p))
    if not proposals:
        click.echo("no change proposals")


@change.command("show")
@click.argument("change_id")
@click.pass_context
def change_show(ctx: click.Context, change_id: str) -> None:
    async def work(desk: ChangeDesk) -> tuple[ChangeProposal | None, list[dict[str, Any]]]:
        return await desk.store.change(change_id), await desk.store.change_events(change_id)
    proposal, events = asyncio.run(_with_desk(_settings(ctx), work))
    if proposal is None:
        raise click.UsageError(f"no change {change_id}")
    click.echo(_show(proposal))
    for e in events:
        click.echo(f"  {e['at']:.0f} {e['step']:<12} {e['actor'] or '-':<10} {e['detail']}")


def _decide(ctx: click.Context, change_id: str, approve: bool) -> None:
    settings = _settings(ctx)
    user = cli_user()

    async def work(desk: ChangeDesk) -> str:
        role = await AccessControl(settings.access).role_of(user, None)
        reply = await desk.decide(change_id, user=user, role=role, approve=approve, from_cli=True)
        return str(reply)
    reply = asyncio.run(_with_desk(settings, work))
    click.echo(reply)
    after = asyncio.run(_with_desk(settings, lambda desk: desk.store.change(change_id)))
    if after is not None and approve and after.state not in ("pending",):
        click.echo(f"{after.id}: {after.state}" + (f" ({after.reason})" if after.reason else ""))


@change.command("approve")
@click.argument("change_id")
@click.pass_context
def change_approve(ctx: click.Context, change_id: str) -> None:
    """Approve CHANGE_ID as $NOC_USER and apply it (merge, compare, commit, post-check, confirm)."""
    _decide(ctx, change_id, True)


@change.command("reject")
@click.argument("change_id")
@click.pass_context
def change_reject(ctx: click.Context, change_id: str) -> None:
    _decide(ctx, change_id, False)


@change.command("propose")
@click.argument("device")
@click.option("--lines", "lines_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file with the configuration lines, indented as on the device.")
@click.option("--intent", default=None, help="Why (shown to the approver).")
@click.pass_context
def change_propose(ctx: click.Context, device: str, lines_file: Path, intent: str | None) -> None:
    """Propose LINES for DEVICE; they must fit an allowed change kind's grammar."""
    settings = _settings(ctx)
    user = cli_user()
    lines = lines_file.read_text().splitlines()

    async def work(desk: ChangeDesk) -> ChangeProposal | None:
        role = await AccessControl(settings.access).role_of(user, None)
        if not desk.active:
            raise click.UsageError("changes are disabled (changes.enabled); they are on by default only on the lab")
        if role is None or role == "viewer" or (settings.changes.requester_role == "admin" and role != "admin"):
            raise click.UsageError(f"{user} may not request changes (needs {settings.changes.requester_role})")
        if device not in {d.name for d in desk.engine.toolbox.inventory}:
            raise click.UsageError(f"unknown device {device}")
        proposal = await desk.engine.propose(device, intent=intent or f"lines from {lines_file.name}", source="cli",
                                             lines=lines, requester=user, role=role)
        if proposal is not None:
            await desk.publish(proposal, None, None)
        return proposal
    proposal = asyncio.run(_with_desk(settings, work))
    if proposal is None:
        raise click.UsageError("no change could be made from those lines")
    click.echo(_show(proposal))
    if proposal.state == "refused":
        raise SystemExit(1)


@click.command("reset")
@click.argument("scenario", required=False)
@click.pass_context
def lab_reset(ctx: click.Context, scenario: str | None) -> None:
    """Restore the lab SCENARIO (default: the configured one) as shipped, undoing committed changes."""
    name = scenario or _settings(ctx).network.scenario
    try:
        get_scenario(name)
    except UnknownScenarioError as exc:
        raise click.UsageError(str(exc)) from None
    reset_scenario(name)
    click.echo(f"lab scenario {name} restored")
