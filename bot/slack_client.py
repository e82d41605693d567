"""The Slack Web API client: base URL from SLACK_API_URL (or config), 429s retried after Retry-After,
and one pooled keep-alive HTTP session for every call.

Why the shared session: without one, slack_sdk opens a new aiohttp session (and TCP + TLS
connection) per call; a burst of 200 requests made thousands of connections. The session is
created on the running event loop and closed by `close_web_client` at shutdown.
"""

from __future__ import annotations

import asyncio
import os

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
MAX_CONNECTIONS = 32  # per host; Slack's rate limits bind long before this


def web_client(token: str, settings_api_url: str | None, max_rate_limit_retries: int) -> AsyncWebClient:
    base_url = os.environ.get("SLACK_API_URL") or settings_api_url or DEFAULT_SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    session = None
    try:
        asyncio.get_running_loop()
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit_per_host=MAX_CONNECTIONS, keepalive_timeout=30))
    except RuntimeError:  # no loop (a synchronous caller): slack_sdk opens a session per call
        pass
    client = AsyncWebClient(token=token, base_url=base_url, session=session)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    return client


async def close_web_client(client: AsyncWebClient) -> None:
    """Close the shared session (slack_sdk leaves a session it was given open)."""
    session = getattr(client, "session", None)
    if session is not None and not session.closed:
        await session.close()
