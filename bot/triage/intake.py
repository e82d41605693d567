"""Alert groups become triage threads: one thread per group, investigated at once, kept up to date.

Lifecycle, keyed by the group's stable key (stored as the alert's fingerprint):
- a new firing group opens a thread in `alerts.channel` and starts an investigation by the
  supervisor; the answer (severity, confidence) lands in that thread;
- the same group while firing updates that thread, never opens another (Alertmanager re-sends a
  group every `repeat_interval`; a repeat with nothing new posts nothing);
- a resolved notification marks the thread resolved;
- a group that fires again within `alerts.flap_window_s` of resolving is a flap: the same thread
  says so, counts it, and no second investigation starts;
- at most `alerts.max_investigations_per_minute` investigations start per minute; the rest wait
  in a queue and their threads say so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from agents.models import Request, cut_question
from bot.triage.payloads import AlertGroup
from bot.views.text import code_span, escape

log = logging.getLogger(__name__)

_SEVERITY_EMOJI = {"critical": ":red_circle:", "high": ":large_orange_circle:", "warning": ":large_yellow_circle:",
                   "medium": ":large_yellow_circle:", "low": ":white_circle:", "info": ":white_circle:"}


class InvestigationLimiter:
    """At most `per_minute` starts in any 60 s window (clock injected for tests)."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._starts: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self._starts and now - self._starts[0] >= 60.0:
            self._starts.popleft()

    def try_start(self) -> bool:
        now = self.clock()
        self._trim(now)
        if len(self._starts) < self.per_minute:
            self._starts.append(now)
            return True
        return False

    def wait_s(self) -> float:
        now = self.clock()
        self._trim(now)
        return 0.0 if len(self._starts) < self.per_minute else max(0.0, 60.0 - (now - self._starts[0]))


class AlertTriage:
    def __init__(self, runtime: Any, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.runtime = runtime
        self.config = runtime.settings.alerts
        self.clock = clock
        self.sleep = sleep
        self.limiter = InvestigationLimiter(self.config.max_investigations_per_minute, clock)
        self.queue: deque[tuple[Request, AlertGroup, str, str]] = deque()
        self._worker: asyncio.Task | None = None
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def channel(self) -> str | None:
        return self.config.channel or self.runtime.settings.report.channel

    async def receive(self, group: AlertGroup) -> str:
        """Handle one notification; returns what happened (opened, queued, updated, flapping,
        resolved, repeat, ignored) for the HTTP answer and the tests."""
        lock = self._locks.setdefault(group.key, asyncio.Lock())
        async with lock:
            return await self._receive(group)

    async def _receive(self, group: AlertGroup) -> str:
        store = self.runtime.store
        known = await store.latest_alert(group.source, group.key, since=self.clock() - self.config.flap_window_s)
        if group.status == "resolved":
            if known is None or known["status"] == "resolved":
                return "ignored"
            await store.update_alert(known["id"], status="resolved", payload={**known["payload"], "resolved_at": self.clock()})
            await self._post(known, f":white_check_mark: *Resolved*: {escape(group.name)}" + (f" on {escape(group.device)}" if group.device else ""))
            return "resolved"
        if known is not None:
            payload = dict(known["payload"])
            if known["status"] == "resolved":
                payload["flaps"] = int(payload.get("flaps", 0)) + 1
                await store.update_alert(known["id"], status="open", payload=payload)
                await self._post(known, f":repeat: *Firing again* (flap {payload['flaps']}): {escape(group.name)}; "
                                        "grouped in this thread, no new investigation")
                return "flapping"
            if group.firing != int(payload.get("firing", 0)):
                payload["firing"] = group.firing
                await store.update_alert(known["id"], payload=payload)
                await self._post(known, f":bell: Still firing: {group.firing} alert(s) in this group now")
                return "updated"
            return "repeat"
        return await self._open(group)

    async def _open(self, group: AlertGroup) -> str:
        if not self.channel:
            log.warning("alert %s received but no alerts.channel or report.channel is set; stored only", group.name)
            await self.runtime.store.open_alert(source=group.source, name=group.name, summary=group.summary, severity=group.severity,
                                                fingerprint=group.key, payload=group.model_dump())
            return "stored"
        emoji = _SEVERITY_EMOJI.get((group.severity or "").lower(), ":rotating_light:")
        text = f"{emoji} *{escape(group.name)}*" + (f" on `{code_span(group.device)}`" if group.device else "") + \
               (f" ({escape(group.severity)})" if group.severity else "") + f": {escape(group.summary or 'no summary')}"
        root = await self.runtime.client.chat_postMessage(channel=self.channel, text=text)
        request = self._request(group)
        await self.runtime.store.open_alert(source=group.source, name=group.name, summary=group.summary, severity=group.severity,
                                            fingerprint=group.key, payload={**group.model_dump(), "flaps": 0, "request_id": request.id},
                                            channel=self.channel, thread_ts=root["ts"])
        if self.limiter.try_start():
            self._investigate(request, group, self.channel, root["ts"])
            return "opened"
        self.queue.append((request, group, self.channel, root["ts"]))
        await self.runtime.client.chat_postMessage(
            channel=self.channel, thread_ts=root["ts"],
            text=f":hourglass: Queued: {len(self.queue)} investigation(s) waiting (at most "
                 f"{self.config.max_investigations_per_minute} start per minute).")
        self._ensure_worker()
        return "queued"

    def _request(self, group: AlertGroup) -> Request:
        question, truncated = cut_question(group.question())
        return Request(question=question, truncated=truncated, channel=self.channel, role=self.config.triage_role)

    def _investigate(self, request: Request, group: AlertGroup, channel: str, thread_ts: str) -> None:
        from bot.runtime import Origin  # the runtime owns answering; imported late to keep this module light

        origin = Origin(source="alert", user=None, channel=channel, thread_ts=thread_ts)
        self.runtime.spawn(self.runtime.answer_question(request, origin, required_role=self.config.triage_role),
                           name=f"alert:{group.key}")

    def _ensure_worker(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = self.runtime.spawn(self._drain(), name="alert-queue")

    async def _drain(self) -> None:
        while self.queue:
            wait = self.limiter.wait_s()
            if wait > 0:
                await self.sleep(wait)
                continue
            if self.limiter.try_start():
                request, group, channel, thread_ts = self.queue.popleft()
                self._investigate(request, group, channel, thread_ts)

    async def _post(self, known: dict, text: str) -> None:
        if known.get("channel") and known.get("thread_ts"):
            await self.runtime.client.chat_postMessage(channel=known["channel"], thread_ts=known["thread_ts"], text=text)
