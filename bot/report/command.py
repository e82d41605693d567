"""`noc health`: the same report from a shell, printed, as JSON, or posted to a channel.

No bot needs to run: the report reads the network itself and the history (breakers, agent
runs, previous sweeps) from the configured store, which is what a running bot writes. Breakers
"open now" are therefore the last state the bot recorded. Progress (`bot.cli.progress`) goes to stderr,
on a terminal only, so stdout stays clean for `--json`.
"""

from __future__ import annotations

from agents.tools.network import Toolbox
from bot.config.settings import Settings
from bot.report.build import ReportSources, build_report
from bot.report.model import HealthReport
from bot.report.sweep import Progress


async def health_report(settings: Settings, toolbox: Toolbox, *, post_channel: str | None = None,
                        bot_token: str | None = None, progress: Progress | None = None) -> HealthReport:
    """Build the report against the configured store; post it when a channel is given."""
    from bot.store import Store

    store = await Store.from_config(settings.store).open()
    try:
        report = await build_report(ReportSources(settings, store, toolbox), kind="on-demand", progress=progress)
        if post_channel is not None:
            from bot.report.post import ReportPublisher
            from bot.slack.client import web_client

            client = web_client(bot_token or "", settings.slack.api_url, settings.slack.max_rate_limit_retries)
            publisher = ReportPublisher(client, ReportSources(settings, store, toolbox),
                                        attempts=settings.slack.post_attempts, backoff_s=settings.slack.post_backoff_s)
            await publisher.post(report, post_channel)
        return report
    finally:
        toolbox.gateway.close()
        await store.close()
