"""The "Page on-call" button on answers: a person pages PagerDuty for this answer now
(bot.integrations.incidents). Allowed from `pagerduty.page_role` up; the answer's thread is
told, the clicker gets a one-line reply, and the audit log keeps who paged. Acked at once; the
page follows the ack (handlers.common.button)."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from handlers.actions import _where
from handlers.common import Body, button


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def page(body: Body, action: Body, client: AsyncWebClient) -> None:
        await runtime.after_acks()
        user, channel, thread_ts = _where(body)
        if not await runtime.intake.authorise(user=user, channel=channel, command="page", needed=runtime.settings.pagerduty.page_role):
            return
        text = await runtime.incidents.page(str(action.get("value") or ""), user=user, channel=channel, thread_ts=thread_ts)
        await client.chat_postEphemeral(channel=channel, user=user, text=text)

    app.action("noc_page")(button(runtime.acks, page))
