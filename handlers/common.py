"""What every listener needs: the runtime from the Bolt context, and argument parsing helpers."""

from __future__ import annotations

import logging
import re

from bot.runtime import Runtime

log = logging.getLogger(__name__)

# `<@U0BOT>` or `<@U0BOT|name>`. Possessive: each part is followed by a character it cannot match.
_MENTION = re.compile(r"<@[A-Z0-9]++(?:\|[^>]++)?+>")


def runtime_of(context) -> Runtime:
    return context["runtime"]


def strip_mentions(text: str) -> str:
    """`<@U0BOT> why is ...` -> `why is ...`.

    Linear in the length of the text: no mention ends after the last `>`, so only the text up to
    it is searched (otherwise every `<@U|` with no `>` after it rescans the rest: quadratic).
    """
    text = text or ""
    end = text.rfind(">") + 1
    return (_MENTION.sub("", text[:end]) + text[end:]).strip()


async def tell_through_response_url(respond, command: str, exc: Exception) -> None:
    """A slash command failed after its ack (Slack or the store down): say so through the
    command's response_url, the one channel back to the user that does not need the Web API."""
    log.error("%s failed after its ack", command, exc_info=exc)
    try:
        await respond(text=f":warning: Sorry, `{command}` could not start ({type(exc).__name__}); nothing was run. Please try again.",
                      response_type="ephemeral")
    except Exception:
        log.warning("could not reach the user through the response_url either", exc_info=True)
