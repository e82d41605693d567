"""Incidents out: PagerDuty's Events API v2 (`POST /v2/enqueue`), trigger and resolve.

Who is paged: an answer (or an alert's investigation) whose incident priority is in
`pagerduty.severities`, in a channel of `pagerduty.channels` (empty: any); or a person who
clicks "Page on-call" on any answer. The dedup key is stable: the alert group's key for an
alert (so Alertmanager's repeats, a re-investigation or a retry all land on the one incident,
and the group's resolve resolves it), `noc-chatops:<request id>` for an answer. The event
carries the answer's summary, the device, severity and priority, and a link to the thread.

PagerDuty down: the thread is told, and the event is sent again with a growing delay (the same
dedup key, so a late success never makes a second incident); the button stays for a person.
Every attempt is in the audit log with who caused it (bot.integrations.outbound).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from agents.models import Answer
from bot.config.integrations import PagerDutyConfig
from bot.integrations.outbound import Cause, Outbound, Result

# Events API v2 severities: critical, error, warning, info.
PD_SEVERITY = {"P1": "critical", "P2": "error", "P3": "warning", "P4": "info"}
Say = Callable[[str], Awaitable[None]]  # a line in the thread
Spawn = Callable[[Awaitable[None], str], Any]  # the runtime's: its tasks are drained on a graceful stop


def dedup_for_request(request_id: str) -> str:
    return f"noc-chatops:{request_id}"


class PagerDuty:
    def __init__(self, config: PagerDutyConfig, outbound: Outbound, spawn: Spawn, *,
                 retry_delays_s: tuple[float, ...] = (5, 30, 120, 600)) -> None:
        self.config = config
        self.outbound = outbound
        self.spawn = spawn
        self.retry_delays_s = retry_delays_s
        self._sent: set[str] = set()  # dedup keys this process triggered (PagerDuty dedups across processes)

    @property
    def routing_key(self) -> str:
        return os.environ.get(self.config.routing_key_env, "")

    def wants(self, answer: Answer, channel: str | None) -> bool:
        return (self.config.enabled and answer.incident_priority in self.config.severities
                and (not self.config.channels or channel in self.config.channels))

    def event(self, action: str, dedup_key: str, answer: Answer | None = None, *, link: str | None = None,
              title: str | None = None, device: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"routing_key": self.routing_key, "event_action": action, "dedup_key": dedup_key}
        if action == "trigger" and answer is not None:
            summary = (title + ": " if title else "") + (answer.summary or "noc-chatops answer")
            body["payload"] = {
                "summary": summary[:1024], "source": device or "noc-chatops",
                "severity": PD_SEVERITY.get(answer.incident_priority, "error"), "component": device,
                "class": "noc-chatops", "custom_details": {"request_id": answer.request_id, "priority": answer.incident_priority,
                                                           "severity": str(answer.severity.value), "confidence": answer.confidence},
            }
            body["client"] = "noc-chatops"
            if link:
                body["links"] = [{"href": link, "text": "Slack thread"}]
        return body

    async def send(self, body: dict[str, Any], cause: Cause) -> Result:
        if not self.routing_key:
            return Result(ok=False, reason=f"no routing key: {self.config.routing_key_env} is not set")
        result = await self.outbound.call("pagerduty", body["event_action"], "POST", f"{self.config.url}/v2/enqueue", json=body,
                                          cause=cause, subject=body["dedup_key"], timeout_s=self.config.timeout_s)
        if result.ok and body["event_action"] == "trigger":
            self._sent.add(body["dedup_key"])
        return result

    async def deliver(self, body: dict[str, Any], cause: Cause, say: Say, *, what: str) -> bool:
        """Send now; on failure say so and keep sending in the background with growing delays."""
        result = await self.send(body, cause)
        if result.ok:
            await say(f":rotating_light: PagerDuty: {what} (dedup key `{body['dedup_key']}`).")
            return True
        if not self.routing_key:
            await say(f":warning: PagerDuty was not told ({result.reason}).")
            return False
        await say(f":warning: PagerDuty did not take the event ({result.reason}); sending it again in the background, "
                  "with the same dedup key so it can never open a second incident.")
        self.spawn(self._retry(body, cause, say, what), f"pagerduty:{body['dedup_key']}")
        return False

    async def _retry(self, body: dict[str, Any], cause: Cause, say: Say, what: str) -> None:
        result = Result(ok=False)
        for delay in self.retry_delays_s:
            await asyncio.sleep(delay)
            result = await self.send(body, cause)
            if result.ok:
                await say(f":rotating_light: PagerDuty: {what} after a retry (dedup key `{body['dedup_key']}`).")
                return
        await say(f":x: PagerDuty still refuses the event ({result.reason}); page on-call by hand.")
