"""The `mcp:` section: how `noc mcp serve` listens and whom it lets in.

Tokens are never in the file: each entry names the environment variable that holds one token and
the role its holder gets, so the file can be committed and the tokens rotated without editing it.
"""

from __future__ import annotations

from pydantic import Field

from agents.access import Role
from agents.config import StrictModel

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class McpToken(StrictModel):
    name: str = Field(min_length=1, max_length=80)  # who holds it: the caller in the audit log
    env: str = Field(pattern=ENV_NAME)  # the variable holding the token
    role: Role


class McpServeConfig(StrictModel):
    host: str = "127.0.0.1"  # the HTTP transport; bind wider only behind TLS
    port: int = Field(3001, ge=0, le=65535)
    path: str = Field("/mcp", pattern=r"^/[A-Za-z0-9/_-]*$")
    tokens: list[McpToken] = []
    # The role of a stdio client when --role is not given: least privilege, because the client is
    # usually a model acting for the user, and what it reads may try to steer it.
    stdio_role: Role = "viewer"
    ask_role: Role = "viewer"  # noc_ask; the tool gate inside still checks every tool the answer reads
    ask_timeout_s: float = Field(300.0, gt=0, le=3600)  # a noc_ask call that takes longer is cancelled
