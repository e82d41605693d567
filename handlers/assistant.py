"""The assistant view (the Messages tab of an AI app): suggested prompts for each new thread.

Slack sends `assistant_thread_started` when a user opens a new assistant thread; the prompts it
shows are chosen from the network (bot.slack.suggestions: the busiest interface, the riskiest device,
the health sweep, a how-to), so the first click already names a real device. Questions typed
in the thread arrive as `message.im` events and are answered by handlers.mentions like any DM.
`assistant_thread_context_changed` (the user moved to another channel with the thread open)
is acknowledged: answers do not depend on the channel being viewed.
"""

from __future__ import annotations

import logging
import weakref

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.tools.network import Toolbox
from bot.runtime import Runtime
from bot.slack.suggestions import STATIC_PROMPTS, PromptChooser
from handlers.common import Body

log = logging.getLogger(__name__)

PROMPTS_TITLE = "Try asking about your network:"


def register(app: AsyncApp, runtime: Runtime) -> None:
    # One chooser (and so one cache) per toolbox, i.e. per running bot.
    choosers: weakref.WeakKeyDictionary[Toolbox, PromptChooser] = weakref.WeakKeyDictionary()

    @app.event("assistant_thread_started")
    async def on_thread_started(event: Body, client: AsyncWebClient) -> None:
        thread = event.get("assistant_thread")
        channel = thread.get("channel_id") if isinstance(thread, dict) else None
        thread_ts = thread.get("thread_ts") if isinstance(thread, dict) else None
        if not isinstance(channel, str) or not channel or not isinstance(thread_ts, str) or not thread_ts:
            log.warning("assistant_thread_started without a channel and thread; ignored")
            return
        chooser = choosers.get(runtime.toolbox)
        if chooser is None:
            chooser = choosers[runtime.toolbox] = PromptChooser(runtime.toolbox)
        runtime.spawn(suggest(chooser, client, channel, thread_ts), name=f"prompts:{thread_ts}")

    @app.event("assistant_thread_context_changed")
    async def on_context_changed(event: Body) -> None:
        thread = event.get("assistant_thread")
        log.debug("assistant thread context changed: %s", thread.get("context") if isinstance(thread, dict) else None)


async def suggest(chooser: PromptChooser, client: AsyncWebClient, channel: str, thread_ts: str) -> None:
    try:
        prompts = await chooser.prompts()
    except Exception:  # the chooser falls back by itself; this is the last line of defence
        log.exception("choosing suggested prompts failed")
        prompts = list(STATIC_PROMPTS)
    try:
        await client.assistant_threads_setSuggestedPrompts(channel_id=channel, thread_ts=thread_ts,
                                                           title=PROMPTS_TITLE, prompts=prompts)
    except Exception:  # the thread still works without prompts: the user can type a question
        log.warning("could not set suggested prompts in %s %s", channel, thread_ts, exc_info=True)
