"""Posting a report to Slack: one message that shows progress and becomes the report.

The message is posted first ("reading 120/500 devices", edited at most once per interval) so a
long sweep is visibly alive, then replaced by the report itself. The chart and the full report
go into its thread with `files_upload_v2`. Each post is retried with backoff on its own, so a
Slack hiccup neither loses a computed report nor posts a piece twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from bot.report.blocks import render_progress, render_report
from bot.report.build import ReportSources, build_report
from bot.report.chart import render_chart
from bot.report.model import HealthReport
from bot.report.text import progress_text, render_text

log = logging.getLogger(__name__)


class ReportPublisher:
    """Builds a report from `sources` and posts it to a channel (or into a thread)."""

    def __init__(self, client: Any, sources: ReportSources, *, interval_s: float = 1.0, attempts: int = 6,
                 backoff_s: float = 1.0) -> None:
        self.client = client
        self.sources = sources
        self.interval_s = interval_s
        self.attempts = attempts
        self.backoff_s = backoff_s

    async def _deliver(self, call: Callable[[], Awaitable[Any]]) -> Any:
        async for attempt in AsyncRetrying(stop=stop_after_attempt(self.attempts), reraise=True,
                                           wait=wait_exponential(multiplier=self.backoff_s, max=30 * self.backoff_s)):
            with attempt:
                return await call()

    async def publish(self, channel: str, *, kind: str = "on-demand", day: str | None = None,
                      thread_ts: str | None = None) -> tuple[HealthReport, str | None]:
        """Build and post; returns the report and the ts of its message."""
        title = f"NOC daily health report {day}" if kind == "daily" else "NOC health report"
        text, blocks = render_progress(title, f"sweeping {len(self.sources.toolbox.inventory)} devices")
        ts: str | None = None
        try:
            ts = (await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks))["ts"]
        except Exception:  # the report still comes; only the live progress is lost
            log.warning("report progress message refused in %s", channel, exc_info=True)
        latest: list[str] = []
        updater = asyncio.create_task(self._show_progress(channel, ts, title, latest)) if ts else None

        def progress(phase: str, done: int, total: int) -> None:
            latest[:] = [progress_text(phase, done, total)]

        try:
            report = await build_report(self.sources, kind=kind, day=day, progress=progress)
        except BaseException as exc:
            if updater is not None:
                updater.cancel()
            if ts is not None and not isinstance(exc, asyncio.CancelledError):
                await self._quietly(self.client.chat_update(channel=channel, ts=ts, text=f"{title}: failed",
                                                            blocks=render_progress(title, f"the report failed ({type(exc).__name__}); see the bot's log")[1]))
            raise
        finally:
            if updater is not None:
                updater.cancel()
        await self.post(report, channel, ts=ts, thread_ts=thread_ts)
        return report, ts

    async def post(self, report: HealthReport, channel: str, *, ts: str | None = None, thread_ts: str | None = None) -> str:
        """Put a built report in `channel`: into message `ts` if given, the chart and the full text in its thread."""
        text, blocks = render_report(report)
        if ts is not None:
            await self._deliver(lambda: self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))
        else:
            ts = (await self._deliver(lambda: self.client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                                                           text=text, blocks=blocks)))["ts"]
        thread = thread_ts or ts
        png = await asyncio.to_thread(render_chart, report.agents)
        await self._deliver(lambda: self.client.files_upload_v2(
            channel=channel, thread_ts=thread, file=png, filename=report.chart_filename,
            title="Agent success rate and p95 latency, last 7 days"))
        await self._deliver(lambda: self.client.files_upload_v2(
            channel=channel, thread_ts=thread, content=render_text(report), filename=f"noc-health-{report.day}.md",
            title=f"{report.title} (full)"))
        return ts

    async def _show_progress(self, channel: str, ts: str, title: str, latest: list[str]) -> None:
        """Edit the message with the newest progress at most once per interval."""
        shown = None
        while True:
            await asyncio.sleep(self.interval_s)
            line = latest[0] if latest else None
            if line is not None and line != shown:
                shown = line
                text, blocks = render_progress(title, line)
                await self._quietly(self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    @staticmethod
    async def _quietly(job: Awaitable[Any]) -> None:
        try:
            await job
        except Exception:
            log.warning("a report progress edit failed", exc_info=True)
