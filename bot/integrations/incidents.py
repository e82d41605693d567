"""Where answers and alerts meet PagerDuty (bot.integrations.pagerduty): the runtime calls
`after_answer`, the alert triage `after_alert` and `alert_resolved`, the "Page on-call" button
`page`. Nothing here raises into the caller: the answer is out whatever PagerDuty does."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from agents.models import Answer
from bot.integrations.outbound import Cause, Outbound
from bot.integrations.pagerduty import PagerDuty, dedup_for_request
from bot.slack.views.text import escape

log = logging.getLogger(__name__)


def _device(answer: Answer) -> str | None:
    return next((r.device for r in answer.recommendations if r.device), None)


class IncidentDesk:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.pagerduty = PagerDuty(runtime.settings.pagerduty, Outbound(runtime.store),
                                   lambda coro, name: runtime.spawn(coro, name=name))

    def _say(self, channel: str | None, thread_ts: str | None) -> Callable[[str], Awaitable[None]]:
        async def say(text: str) -> None:
            if channel and self.runtime.client is not None:
                try:
                    await self.runtime.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
                except Exception:
                    log.warning("could not tell thread %s about PagerDuty", thread_ts, exc_info=True)
        return say

    async def _link(self, channel: str | None, ts: str | None) -> str | None:
        if not channel or not ts or self.runtime.client is None:
            return None
        try:
            return str((await self.runtime.client.chat_getPermalink(channel=channel, message_ts=ts))["permalink"])
        except Exception:  # noqa: BLE001 - e.g. a root Slack no longer finds: Slack's documented link form
            pass
        try:
            team_url = str((await self.runtime.client.auth_test())["url"])
        except Exception:  # noqa: BLE001 - the event still names the request id
            return None
        return f"{team_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"

    async def _trigger(self, key: str, answer: Answer, cause: Cause, thread_ts: str | None, *, title: str | None,
                       device: str | None, why: str) -> bool:
        pd = self.pagerduty
        body = pd.event("trigger", key, answer, link=await self._link(cause.channel, thread_ts), title=title, device=device)
        return await pd.deliver(body, cause, self._say(cause.channel, thread_ts), what=why)

    async def after_answer(self, answer: Answer, origin: Any) -> None:
        """A P1/P2 (per `pagerduty.severities`) answer to a person: trigger, once per request."""
        try:
            if origin.source == "alert" or not self.pagerduty.wants(answer, origin.channel):
                return
            key = dedup_for_request(answer.request_id)
            if key in self.pagerduty._sent:  # a retry of a request already paged
                return
            await self._trigger(key, answer, Cause(origin.user, origin.channel), origin.thread_ts, title=None,
                                device=_device(answer), why=f"incident triggered ({answer.incident_priority})")
        except Exception:
            log.exception("paging for %s failed", answer.request_id)

    async def after_alert(self, answer: Answer | None, group: Any, channel: str, thread_ts: str) -> None:
        """An alert investigation that found P1/P2: trigger with the group's key (repeats dedup)."""
        try:
            if answer is None or not self.pagerduty.wants(answer, channel):
                return
            store = self.runtime.store
            alert = await store.latest_alert(group.source, group.key, since=0)
            if alert is not None and alert["payload"].get("incident"):
                return  # this group already paged (a re-investigation or a resumed one)
            if alert is not None:
                await store.update_alert(alert["id"], payload={**alert["payload"], "incident": group.key})
            await self._trigger(group.key, answer, Cause(None, channel), thread_ts, title=group.name, device=group.device,
                                why=f"incident triggered for {escape(group.name)} ({answer.incident_priority})")
        except Exception:
            log.exception("paging for alert %s failed", group.name)

    async def alert_resolved(self, known: dict[str, Any]) -> None:
        """The group resolved in Alertmanager: resolve its incident."""
        key = known["payload"].get("incident")
        if not key:
            return
        try:
            body = self.pagerduty.event("resolve", key)
            await self.pagerduty.deliver(body, Cause(None, known.get("channel")), self._say(known.get("channel"), known.get("thread_ts")),
                                         what="incident resolved (the alert resolved)")
        except Exception:
            log.exception("resolving incident %s failed", key)

    async def page(self, request_id: str, *, user: str | None, channel: str, thread_ts: str | None) -> str:
        """The "Page on-call" button: page for this answer now, whatever its priority."""
        found = await self.runtime.find_here(request_id, channel, thread_ts)
        if found is None:
            return "That answer was not found here."
        answer = found[0]
        if not self.pagerduty.routing_key:
            return f"PagerDuty is not connected ({self.pagerduty.config.routing_key_env} is not set); nobody was paged."
        ok = await self._trigger(dedup_for_request(answer.request_id), answer, Cause(user, channel), thread_ts, title=None,
                                 device=_device(answer), why=f"on-call paged by <@{user}>")
        return "On-call is paged." if ok else "PagerDuty did not take it yet; the bot keeps trying (see the thread)."
