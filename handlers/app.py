"""The slack-bolt AsyncApp: middleware and the listeners of this package.

This is the composition root of the Slack side (handlers -> bot -> agents): it takes a ready
`Runtime` from `bot` and registers every listener module. Middleware puts the runtime into
each listener's context. Event delivery is made idempotent in the listeners, after the ack
(`Runtime.claim_event`), so a slow or locked store never delays Slack's acknowledgement. A
payload of the wrong shape (`event_id` not a string, an app_mention without a channel...) is
dropped before any of that: in HTTP mode
bot.http_guard has already answered it with 400; in Socket Mode it is acknowledged and ignored.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.http_guard import payload_problem
from bot.runtime import Runtime
from handlers import actions, assistant, changes, commands, home, mentions


def build_app(runtime: Runtime, *, signing_secret: str | None) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def well_formed(request, body, next, logger):
        problem = payload_problem(body)
        if problem:
            logger.warning("ignoring a malformed payload: %s", problem)
            # In Socket Mode a non-200 is not acknowledged and Slack would deliver it again.
            return BoltResponse(status=200 if request.mode == "socket_mode" else 400, body="")
        return await next()

    @app.middleware
    async def inject_runtime(context, next):
        context["runtime"] = runtime
        return await next()

    mentions.register(app)
    commands.register(app)
    actions.register(app)
    changes.register(app)
    assistant.register(app)
    home.register(app)
    return app
