"""Buttons on answers: feedback, re-run, show details. Each names the role it needs."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Origin
from handlers.common import runtime_of


def _where(body: dict) -> tuple[str | None, str, str]:
    user = body.get("user", {}).get("id")
    channel = body.get("channel", {}).get("id") or body.get("container", {}).get("channel_id")
    message = body.get("message", {})
    thread_ts = message.get("thread_ts") or body.get("container", {}).get("thread_ts") or message.get("ts")
    return user, channel, thread_ts


def register(app: AsyncApp) -> None:
    async def feedback(ack, body, action, context, client, value: str):
        await ack()
        runtime = runtime_of(context)
        user, channel, _ = _where(body)
        if not await runtime.authorise(user=user, channel=channel, command=f"feedback:{value}", needed="viewer"):
            return
        await runtime.store.record_feedback(action["value"], user, value)
        await client.chat_postEphemeral(channel=channel, user=user, text="Thanks, your feedback is recorded.")

    @app.action("noc_feedback_up")
    async def helpful(ack, body, action, context, client):
        await feedback(ack, body, action, context, client, "helpful")

    @app.action("noc_feedback_down")
    async def not_helpful(ack, body, action, context, client):
        await feedback(ack, body, action, context, client, "not_helpful")

    @app.action("noc_rerun")
    async def rerun(ack, body, action, context, client):
        await ack()
        runtime = runtime_of(context)
        user, channel, thread_ts = _where(body)
        found = await runtime.store.answer(action["value"])
        if found is None:
            await client.chat_postEphemeral(channel=channel, user=user, text="That request is no longer stored; ask again.")
            return
        answer, meta = found
        needed = meta.get("required_role") or "viewer"
        if not await runtime.authorise(user=user, channel=channel, command="rerun", needed=needed):
            return
        origin = Origin(source="rerun", user=user, channel=channel, thread_ts=thread_ts)
        runtime.spawn(runtime.answer_question(answer.question, origin, required_role=needed), name=f"rerun:{action['value']}")

    @app.action("noc_details")
    async def details(ack, body, action, context, client):
        await ack()
        runtime = runtime_of(context)
        user, channel, thread_ts = _where(body)
        found = await runtime.store.answer(action["value"])
        needed = (found[1].get("required_role") if found else None) or "viewer"
        if not await runtime.authorise(user=user, channel=channel, command="details", needed=needed):
            return
        runtime.spawn(runtime.post_details(action["value"], channel, thread_ts), name=f"details:{action['value']}")
