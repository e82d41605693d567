"""Live alerts: a circuit breaker that opens, an agent under the success-rate floor.

A breaker that opens at night must not wait for someone to run `/noc-health`. The engine
reports every breaker transition to `Resilience.listeners`; this module listens (agents keep
knowing nothing of Slack) and, in order, per transition:

- stores it as `<breaker>@<replica>` so the daily report sees every replica's history;
- posts ONE message to `alerts.channel` when a breaker opens (an open episode, however many
  failures or failed trial calls it contains), edits that message while it is half-open or open
  again, and edits it a last time when the breaker closes: "recovered after 4 min".

The listener only enqueues (it may run under a breaker's lock); one worker task does the
Slack and store work, so transitions are handled in the order they happened. Agent success
rates are judged from the store every minute by whichever replica claims that minute, so an
agent falling under `alerts.min_success_rate` is announced once, and its recovery too. Every
alert is stored (`alerts` table) with its Slack message, open until it ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.web.async_client import AsyncWebClient

from agents.resilience.guard import BreakerEvent, Resilience
from bot.config.settings import Settings
from bot.report.agent_health import per_agent
from bot.report.fmt import duration, local_time, pct
from bot.report.model import AgentRow, AgentWindow
from bot.slack.blocks import escape
from bot.store import Store

log = logging.getLogger(__name__)

BREAKER = "breaker"
SUCCESS = "agent-success"
WATCH_WINDOW_S = 3600.0
_STOP = object()


@dataclass
class _Episode:
    alert_id: int | None
    ts: str | None
    opened_at: float
    reason: str
    reopened: int = 0


def _section(text: str) -> list[dict[str, Any]]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]


class LiveAlerts:
    def __init__(self, settings: Settings, client: AsyncWebClient, store: Store, resilience: Resilience, *, clock: Callable[[], float] = time.time) -> None:
        self.channel: str | None = settings.alerts.channel or settings.report.channel
        self.floor = settings.alerts.min_success_rate
        self.min_runs = settings.alerts.min_runs
        self.tz = ZoneInfo(settings.report.timezone)
        self.client = client
        self.store = store
        self.clock = clock
        self.episodes: dict[str, _Episode] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: asyncio.Task[None] | None = None
        resilience.listeners.append(self.on_transition)

    # -- breaker transitions ------------------------------------------------------------------

    def on_transition(self, event: BreakerEvent) -> None:
        """Resilience listener: enqueue and return (thread-safe; the worker does the rest)."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is not None and running is not self._loop:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)
        else:
            self._queue.put_nowait(event)

    def start(self) -> None:
        if self._worker is None:
            self._loop = asyncio.get_running_loop()
            self._worker = asyncio.create_task(self._work(), name="live-alerts")

    async def drain(self) -> None:
        """Until every transition heard so far has been handled (tests, shutdown)."""
        await self._queue.join()

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Handle what is queued, then mark episodes still open as ended by the stop."""
        if self._worker is None:
            return
        self._queue.put_nowait(_STOP)
        try:
            await asyncio.wait_for(asyncio.shield(self._worker), timeout_s)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._worker.cancel()
        self._worker = None
        for name in list(self.episodes):
            await self._quietly(self._stopped(name))

    async def _work(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                if event is _STOP:
                    return
                await self._handle(event)
            except Exception:  # one failed post or write must not stop the alerts that follow
                log.exception("live alert for %s failed", getattr(event, "name", event))
            finally:
                self._queue.task_done()

    async def _handle(self, e: BreakerEvent) -> None:
        await self._quietly(self.store.record_breaker_transition(f"{e.name}@{self.store.owner}", e.old, e.new, e.reason, at=e.at))
        episode = self.episodes.get(e.name)
        if e.new == "open" and episode is None:
            await self._opened(e)
        elif episode is None:
            return  # a breaker that half-opens or closes without an alert of ours (opened before start-up)
        elif e.new == "closed":
            await self._closed(e, episode)
        else:
            episode.reopened += e.new == "open"
            state = "half-open: one trial call is let through" if e.new == "half_open" else f"open again: {e.reason}"
            await self._edit(episode, self._text(e.name, episode, f":large_orange_circle: {state}"))

    def _text(self, name: str, ep: _Episode, now_line: str) -> str:
        return (f":rotating_light: *Circuit breaker {escape(name)} opened* at {local_time(ep.opened_at, self.tz)}\n"
                f"why: {escape(ep.reason)}\n{now_line}"
                + ("\nThe LLM provider is unavailable: answers come from the offline analyst meanwhile." if name == "llm-provider" else ""))

    async def _opened(self, e: BreakerEvent) -> None:
        episode = self.episodes[e.name] = _Episode(alert_id=None, ts=None, opened_at=e.at, reason=e.reason)
        text = self._text(e.name, episode, ":red_circle: open now")
        episode.ts = await self._post(text)
        episode.alert_id = await self.store.open_alert(
            source=BREAKER, name=e.name, severity="critical" if e.name == "llm-provider" else "high",
            fingerprint=f"breaker:{e.name}@{self.store.owner}", summary=f"opened: {e.reason}", at=e.at,
            payload={"reason": e.reason, "opened_at": e.at}, channel=self.channel if episode.ts else None, thread_ts=episode.ts)

    async def _closed(self, e: BreakerEvent, episode: _Episode) -> None:
        del self.episodes[e.name]
        took = duration(e.at - episode.opened_at)
        trials = f" ({episode.reopened} failed trial call(s))" if episode.reopened else ""
        text = (f":white_check_mark: *Circuit breaker {escape(e.name)} recovered after {took}*{trials}\n"
                f"opened at {local_time(episode.opened_at, self.tz)} ({escape(episode.reason)}), "
                f"closed at {local_time(e.at, self.tz)}")
        await self._edit(episode, text)
        if episode.alert_id is not None:
            await self.store.update_alert(episode.alert_id, status="resolved", summary=f"recovered after {took}",
                                          payload={"reason": episode.reason, "opened_at": episode.opened_at, "closed_at": e.at,
                                                   "duration_s": e.at - episode.opened_at, "failed_trials": episode.reopened})

    async def _stopped(self, name: str) -> None:
        episode = self.episodes.pop(name)
        now = self.clock()
        await self.store.record_breaker_transition(f"{name}@{self.store.owner}", "open", "stopped", "the bot stopped", at=now)
        await self._edit(episode, self._text(name, episode, ":black_square_for_stop: the bot stopped while the breaker was open"))
        if episode.alert_id is not None:
            await self.store.update_alert(episode.alert_id, status="ended", summary="the bot stopped while it was open")

    # -- agent success rates ------------------------------------------------------------------

    async def check_success_rates(self, now: float | None = None) -> None:
        """Post an alert for each agent newly under the floor over the last hour; resolve those
        back above it (or without runs). Driven by the store, so any one replica may run it."""
        now = self.clock() if now is None else now
        rows = [AgentRow(agent=s["agent"], instance=s["instance"], last_24h=AgentWindow(runs=s["runs"], success_rate=s["success_rate"]))
                for s in await self.store.agent_stats(since=now - WATCH_WINDOW_S)]
        rates = per_agent(rows)
        low = {a: w for a, w in rates.items() if w.runs >= self.min_runs and w.success_rate is not None and w.success_rate < self.floor}
        open_ = {row["name"]: row for row in await self.store.open_alerts(SUCCESS)}
        for agent, w in sorted(low.items()):
            if agent not in open_:
                text = (f":rotating_light: *Agent {escape(agent)} is under the success floor*: {pct(w.success_rate)} of "
                        f"{w.runs} runs in the last hour (floor {pct(self.floor)}), since {local_time(now, self.tz)}")
                ts = await self._post(text)
                await self.store.open_alert(source=SUCCESS, name=agent, severity="high", fingerprint=f"agent-success:{agent}",
                                            summary=f"{pct(w.success_rate)} of {w.runs} runs", at=now,
                                            payload={"success_rate": w.success_rate, "runs": w.runs, "since": now},
                                            channel=self.channel if ts else None, thread_ts=ts)
        for agent, row in open_.items():
            if agent in low:
                continue
            w = rates.get(agent, AgentWindow())
            took = duration(now - row["at"])
            now_text = f"{pct(w.success_rate)} of {w.runs} runs in the last hour" if w.runs else "no runs in the last hour"
            text = (f":white_check_mark: *Agent {escape(agent)} recovered after {took}*: {now_text} "
                    f"(was under {pct(self.floor)} since {local_time(row['at'], self.tz)})")
            await self._edit(_Episode(row["id"], row.get("thread_ts"), row["at"], ""), text, channel=row.get("channel"))
            await self.store.update_alert(row["id"], status="resolved", summary=f"recovered after {took}")

    # -- Slack ------------------------------------------------------------------------------

    async def _post(self, text: str) -> str | None:
        if self.channel is None:
            return None
        try:
            response = await self.client.chat_postMessage(channel=self.channel, text=_plain(text), blocks=_section(text))
            return str(response["ts"])
        except Exception:
            log.error("could not post a live alert to %s", self.channel, exc_info=True)
            return None

    async def _edit(self, episode: _Episode, text: str, channel: str | None = None) -> None:
        channel = channel or self.channel
        if channel is None:
            return
        if episode.ts is None:  # the first post failed: say it now rather than never
            episode.ts = await self._post(text)
            return
        try:
            await self.client.chat_update(channel=channel, ts=episode.ts, text=_plain(text), blocks=_section(text))
        except Exception:
            log.error("could not update live alert %s in %s", episode.ts, channel, exc_info=True)

    @staticmethod
    async def _quietly(job: Any) -> None:
        try:
            await job
        except Exception:
            log.error("live alerts: a store write failed", exc_info=True)


def _plain(text: str) -> str:
    """The notification text: first line, without mrkdwn stars."""
    return text.splitlines()[0].replace("*", "")
