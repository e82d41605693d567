"""The slack-bolt AsyncApp: client, middleware and the listeners from `handlers`.

Middleware puts the runtime into every listener's context and makes event delivery idempotent:
Slack retries an event it thinks was not acknowledged (`x-slack-retry-num`) and occasionally
delivers one twice; the store's `claim_event` lets exactly one delivery through.
"""

from __future__ import annotations

import logging
import os

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from handlers import actions, commands, mentions

log = logging.getLogger(__name__)

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def web_client(token: str, settings_api_url: str | None, max_rate_limit_retries: int) -> AsyncWebClient:
    """The Web API client: SLACK_API_URL (or slack.api_url) as base URL, 429s retried after Retry-After."""
    base_url = os.environ.get("SLACK_API_URL") or settings_api_url or DEFAULT_SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    return client


def build_app(runtime: Runtime, *, signing_secret: str | None) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        ignoring_self_events_enabled=True,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def inject_runtime(context, next):
        context["runtime"] = runtime
        return await next()

    @app.middleware
    async def once_per_event(body, next, logger):
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and not await runtime.store.claim_event(event_id):
            logger.info("duplicate delivery of %s ignored", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    mentions.register(app)
    commands.register(app)
    actions.register(app)
    return app
