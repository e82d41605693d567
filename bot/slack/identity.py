"""Who the bot is in Slack, asked once: Bolt's `authorize` for a single-workspace bot.

Why: Bolt's default single-team authorisation calls `auth.test` lazily, from every request of the
first burst until one answer is cached (200 calls for a burst of 200). Reaching into Bolt's
private middleware list to fill its cache worked around that; an `AsyncAuthorize` is Bolt's
documented way to say who the bot is. `warm()` (at start-up, before serving) asks once; a
request that arrives before, or after a failed start-up call, asks again under one lock, so a
burst waits for one call, never makes two hundred.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.authorization.authorize_result import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class BotIdentity(AsyncAuthorize):
    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        self.result: AuthorizeResult | None = None
        self._lock: asyncio.Lock | None = None

    async def warm(self) -> None:
        """Ask Slack who the bot is before the first request; a failure is asked again then."""
        try:
            await self._known()
        except Exception:  # Bolt asks again on the first request and reports a bad token there
            log.warning("auth.test failed at start-up; the first request will try again", exc_info=True)

    async def _known(self) -> AuthorizeResult:
        if self.result is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self.result is None:
                    response = await self.client.auth_test()
                    self.result = AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=self.client.token)
        return self.result

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None, user_id: str | None,
                       actor_enterprise_id: str | None = None, actor_team_id: str | None = None,
                       actor_user_id: str | None = None) -> AuthorizeResult:
        return await self._known()
