"""The slack-bolt AsyncApp: middleware and the listeners of this package.

This is the composition root of the Slack side (handlers -> bot -> agents): it takes a ready
`Runtime` from `bot` and registers every listener module. Middleware puts the runtime into
each listener's context. Event delivery is made idempotent in the listeners, after the ack
(`Runtime.claim_event`), so a slow or locked store never delays Slack's acknowledgement. A
payload of the wrong shape (`event_id` not a string, an app_mention without a channel...) is
dropped before any of that: in HTTP mode
bot.slack.http_guard has already answered it with 400; in Socket Mode it is acknowledged and ignored.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.http_input import json_problem
from bot.runtime import Runtime
from bot.slack.http_guard import SCREENED, payload_problem
from handlers import actions, assistant, changes, commands, home, incidents, mentions


def build_app(runtime: Runtime, *, signing_secret: str | None) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def front(request, body, context, next, logger):
        """One middleware, not three: Bolt finds each middleware's keyword arguments by
        inspection on every request, a measurable share of the ack path in a burst.

        1. A payload of the wrong shape is dropped (Socket Mode: no NUL, lone surrogate, NaN or
           runaway depth; HTTP mode: bot.slack.http_guard checked exactly this already).
        2. The slash commands whose listener's first step is a plain ack (/noc with a question,
           /noc-health) are acked at once. Bolt otherwise starts the listener as a task and polls
           for its ack every 10 ms (slack_bolt's AsyncioListenerRunner), which added 10 ms or more
           to every such ack; the listener's own ack() then changes nothing.
        3. The runtime goes into the context, and listeners post through the runtime's client, not
           the per-request copy Bolt makes of it: that copy is a plain AsyncWebClient, outside the
           per-channel pace (bot.slack.pace)."""
        if not context.get(SCREENED):
            problem = json_problem(body) or payload_problem(body)
            if problem:
                logger.warning("ignoring a malformed payload: %s", problem)
                # In Socket Mode a non-200 is not acknowledged and Slack would deliver it again.
                return BoltResponse(status=200 if request.mode == "socket_mode" else 400, body="")
        if commands.acks_plainly(body):
            await context.ack()
        context["runtime"] = runtime
        context["client"] = runtime.client
        return await next()

    mentions.register(app)
    commands.register(app)
    actions.register(app)
    changes.register(app)
    incidents.register(app)
    assistant.register(app)
    home.register(app)
    return app
