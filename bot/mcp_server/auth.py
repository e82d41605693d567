"""Bearer tokens for the HTTP transport, each mapped to a name and a role.

The SDK's bearer middleware asks `verify_token` on every request and answers 401 itself when it
returns None; the role travels as the token's only scope and the service reads it from there.
Tokens are read from the variables `mcp.tokens` names, once at start-up; a short or missing one
stops the server with a message naming the variable (never the value).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from mcp.server.auth.provider import AccessToken

from bot.config.mcp import McpToken

MIN_TOKEN_CHARS = 16


class TokenProblem(ValueError):
    """A configured token that cannot be used: says which variable and why."""


class RoleTokens:
    def __init__(self, tokens: list[McpToken], environ: Mapping[str, str]) -> None:
        if not tokens:
            raise TokenProblem("the HTTP transport needs at least one token: add mcp.tokens entries "
                               "(name, env: the variable holding the token, role)")
        self._tokens: list[tuple[bytes, McpToken]] = []
        for entry in tokens:
            value = environ.get(entry.env, "")
            if not value:
                raise TokenProblem(f"{entry.env} is not set (token '{entry.name}' of mcp.tokens)")
            if len(value) < MIN_TOKEN_CHARS:
                raise TokenProblem(f"{entry.env} holds a token shorter than {MIN_TOKEN_CHARS} characters (token '{entry.name}')")
            if any(hmac.compare_digest(value.encode(), known) for known, _ in self._tokens):
                raise TokenProblem(f"{entry.env} holds the same token as another entry: each holder needs their own")
            self._tokens.append((value.encode(), entry))

    async def verify_token(self, token: str) -> AccessToken | None:
        given = token.encode()
        found = None
        for known, entry in self._tokens:  # compare with every token, so timing does not tell which matched
            if hmac.compare_digest(given, known):
                found = entry
        if found is None:
            return None
        return AccessToken(token="(verified)", client_id=found.name, scopes=[found.role])
