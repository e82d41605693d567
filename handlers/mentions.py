"""@noc mentions in channels and threads, and direct messages to the bot.

Acked before anything else; message events other than a person's DM are acked and ignored.
(One `message` listener, not a Bolt matcher and a catch-all: Bolt builds every keyword argument
it could inject for each matcher it asks, about 30 us a time on the ack path of every later
listener's requests.) The intake runs after the ack, behind
the burst's other acks (bot.slack.ack_first): claim the event (a retry or a second delivery is
dropped), route the question once and decide its role, authorise, then hand the request to the
answer job.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.origin import Origin
from bot.questions import person_dm
from bot.runtime import Runtime
from handlers.common import Body, strip_mentions

# The events these listeners ack with nothing before anything else (handlers.app tells the front door).
ACKED_EMPTY = frozenset({"app_mention", "message"})
HELP_HINT = "Ask me about the network, e.g. `@noc why is the branch office slow?` - or try `/noc help`."


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def on_mention(ack: AsyncAck, event: Body, body: Body, context: AsyncBoltContext) -> None:
        await ack()
        runtime.acks.start(_question(runtime, event, context.get("bot_user_id"), source="mention", event_id=body.get("event_id"),
                                     team=body.get("team_id")), name=f"mention:{event.get('ts')}")

    async def on_message(ack: AsyncAck, event: Body, body: Body, context: AsyncBoltContext) -> None:
        await ack()
        if not person_dm(event):
            return  # edits, joins, channel chatter, the bot's own posts: nothing to do
        runtime.acks.start(_question(runtime, event, context.get("bot_user_id"), source="dm", event_id=body.get("event_id"),
                                     team=body.get("team_id")), name=f"dm:{event.get('ts')}")

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)


async def _question(runtime: Runtime, event: Body, bot_user_id: str | None, *, source: str,
                    event_id: str | None = None, team: str | None = None) -> None:
    if event.get("bot_id") or event.get("user") == bot_user_id:
        return
    await runtime.after_acks()  # Bolt acked the event already; the other requests' acks go first
    if not await runtime.intake.claim_event(event_id):
        return  # Slack's retry or a duplicate delivery of an event already being handled
    user, channel = event.get("user"), event["channel"]
    thread_ts = event.get("thread_ts") or event["ts"]
    question = strip_mentions(event.get("text", ""))
    if not question:
        await runtime.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=HELP_HINT)
        await runtime.intake.event_done(event_id)
        return
    admitted = await runtime.intake.admit(question, user=user, channel=channel, command=source)
    if admitted is None:
        await runtime.intake.event_done(event_id)
        return
    request, needed = admitted
    origin = Origin(source=source, user=user, channel=channel, thread_ts=thread_ts, event_id=event_id,
                    team=team or event.get("team"), assistant_thread=source == "dm" and bool(event.get("thread_ts")))
    runtime.spawn(runtime.answer_question(request, origin, required_role=needed),
                  name=f"{source}:{event.get('ts')}")
