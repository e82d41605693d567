"""Slack credentials from the environment, checked before anything starts."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

_BOT_TOKEN = re.compile(r"^xoxb-[A-Za-z0-9-]{8,}$")
_APP_TOKEN = re.compile(r"^xapp-[A-Za-z0-9-]{8,}$")
_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")


class CredentialError(ValueError):
    """A missing or malformed credential; the message names the variable."""


@dataclass(frozen=True)
class SlackCredentials:
    bot_token: str
    signing_secret: str | None
    app_token: str | None

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None


def slack_credentials(env: dict[str, str] | None = None) -> SlackCredentials:
    env = dict(os.environ) if env is None else env
    bot = env.get("SLACK_BOT_TOKEN", "").strip()
    if not bot:
        raise CredentialError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-..., from OAuth & Permissions)")
    if not _BOT_TOKEN.match(bot):
        raise CredentialError("SLACK_BOT_TOKEN is malformed: a bot token starts with xoxb-")
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token is not None:
        if not _APP_TOKEN.match(app_token):
            raise CredentialError("SLACK_APP_TOKEN is malformed: an app-level token starts with xapp-")
        return SlackCredentials(bot, None, app_token)
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    if not secret:
        raise CredentialError("SLACK_SIGNING_SECRET is not set (needed in HTTP mode; from Basic Information -> App Credentials), "
                              "or set SLACK_APP_TOKEN for Socket Mode")
    if not _SIGNING_SECRET.match(secret):
        raise CredentialError("SLACK_SIGNING_SECRET is malformed: it is 32 lowercase hex characters")
    return SlackCredentials(bot, secret, None)
