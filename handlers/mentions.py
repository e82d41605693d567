"""@noc mentions in channels and threads, and direct messages to the bot."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.origin import Origin
from handlers.common import runtime_of, strip_mentions

HELP_HINT = "Ask me about the network, e.g. `@noc why is the branch office slow?` - or try `/noc help`."

# Message subtypes that are still a person writing to the bot: a DM with an attached file, and a
# thread reply also sent to the conversation. Other subtypes (edits, deletions, joins, bot posts)
# are not questions.
_QUESTION_SUBTYPES = {None, "file_share", "thread_broadcast"}


def register(app: AsyncApp) -> None:
    @app.event("app_mention")
    async def on_mention(event, body, context, client):
        await _question(event, context, client, source="mention", event_id=body.get("event_id"), team=body.get("team_id"))

    @app.event("message")
    async def on_message(event, body, context, client):
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype") not in _QUESTION_SUBTYPES:
            return  # only people's DMs; the bot's own messages and edits are ignored
        await _question(event, context, client, source="dm", event_id=body.get("event_id"), team=body.get("team_id"))


async def _question(event: dict, context, client, *, source: str, event_id: str | None = None, team: str | None = None) -> None:
    runtime = runtime_of(context)
    if event.get("bot_id") or event.get("user") == context.get("bot_user_id"):
        return
    await runtime.after_acks()  # Bolt acked the event already; the other requests' acks go first
    if not await runtime.claim_event(event_id):
        return  # Slack's retry or a duplicate delivery of an event already being handled
    user, channel = event.get("user"), event["channel"]
    thread_ts = event.get("thread_ts") or event["ts"]
    question = strip_mentions(event.get("text", ""))
    if not question:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=HELP_HINT)
        await runtime.event_done(event_id)
        return
    admitted = await runtime.admit_with_role(question, user=user, channel=channel, command=source)
    if admitted is None:
        await runtime.event_done(event_id)
        return
    request, needed = admitted
    origin = Origin(source=source, user=user, channel=channel, thread_ts=thread_ts, event_id=event_id,
                    team=team or event.get("team"), assistant_thread=source == "dm" and bool(event.get("thread_ts")))
    runtime.spawn(runtime.answer_question(request, origin, required_role=needed),
                  name=f"{source}:{event.get('ts')}")
