"""What every listener needs: acking a button first, the Slack types the listeners are written
against, and argument parsing helpers.

Every listener acks first (issue 27): Bolt runs each listener inline with its request
(`process_before_response`, handlers.app), the listener acks, and whatever reads the store or
routes a question runs after the response, as a task of bot.slack.ack_first. So nothing but the
request's signature check, its shape check and the ack itself stands between a request and its
200. Why not Bolt's lazy listeners: Bolt deep-copies the request for each (its body parsed again,
its context copied), CPU on the ack path, and it cannot copy the bot's shared, paced client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.ack_first import AckFirst

log = logging.getLogger(__name__)

Body = dict[str, Any]
# What a button does after its ack: (the payload, the clicked action, the bot's client).
ButtonWork = Callable[[Body, Body, AsyncWebClient], Coroutine[Any, Any, None]]

# `<@U0BOT>` or `<@U0BOT|name>`. Possessive: each part is followed by a character it cannot match.
_MENTION = re.compile(r"<@[A-Z0-9]++(?:\|[^>]++)?+>")


def button(acks: AckFirst, work: ButtonWork) -> Callable[[AsyncAck, Body, Body, AsyncWebClient], Awaitable[None]]:
    """A button's listener: ack with nothing, then run `work` after the burst's acks."""

    async def listener(ack: AsyncAck, body: Body, action: Body, client: AsyncWebClient) -> None:
        await ack()
        acks.start(work(body, action, client), name=f"button:{action.get('action_id')}")

    return listener


def strip_mentions(text: str) -> str:
    """`<@U0BOT> why is ...` -> `why is ...`.

    Linear in the length of the text: no mention ends after the last `>`, so only the text up to
    it is searched (otherwise every `<@U|` with no `>` after it rescans the rest: quadratic).
    """
    text = text or ""
    end = text.rfind(">") + 1
    return (_MENTION.sub("", text[:end]) + text[end:]).strip()


async def tell_through_response_url(respond: AsyncRespond, command: str, exc: Exception) -> None:
    """A slash command failed after its ack (Slack or the store down): say so through the
    command's response_url, the one channel back to the user that does not need the Web API."""
    log.error("%s failed after its ack", command, exc_info=exc)
    try:
        await respond(text=f":warning: Sorry, `{command}` could not start ({type(exc).__name__}); nothing was run. Please try again.",
                      response_type="ephemeral")
    except Exception:
        log.warning("could not reach the user through the response_url either", exc_info=True)
