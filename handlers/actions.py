"""Buttons on answers: feedback, re-run, show details.

A button is bound to where it was posted: its value (a request id) counts only in the channel
and thread of that request, so a value copied from another channel finds nothing. Each names
the role it needs; a re-run is answered with the clicker's own role. Every click is acked at once
(an empty ack function); the lookup, the role check and the work follow it (handlers.common.button).
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.access import highest
from bot import operations
from bot.origin import Origin
from bot.runtime import Runtime
from handlers.common import Body, button

NOT_HERE = "That request was not found here; ask again."
FEEDBACK = {"noc_feedback_up": "helpful", "noc_feedback_down": "not_helpful"}


def _where(body: Body) -> tuple[str, str, str]:
    user = str(body.get("user", {}).get("id") or "")  # a string for every block_actions that passes the shape check
    channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
    message = body.get("message", {})
    thread_ts = message.get("thread_ts") or body.get("container", {}).get("thread_ts") or message.get("ts")
    return user, channel, thread_ts


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def record_feedback(body: Body, client: AsyncWebClient, verdict: str, request_id: object) -> None:
        user, channel, thread_ts = _where(body)
        if not await runtime.intake.authorise(user=user, channel=channel, command=f"feedback:{verdict}", needed=runtime.settings.access.command_role("feedback")):
            return
        found = await runtime.find_here(request_id, channel, thread_ts)
        if found is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=NOT_HERE)
            return
        await runtime.store.record_feedback(found[0].request_id, user, verdict)
        await client.chat_postEphemeral(channel=channel, user=user, text="Thanks, your feedback is recorded.")

    async def feedback(body: Body, action: Body, client: AsyncWebClient) -> None:
        await runtime.after_acks()
        await record_feedback(body, client, FEEDBACK[action["action_id"]], action.get("value"))

    for action_id in FEEDBACK:
        app.action(action_id)(button(runtime.acks, feedback))

    async def platform_feedback(body: Body, action: Body, client: AsyncWebClient) -> None:
        """Slack's feedback buttons: the value is `<verdict>:<request id>`, the verdict an enum."""
        await runtime.after_acks()
        verdict, _, request_id = str(action.get("value") or "").partition(":")
        if verdict not in FEEDBACK.values():
            user, channel, _ = _where(body)
            await client.chat_postEphemeral(channel=channel, user=user, text=NOT_HERE)
            return
        await record_feedback(body, client, verdict, request_id)

    app.action("noc_feedback")(button(runtime.acks, platform_feedback))

    async def rerun(body: Body, action: Body, client: AsyncWebClient) -> None:
        await runtime.after_acks()
        user, channel, thread_ts = _where(body)
        found = await runtime.question_here(action.get("value"), channel, thread_ts)  # answered or interrupted
        if found is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=NOT_HERE)
            return
        admitted = await runtime.intake.admit(found["question"], user=user, channel=channel, command="rerun")
        if admitted is None:
            return
        request = admitted[0]  # a re-run keeps the role its first answer required
        origin = Origin(source="rerun", user=user, channel=channel, thread_ts=thread_ts, team=(body.get("team") or {}).get("id"))
        runtime.spawn(runtime.answer_question(request, origin, required_role=found.get("required_role") or "viewer"),
                      name=f"rerun:{found['id']}")

    app.action("noc_rerun")(button(runtime.acks, rerun))

    async def details(body: Body, action: Body, client: AsyncWebClient) -> None:
        await runtime.after_acks()
        user, channel, thread_ts = _where(body)
        found = await runtime.find_here(action.get("value"), channel, thread_ts)
        if found is None:
            await client.chat_postEphemeral(channel=channel, user=user, text=NOT_HERE)
            return
        answer, meta = found
        needed = highest([meta.get("required_role") or "viewer", answer.data_role])
        if not await runtime.intake.authorise(user=user, channel=channel, command="details", needed=needed):
            return
        runtime.spawn(operations.post_details(runtime, answer, channel, thread_ts), name=f"details:{answer.request_id}")

    app.action("noc_details")(button(runtime.acks, details))
