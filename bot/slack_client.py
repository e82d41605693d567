"""The Slack Web API client: base URL from SLACK_API_URL (or config), 429s retried after Retry-After."""

from __future__ import annotations

import os

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def web_client(token: str, settings_api_url: str | None, max_rate_limit_retries: int) -> AsyncWebClient:
    base_url = os.environ.get("SLACK_API_URL") or settings_api_url or DEFAULT_SLACK_API_URL
    if not base_url.endswith("/"):
        base_url += "/"
    client = AsyncWebClient(token=token, base_url=base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries))
    return client
