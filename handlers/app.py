"""The slack-bolt AsyncApp: middleware and the listeners of this package.

This is the composition root of the Slack side (handlers -> bot -> agents): it takes a ready
`Runtime` from `bot` and registers every listener module with it. Bolt's documented mechanisms
carry the front door (issue 23): who the bot is comes from an `authorize` asked once
(bot.slack.identity); one class-based global middleware checks a payload's shape (a class, so Bolt
does not build its keyword arguments for it on every request); every listener acks first. `process_before_response`
makes Bolt run each listener inline, with the request, instead of as a task it polls every 10 ms
for the ack; a listener acks, hands what follows to bot.slack.ack_first and returns, so event
claims, role decisions, routing and the work (bot.runtime) never stand between a request and
its ack (handlers.common says why not Bolt's lazy listeners). In HTTP mode the requests whose ack
is known to be empty (`acked_empty`) are acked by the front door itself, before Bolt dispatches
them (bot.server.slack_door).

A payload of the wrong shape (`event_id` not a string, an app_mention without a channel...) is
dropped before any of that: in HTTP mode bot.slack.http_guard has already answered it with 400;
in Socket Mode it is acknowledged and ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.http_input import json_problem
from bot.runtime import Runtime
from bot.slack.http_guard import SCREENED, payload_problem
from handlers import actions, assistant, changes, commands, home, incidents, mentions

log = logging.getLogger(__name__)


class FrontDoor(AsyncMiddleware):
    """A payload of the wrong shape is dropped (Socket Mode: no NUL, lone surrogate, NaN or
    runaway depth; HTTP mode: bot.slack.http_guard checked exactly this already). Listeners post
    through the runtime's client, not the per-request copy Bolt makes of it: that copy is a plain
    AsyncWebClient, outside the per-channel pace (bot.slack.pace)."""

    def __init__(self, runtime: Runtime) -> None:
        self.client = runtime.client

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse | None:
        if not req.context.get(SCREENED):
            problem = json_problem(req.body) or payload_problem(req.body)
            if problem:
                log.warning("ignoring a malformed payload: %s", problem)
                # In Socket Mode a non-200 is not acknowledged and Slack would deliver it again.
                return BoltResponse(status=200 if req.mode == "socket_mode" else 400, body="")
        req.context["client"] = self.client
        return await next()


def acked_empty(body: dict[str, Any]) -> bool:
    """A request whose listener acks with an empty 200 before anything else: in HTTP mode the
    front door acks it itself and has Bolt dispatch it after the burst (bot.server.slack_door).
    Anything else (help, a usage answer, buttons, views, other events) goes through Bolt first."""
    if body.get("type") == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and event.get("type") in mentions.ACKED_EMPTY
    return isinstance(body.get("command"), str) and commands.acked_empty(body)


def build_app(runtime: Runtime, *, signing_secret: str | None) -> AsyncApp:
    app = AsyncApp(
        # Named here: unnamed, Bolt names the app after its caller's file by `inspect.stack()`, which
        # reads the source of every frame on the stack (about 0.1-0.4 s an app, most of a test's set-up).
        name="noc-chatops",
        # Token-less: the token comes from `authorize` (Bolt warns when both are given), and every
        # listener gets the runtime's client from FrontDoor. Same base URL, so nothing goes elsewhere.
        client=AsyncWebClient(token=None, base_url=runtime.client.base_url),
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        authorize=runtime.identity,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
        process_before_response=True,  # listeners inline: they ack and hand the rest to runtime.acks
    )

    app.use(FrontDoor(runtime))
    runtime.acks.acked_empty = acked_empty
    for listeners in (mentions, commands, actions, changes, incidents, assistant, home):
        listeners.register(app, runtime)
    return app
