"""App Home: `app_home_opened` on the Home tab publishes the user's home view.

The view is rebuilt on every opening (Slack sends the event each time the tab is shown), so it
is never older than the last look; publishing is idempotent, so a retried event needs no
de-duplication. The work runs as a runtime job after the ack: the reads are bounded, and a
failed read still publishes a view that says what could not be read (bot.report.home).
"""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.report.home import read_home
from bot.report.home_view import render_home
from bot.runtime import Runtime
from handlers.common import Body

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def on_home_opened(event: Body, client: AsyncWebClient) -> None:
        user = event.get("user")
        if event.get("tab") != "home" or not isinstance(user, str) or not user:
            return  # the Messages tab needs nothing: the assistant thread greets on its own
        runtime.spawn(publish_home(runtime, client, user), name=f"home:{user}")


async def publish_home(runtime: Runtime, client: AsyncWebClient, user: str) -> None:
    data = await read_home(runtime.store, runtime.resilience, runtime.settings, user)
    try:
        await client.views_publish(user_id=user, view=render_home(data))
    except Exception:  # nothing else to tell the user through: the tab keeps its previous view
        log.warning("could not publish the home view for %s", user, exc_info=True)
