"""The Slack Web API client: base URL from SLACK_API_URL (or config), 429s retried after Retry-After,
one pooled keep-alive HTTP session for every call, and Slack's pace per channel.

Why the shared session: without one, slack_sdk opens a new aiohttp session (and TCP + TLS
connection) per call; a burst of 200 requests made thousands of connections. The session is
created on the running event loop and closed by `close_web_client` at shutdown.

Why the pace lives here: every post, edit and stream call into a channel (answers, progress,
reports, alerts, change proposals) goes through this client, so one `ChannelPacer` here keeps
them all to the channel's bucket (bot.slack.pace), and a 429 for a channel pauses its bucket.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from contextvars import ContextVar
from typing import Any

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config.settings import SlackConfig
from bot.slack.pace import CURRENT_TURN, PACED_METHODS, ChannelPacer

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
MAX_CONNECTIONS = 32  # per host; Slack's rate limits bind long before this
# The channel of the paced call being made (the 429 handler pauses its bucket).
_CALL_CHANNEL: ContextVar[str | None] = ContextVar("slack_call_channel", default=None)


# Options that make Slack turn plain `@here`, `@channel` and `#name` in a text into live mentions
# and links (`link_names`, `parse=full`): text from outside is escaped to stay text, and these
# would undo that, so no call of the bot ever carries them, whoever passes them.
_MARKUP_OPTIONS = ("link_names", "parse")


def _without_markup_options(part: Any) -> Any:
    if isinstance(part, dict) and any(k in part for k in _MARKUP_OPTIONS):
        return {k: v for k, v in part.items() if k not in _MARKUP_OPTIONS}
    return part


class TextSafeWebClient(AsyncWebClient):
    """An AsyncWebClient that never sends `link_names` or `parse` (see _MARKUP_OPTIONS)."""

    async def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict[str, Any] | None = None, data: Any = None,
                       params: dict[str, Any] | None = None, json: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
                       auth: dict[str, Any] | None = None) -> AsyncSlackResponse:
        data, params, json = (_without_markup_options(part) for part in (data, params, json))
        return await super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params, json=json,
                                      headers=headers, auth=auth)


class PacedWebClient(TextSafeWebClient):
    """An AsyncWebClient whose channel-message calls wait for their channel's token first."""

    def __init__(self, *args: Any, pacer: ChannelPacer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pacer = pacer

    async def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict[str, Any] | None = None, data: Any = None,
                       params: dict[str, Any] | None = None, json: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
                       auth: dict[str, Any] | None = None) -> AsyncSlackResponse:
        channel = _channel_of(json, params, data) if api_method in PACED_METHODS else None
        token = None
        if channel is not None:
            await self.pacer.take(channel, CURRENT_TURN.get())
            token = _CALL_CHANNEL.set(channel)
        try:
            return await super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params, json=json,
                                          headers=headers, auth=auth)
        finally:
            if token is not None:
                _CALL_CHANNEL.reset(token)


class _PacedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 retry (sleep Retry-After, try again), which first pauses the channel's
    bucket for Retry-After so the other requests in that channel wait too."""

    def __init__(self, pacer: ChannelPacer, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    async def prepare_for_next_attempt_async(self, *, state: RetryState, request: HttpRequest,
                                             response: HttpResponse | None = None, error: Exception | None = None) -> None:
        channel = _CALL_CHANNEL.get()
        if channel is not None and response is not None:
            values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after") or ["1"]
            try:
                seconds = float(values[0])
            except ValueError:
                seconds = 1.0
            self.pacer.pause(channel, seconds)
        await super().prepare_for_next_attempt_async(state=state, request=request, response=response, error=error)


class SlackCallObserver(AsyncRetryHandler):
    """Counts what Slack answered, for /metrics: 429s and `ok: false` errors by API method, and
    calls that got no answer. Why a retry handler: slack_sdk shows every response, retried or
    not, to its retry handlers in order, so the first one sees each attempt (a 429 retried
    three times counts three); it never asks for a retry itself."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=0)
        self.rate_limited: Counter[str] = Counter()  # method -> 429 answers
        self.errors: Counter[tuple[str, str]] = Counter()  # (method, error) -> answers

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "unknown"
        if response is not None and response.status_code == 429:
            self.rate_limited[method] += 1
        elif error is not None and response is None:
            self.errors[(method, "no_response")] += 1
        elif response is not None and isinstance(response.body, dict) and response.body.get("ok") is False:
            self.errors[(method, str(response.body.get("error") or "unknown"))] += 1
        elif response is not None and response.status_code >= 500:
            self.errors[(method, f"http_{response.status_code}")] += 1
        return False


def observer_of(client: AsyncWebClient) -> SlackCallObserver | None:
    return next((h for h in client.retry_handlers if isinstance(h, SlackCallObserver)), None)


def _channel_of(*bodies: Any) -> str | None:
    for body in bodies:
        if isinstance(body, dict):
            channel = body.get("channel") or body.get("channel_id")
            if isinstance(channel, str) and channel:
                return channel
    return None


def web_client(token: str, settings_api_url: str | None, max_rate_limit_retries: int, *,
               pacer: ChannelPacer | None = None) -> AsyncWebClient:
    """The bot's client; with `pacer`, channel posts and edits keep Slack's pace (`noc run` passes
    one built from `slack.channel_rate_per_s` and `slack.channel_burst`)."""
    base_url = os.environ.get("SLACK_API_URL") or settings_api_url or DEFAULT_SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    session = None
    try:
        asyncio.get_running_loop()
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=MAX_CONNECTIONS, keepalive_timeout=30))
    except RuntimeError:  # no loop (a synchronous caller): slack_sdk opens a session per call
        pass
    if pacer is None:
        client = TextSafeWebClient(token=token, base_url=base_url, session=session)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    else:
        client = PacedWebClient(token=token, base_url=base_url, session=session, pacer=pacer)
        client.retry_handlers.append(_PacedRateLimitRetryHandler(pacer, max_rate_limit_retries))
    client.retry_handlers.insert(0, SlackCallObserver())  # first: sees every answer (see the class)
    return client


def channel_pacer(slack: SlackConfig) -> ChannelPacer:
    """The pacer `slack.channel_rate_per_s` and `slack.channel_burst` describe."""
    return ChannelPacer(slack.channel_rate_per_s, slack.channel_burst)


async def close_web_client(client: AsyncWebClient) -> None:
    """Close the shared session (slack_sdk leaves a session it was given open) and stop the pacer."""
    if isinstance(client, PacedWebClient):
        client.pacer.close()
    session = getattr(client, "session", None)
    if session is not None and not session.closed:
        await session.close()
