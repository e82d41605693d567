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

Nothing accepted is lost (issue 22): the HTTP endpoint stores each notification in the alert
inbox before its 202 (`accept`), and its state follows the work: accepted (the alert row
exists) -> posted (the root, posted with the answers' retries and back-off) -> investigating
(the request id) -> done. A failed step gives the row back with a growing delay; a row whose
process died is freed by the heartbeat's sweep; `resume`, on every heartbeat of every replica,
claims unheld rows (one replica each) and carries on from the stored state.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential

from agents.models import Request, cut_question
from bot.config.settings import Settings
from bot.origin import Answering, Origin
from bot.slack.views.text import code_span, escape
from bot.triage.payloads import AlertGroup

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
    def __init__(self, runtime: Answering, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.runtime = runtime
        self.settings: Settings = runtime.settings
        self.config = self.settings.alerts
        self.clock = clock
        self.sleep = sleep
        self.limiter = InvestigationLimiter(self.config.max_investigations_per_minute, clock)
        self.queue: deque[tuple[Request, AlertGroup, str, str, int | None]] = deque()
        self._worker: asyncio.Task[None] | None = None
        self._locks: dict[str, asyncio.Lock] = {}
        self._active: set[int] = set()  # inbox rows this process is working on (their investigation included)
        slack = runtime.settings.slack
        self.post_attempts, self.post_backoff_s = slack.post_attempts, slack.post_backoff_s

    @property
    def channel(self) -> str | None:
        return self.config.channel or self.settings.report.channel

    async def accept(self, group: AlertGroup) -> int:
        """Store the notification before it is answered 202 (raises when the store cannot)."""
        return int(await self.runtime.store.accept_alert(group.key, group.model_dump()))

    async def receive(self, group: AlertGroup, inbox_id: int | None = None) -> str:
        """Handle one notification; returns what happened (opened, queued, updated, flapping,
        resolved, repeat, ignored, stored) for the HTTP answer and the tests. With an inbox row,
        its state follows each step, and a failure gives it back to be tried again (`resume`)."""
        return await self.process(group, {"id": inbox_id, "state": "accepted", "alert_id": None} if inbox_id else None)

    async def process(self, group: AlertGroup, row: dict[str, Any] | None) -> str:
        if row is not None:
            self._active.add(row["id"])
        outcome = "retry"
        try:
            outcome = await self._process(group, row)
            return outcome
        finally:
            if row is not None and outcome not in ("opened", "queued"):
                self._active.discard(row["id"])  # else when its investigation ends

    async def _process(self, group: AlertGroup, row: dict[str, Any] | None) -> str:
        lock = self._locks.setdefault(group.key, asyncio.Lock())
        async with lock:
            try:
                outcome = await self._resume(group, row) if row and (row["alert_id"] or row["state"] != "accepted") \
                    else await self._receive(group, row["id"] if row else None)
            except Exception:
                if row is None:
                    raise
                log.warning("alert %s: will try again (attempt %d)", group.name, int(row.get("attempts") or 0) + 1, exc_info=True)
                wait = min(300.0, max(1.0, self.post_backoff_s) * 2 ** int(row.get("attempts") or 0))
                await self.runtime.store.release_alert(row["id"], retry_at=self.runtime.store.clock() + wait)
                return "retry"
        if row is not None and outcome not in ("opened", "queued", "investigating"):
            await self.runtime.store.advance_alert(row["id"], "done", outcome=outcome)
        return outcome

    async def resume(self) -> int:
        """Notifications no live process holds (their holder died, or a post failed): take them
        and carry on from their stored state. Called on every heartbeat."""
        rows = await self.runtime.store.claim_alerts(active=frozenset(self._active))
        for row in rows:
            group = AlertGroup.model_validate(row["group"])
            log.warning("alert %s: resuming from state %s", group.name, row["state"])
            self.runtime.spawn(self.process(group, row), name=f"alert-resume:{row['id']}")
        return len(rows)

    async def _resume(self, group: AlertGroup, row: dict[str, Any]) -> str:
        """An opening interrupted after its alert row: post the root if it never was, then investigate."""
        alert = await self.runtime.store.alert_by_id(row["alert_id"]) if row["alert_id"] else None
        if alert is None:
            return await self._receive(group, row["id"])
        channel: str | None = alert.get("channel") or self.channel
        if not channel:  # the alerts and report channels were unset since: nowhere to post, as in _open
            log.warning("alert %s resumed but no alerts.channel or report.channel is set; stored only", group.name)
            return "stored"
        thread_ts = alert.get("thread_ts") or await self._post_root(group, row["id"], alert, channel)
        if row["state"] == "investigating" and row.get("request_id"):
            done = await self.runtime.store.request_row(row["request_id"])
            if done is not None and done["status"] in ("answered", "failed"):
                return "investigated"
            await self._say(channel, thread_ts, ":arrows_counterclockwise: The investigation of this alert was cut short "
                                                "when the bot stopped; investigating again.")
        request = self._request(group)
        await self.runtime.store.update_alert(alert["id"], payload={**alert["payload"], "request_id": request.id})
        return await self._start(request, group, channel, thread_ts, row["id"])

    async def _receive(self, group: AlertGroup, inbox_id: int | None = None) -> str:
        store = self.runtime.store
        known = await store.latest_alert(group.source, group.key, since=self.clock() - self.config.flap_window_s)
        if group.status == "resolved":
            if known is None or known["status"] == "resolved":
                return "ignored"
            await store.update_alert(known["id"], status="resolved", payload={**known["payload"], "resolved_at": self.clock()})
            await self._post(known, f":white_check_mark: *Resolved*: {escape(group.name)}" + (f" on {escape(group.device)}" if group.device else ""))
            await self.runtime.incidents.alert_resolved(known)
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
        return await self._open(group, inbox_id)

    async def _open(self, group: AlertGroup, inbox_id: int | None) -> str:
        store = self.runtime.store
        channel = self.channel
        if not channel:
            log.warning("alert %s received but no alerts.channel or report.channel is set; stored only", group.name)
            await store.open_alert(source=group.source, name=group.name, summary=group.summary, severity=group.severity,
                                   fingerprint=group.key, payload=group.model_dump())
            return "stored"
        # The alert row first (without its thread): a process killed from here on is resumed from it.
        request = self._request(group)
        alert_id = await store.open_alert(source=group.source, name=group.name, summary=group.summary, severity=group.severity,
                                          fingerprint=group.key, payload={**group.model_dump(), "flaps": 0, "request_id": request.id})
        if inbox_id is not None:
            await store.advance_alert(inbox_id, "accepted", alert_id=alert_id)
        thread_ts = await self._post_root(group, inbox_id, {"id": alert_id}, channel)
        return await self._start(request, group, channel, thread_ts, inbox_id)

    async def _post_root(self, group: AlertGroup, inbox_id: int | None, alert: dict[str, Any], channel: str) -> str:
        """The thread's root message in `channel`, with the answers' retries and back-off; stored with its ts."""
        emoji = _SEVERITY_EMOJI.get((group.severity or "").lower(), ":rotating_light:")
        text = f"{emoji} *{escape(group.name)}*" + (f" on `{code_span(group.device)}`" if group.device else "") + \
               (f" ({escape(group.severity)})" if group.severity else "") + f": {escape(group.summary or 'no summary')}"
        root = await self._with_retries(lambda: self.runtime.client.chat_postMessage(channel=channel, text=text))
        await self.runtime.store.update_alert(alert["id"], channel=channel, thread_ts=root["ts"])
        if inbox_id is not None:
            await self.runtime.store.advance_alert(inbox_id, "posted")
        return str(root["ts"])

    async def _with_retries(self, call: Callable[[], Awaitable[Any]]) -> Any:
        async for attempt in AsyncRetrying(stop=stop_after_attempt(self.post_attempts), reraise=True,
                                           wait=wait_exponential(multiplier=self.post_backoff_s, max=30 * self.post_backoff_s)):
            with attempt:
                return await call()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _start(self, request: Request, group: AlertGroup, channel: str, thread_ts: str, inbox_id: int | None) -> str:
        if self.limiter.try_start():
            await self._investigate(request, group, channel, thread_ts, inbox_id)
            return "opened"
        self.queue.append((request, group, channel, thread_ts, inbox_id))
        await self._say(channel, thread_ts, f":hourglass: Queued: {len(self.queue)} investigation(s) waiting (at most "
                                            f"{self.config.max_investigations_per_minute} start per minute).")
        self._ensure_worker()
        return "queued"

    def _request(self, group: AlertGroup) -> Request:
        question, truncated = cut_question(group.question())
        return Request(question=question, truncated=truncated, channel=self.channel, role=self.config.triage_role)

    async def _investigate(self, request: Request, group: AlertGroup, channel: str, thread_ts: str, inbox_id: int | None) -> None:

        origin = Origin(source="alert", user=None, channel=channel, thread_ts=thread_ts)
        if inbox_id is not None:
            await self.runtime.store.advance_alert(inbox_id, "investigating", request_id=request.id)

        async def investigate() -> None:
            try:
                answer = await self.runtime.answer_question(request, origin, required_role=self.config.triage_role)
                await self.runtime.incidents.after_alert(answer, group, channel, thread_ts)
                if inbox_id is not None:
                    await self.runtime.store.advance_alert(inbox_id, "done", outcome="investigated")
            finally:
                self._active.discard(inbox_id or -1)
        self.runtime.spawn(investigate(), name=f"alert:{group.key}")

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
                request, group, channel, thread_ts, inbox_id = self.queue.popleft()
                await self._investigate(request, group, channel, thread_ts, inbox_id)

    async def _post(self, known: dict[str, Any], text: str) -> None:
        await self._say(known.get("channel"), known.get("thread_ts"), text)

    async def _say(self, channel: str | None, thread_ts: str | None, text: str) -> None:
        if channel and thread_ts:
            await self._with_retries(lambda: self.runtime.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text))
