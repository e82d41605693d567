"""The slack-bolt AsyncApp: middleware and the listeners of this package.

This is the composition root of the Slack side (handlers -> bot -> agents): it takes a ready
`Runtime` from `bot` and registers every listener module with it. Bolt's documented mechanisms
carry the front door (issue 23): who the bot is comes from an `authorize` asked once
(bot.slack.identity); one global middleware checks a payload's shape; listener `matchers` pick
the listener from the payload alone; and every listener acks first. `process_before_response`
makes Bolt run each listener inline, with the request, instead of as a task it polls every 10 ms
for the ack; a listener acks, hands what follows to bot.slack.ack_first and returns, so event
claims, role decisions, routing and the work (bot.runtime) never stand between a request and
its ack (handlers.common says why not Bolt's lazy listeners).

A payload of the wrong shape (`event_id` not a string, an app_mention without a channel...) is
dropped before any of that: in HTTP mode bot.slack.http_guard has already answered it with 400;
in Socket Mode it is acknowledged and ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from logging import Logger

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.http_input import json_problem
from bot.runtime import Runtime
from bot.slack.http_guard import SCREENED, payload_problem
from handlers import actions, assistant, changes, commands, home, incidents, mentions
from handlers.common import Body


def build_app(runtime: Runtime, *, signing_secret: str | None) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        authorize=runtime.identity,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
        process_before_response=True,  # listeners inline: they ack and hand the rest to runtime.acks
    )

    @app.middleware
    async def front(request: AsyncBoltRequest, body: Body, context: AsyncBoltContext,
                    next: Callable[[], Awaitable[BoltResponse]], logger: Logger) -> BoltResponse | None:
        """A payload of the wrong shape is dropped (Socket Mode: no NUL, lone surrogate, NaN or
        runaway depth; HTTP mode: bot.slack.http_guard checked exactly this already). Listeners
        post through the runtime's client, not the per-request copy Bolt makes of it: that copy
        is a plain AsyncWebClient, outside the per-channel pace (bot.slack.pace)."""
        if not context.get(SCREENED):
            problem = json_problem(body) or payload_problem(body)
            if problem:
                logger.warning("ignoring a malformed payload: %s", problem)
                # In Socket Mode a non-200 is not acknowledged and Slack would deliver it again.
                return BoltResponse(status=200 if request.mode == "socket_mode" else 400, body="")
        context["client"] = runtime.client
        return await next()

    for listeners in (mentions, commands, actions, changes, incidents, assistant, home):
        listeners.register(app, runtime)
    return app
