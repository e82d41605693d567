"""Approve / Reject buttons on change proposals.

Thin like every listener: the desk decides (role, two-person rule, expiry, state) and applies.
A button counts only in the thread its proposal was posted in; anything refused is answered
ephemerally to the clicker and changes nothing. Each click is an audit event. Acked at once;
the decision follows the ack (handlers.common.button).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack.change_view import APPROVE, REJECT
from handlers.actions import _where
from handlers.common import Body, button


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def decide(body: Body, action: Body, client: AsyncWebClient) -> None:
        await runtime.after_acks()
        user, channel, thread_ts = _where(body)
        approve = action["action_id"] == APPROVE
        decision = await runtime.intake.check_access(user=user, channel=channel, command=f"change:{'approve' if approve else 'reject'}",
                                              needed=runtime.changes.config.approver_role)
        if not decision.allowed:  # told ephemerally by check_access; the proposal is untouched
            return
        reply = await runtime.changes.decide(str(action.get("value") or ""), user=user, role=decision.role, approve=approve,
                                             channel=channel, thread_ts=thread_ts)
        await client.chat_postEphemeral(channel=channel, user=user, text=reply)

    for action_id in (APPROVE, REJECT):
        app.action(action_id)(button(runtime.acks, decide))
