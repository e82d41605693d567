"""What every `noc` command shares: one-line usage errors, one-line logs, lazily imported
subcommands, and the settings and toolbox a command runs with.

Every user mistake (bad config, unknown device or scenario, bad arguments) ends with one
readable line on stderr and exit status 2, through `fail`; no traceback reaches the terminal.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from agents.lab import UnknownScenarioError, get_scenario
from agents.network.inventory import InventoryError
from agents.tools import build_toolbox
from agents.tools.audit import AuditRulesError
from agents.tools.network import Toolbox
from bot.config.env import EnvError, apply_secret_files
from bot.config.secret_mask import mask_credentials
from bot.config.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:  # imported when used: offline commands do not load SQLAlchemy
    from bot.store import Store

T = TypeVar("T")


class UsageProblem(click.UsageError):
    """A usage error whose message is already complete (exit 2)."""


def fail(message: str) -> NoReturn:
    raise UsageProblem(mask_credentials(message))


class LazyGroup(click.Group):
    """A group whose heavier subcommands are imported only when they are run (or listed in
    help): `noc --help` and offline commands should not pay for SQLAlchemy or the Claude SDK."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
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


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    if "settings" not in obj:
        try:
            obj["settings"] = load_settings(obj["config_path"])
            creds = obj["settings"].network.credentials  # device credential variables may be given as *_FILE too
            apply_secret_files(Settings, also=(creds.username_env, creds.password_env))
        except (ConfigError, EnvError) as exc:
            fail(f"configuration error: {exc}")
    settings: Settings = obj["settings"]
    return settings


def toolbox_of(ctx: click.Context, scenario: str | None) -> Toolbox:
    settings = settings_of(ctx)
    if scenario is not None:
        if settings.network.inventory is not None or settings.inventory.source != "file":
            fail("--scenario applies to the embedded lab only; this config reads real devices "
                 f"({'inventory.source: ' + settings.inventory.source if settings.inventory.source != 'file' else 'network.inventory'})")
        try:
            get_scenario(scenario)
        except UnknownScenarioError as exc:
            fail(str(exc))
    try:
        return build_toolbox(settings.network, settings.audit, settings.thresholds, scenario=scenario, inventory=settings.inventory,
                             mcp_servers=settings.mcp_servers)
    except (InventoryError, AuditRulesError) as exc:
        fail(f"configuration error: {exc}")


def parse_on_the_loop() -> None:
    """For a one-shot command's sweep (`noc health`, `noc audit --all`): compute parse-cache misses
    on the event loop instead of in a worker thread. The thread exists so a running bot's loop
    stays free for Slack acks; a CLI process has nobody waiting on its loop, and at thousands of
    devices the thread hand-overs (GIL and self-pipe wake-ups) cost about a tenth of the CPU (issue 27)."""
    from agents.network.parse_cache import PARSES

    PARSES.offload = "inline"


def complete_scenario(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    from agents.lab import scenario_names

    return [name for name in scenario_names() if name.startswith(incomplete)]


scenario_option = click.option("--scenario", "-s", default=None, help="Lab fault scenario (see `noc lab scenarios`).",
                               shell_complete=complete_scenario)


def since_option(text: str | None) -> float | None:
    from bot.cli.history import parse_since

    if text is None:
        return None
    try:
        return parse_since(text, time.time())
    except ValueError as exc:
        fail(str(exc))


def from_store(settings: Settings, read: Callable[[Store], Awaitable[T]]) -> T:
    """Open the configured store, run one read, close; a store problem is one line and exit 2."""
    from bot.store import Store, StoreError

    async def run() -> T:
        store = await Store.from_config(settings.store).open()
        try:
            return await read(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except StoreError as exc:
        fail(f"store error: {exc}")
