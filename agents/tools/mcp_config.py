"""`mcp_servers:` in the configuration: a team's MCP servers whose tools the specialists may use.

Plain data, read by the settings and by `mcp_toolsets`. Secrets never live in the file: headers
and the variables a stdio server gets are given as environment variable NAMES. A tool needs the
server's `role` unless `tool_roles` says otherwise; the default is admin, so a server added
without thinking about roles is closed, not open (as an unknown built-in tool is).
"""

from __future__ import annotations

import re

from pydantic import Field, model_validator

from agents.access import Role
from agents.config import BreakerConfig, StrictModel

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
SEPARATOR = "__"  # a server's tool `lookup` on server `cmdb` is the specialists' tool `cmdb__lookup`


def local_name(server: str, tool: str) -> str:
    """The name the specialists and Claude see: server and tool, in the characters Claude allows."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}{SEPARATOR}{tool}")[:64]


class McpServerConfig(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,30}$")
    # Exactly one of: a command started over stdio, or a streamable HTTP URL.
    command: list[str] = Field(default_factory=list)
    url: str | None = Field(None, pattern=r"^https?://")
    env: list[str] = Field(default_factory=list)  # variables passed to a stdio server (by name) besides PATH, HOME...
    headers: dict[str, str] = Field(default_factory=dict)  # HTTP header -> the variable holding its value
    tools: list[str] = Field(min_length=1)  # the server's tools to offer; "*" offers every tool it lists
    specialists: list[str] = Field(min_length=1)  # who may use them (a specialist's spec may also name one)
    role: Role = "admin"
    tool_roles: dict[str, Role] = Field(default_factory=dict)  # per tool (the server's name for it)
    timeout_s: float = Field(20.0, gt=0, le=300)  # one call, connection included
    max_output_chars: int = Field(20000, ge=200, le=500_000)  # longer results are cut, visibly
    breaker: BreakerConfig = BreakerConfig()

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if SEPARATOR in self.name:
            raise ValueError(f"mcp server '{self.name}': the name may not contain '{SEPARATOR}' (it separates server and tool)")
        if bool(self.command) == bool(self.url):
            raise ValueError(f"mcp server '{self.name}': give either command (stdio) or url (streamable HTTP)")
        # Name the field, never echo the value: a value here is likely a pasted secret.
        bad = [f"env[{i}]" for i, v in enumerate(self.env) if not re.match(ENV_NAME, v)]
        bad += [f"headers.{h}" for h, v in self.headers.items() if not re.match(ENV_NAME, v)]
        if bad:
            raise ValueError(f"mcp server '{self.name}': {', '.join(bad)} must name an environment variable (the value is read from it)")
        return self

    def needed(self, tool: str) -> Role:
        return self.tool_roles.get(tool, self.role)

    def offers(self, tool: str) -> bool:
        return "*" in self.tools or tool in self.tools
