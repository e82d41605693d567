"""A team's MCP servers as toolsets: their tools beside the built-in ones, behind the same gates.

Each configured server (agents/tools/mcp_config.py) is listed with the official MCP SDK's client;
the tools it offers become `<server>__<tool>` with the server's own input schema, so Claude gets
them as it gets the built-in tools (agents/llm/investigation.py) and the offline analyst can call
them when a specialist's spec names them (agents/specialists/generic.py). Calls go through
`AnalysisContext.tool` like every other tool: the specialist grant and the role gate first, then
the progress event (metrics) and the evidence. Here each call gets the server's timeout, its
circuit breaker, redaction of every string it returns and an output cap with a visible marker.

A server that cannot be listed or called degrades only its own tools: the call is an error
result naming the server, and the analysis context turns it into a notice on the answer.

Each server has one kept session (agents/tools/mcp_sessions.py): a stdio server is started once,
not per call. A call or listing that fails resets the session, so a restarted server is reached
again on the next call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from pydantic import BaseModel

from agents.access import Role
from agents.resilience.breaker import CircuitBreaker
from agents.tools.mcp_config import SEPARATOR, McpServerConfig, local_name
from agents.tools.mcp_sessions import KeptSession
from agents.tools.redact import redact_prose
from agents.tools.results import ToolError, ToolResult

log = logging.getLogger(__name__)


class ExternalTool(BaseModel):
    local: str  # what the specialists call it: <server>__<tool>
    server: str
    remote: str  # the server's name for it
    description: str
    input_schema: dict[str, Any]
    role: Role

    def definition(self) -> dict[str, Any]:
        """The Anthropic tool definition: the server's own schema, its description marked with the source."""
        return {"name": self.local, "description": f"[MCP server {self.server}] {self.description}"[:1024],
                "input_schema": self.input_schema}

    def required(self) -> set[str]:
        return set(self.input_schema.get("required") or [])


class McpResult(ToolResult):
    """What an MCP tool returned: its text and structured content, redacted and capped."""

    server: str
    text: str = ""
    data: Any = None
    truncated: bool = False


class McpToolsets:
    def __init__(self, servers: Sequence[McpServerConfig] = (), environ: Mapping[str, str] | None = None, *,
                 relist_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.servers = {s.name: s for s in servers}
        self.environ = os.environ if environ is None else environ
        self.relist_s = relist_s
        self.clock = clock
        self.breakers = {s.name: CircuitBreaker(f"mcp:{s.name}", s.breaker, clock=clock) for s in servers}
        self.tools: dict[str, ExternalTool] = {}
        self.down: dict[str, str] = {}  # server -> why it could not be listed or called
        self._listed_at: dict[str, float] = {}
        self._listing: dict[str, asyncio.Future[None]] = {}
        self._sessions = {s.name: KeptSession(lambda s=s: self._client(s)) for s in servers}  # type: ignore[misc]

    async def aclose(self) -> None:
        """Close every kept session (stops stdio servers); the next call would open them again."""
        await asyncio.gather(*(session.aclose() for session in self._sessions.values()), return_exceptions=True)

    def __bool__(self) -> bool:
        return bool(self.servers)

    # -- listing --------------------------------------------------------------------------------

    async def ensure_listed(self) -> None:
        """List every server not listed yet, and again a server that was down `relist_s` ago."""
        now = self.clock()
        waits = []
        for server in self.servers.values():
            running = self._listing.get(server.name)
            if running is not None and not running.done() and running.get_loop() is asyncio.get_running_loop():
                # another step is listing it: wait for that (a listing left by an ended event loop is ignored)
                waits.append(running)
            elif server.name not in self._listed_at or (server.name in self.down and now - self._listed_at[server.name] >= self.relist_s):
                self._listing[server.name] = asyncio.ensure_future(self._list(server))
                waits.append(self._listing[server.name])
        if waits:  # shielded: a step cancelled while waiting (an early start the plan dropped) must not cancel others' listing
            await asyncio.gather(*(asyncio.shield(w) for w in waits))

    async def _list(self, server: McpServerConfig) -> None:
        self._listed_at[server.name] = self.clock()
        try:
            async with asyncio.timeout(server.timeout_s):
                listed = (await (await self._sessions[server.name].client()).list_tools()).tools
        except Exception as exc:
            self._sessions[server.name].reset()
            self._mark_down(server, "cannot list its tools", exc)
            return
        for old in [n for n, t in self.tools.items() if t.server == server.name]:
            del self.tools[old]
        for tool in listed:
            if server.offers(tool.name):
                local = local_name(server.name, tool.name)
                self.tools[local] = ExternalTool(local=local, server=server.name, remote=tool.name,
                                                 description=redact_prose(tool.description or tool.name),
                                                 input_schema=dict(tool.input_schema), role=server.needed(tool.name))
        missing = [t for t in server.tools if t != "*" and local_name(server.name, t) not in self.tools]
        if missing:
            log.warning("mcp server %s does not offer %s", server.name, ", ".join(missing))
        self.down.pop(server.name, None)

    # -- what a specialist may use --------------------------------------------------------------

    def server_of(self, name: str) -> McpServerConfig | None:
        head, sep, _ = name.partition(SEPARATOR)
        return self.servers.get(head) if sep else None

    def needed(self, name: str) -> Role | None:
        """The role an external tool needs (known from the configuration, listed or not)."""
        tool = self.tools.get(name)
        if tool is not None:
            return tool.role
        server = self.server_of(name)
        return server.needed(name.partition(SEPARATOR)[2]) if server else None

    def granted(self, specialist: str, name: str, named: Sequence[str] = ()) -> bool:
        """Whether `specialist` may use external tool `name`: its server grants it, or its spec names it."""
        server = self.server_of(name)
        return server is not None and (specialist in server.specialists or name in named)

    def tools_for(self, specialist: str, named: Sequence[str] = ()) -> list[ExternalTool]:
        return [t for t in self.tools.values() if self.granted(specialist, t.local, named)]

    def down_for(self, specialist: str, named: Sequence[str] = ()) -> list[str]:
        """Why each server whose tools `specialist` could use is out of reach now (for the answer's notices)."""
        wanted = {self.server_of(n).name for n in named if self.server_of(n) is not None}  # type: ignore[union-attr]
        return [f"{why}: its tools were not used" for name, why in self.down.items()
                if specialist in self.servers[name].specialists or name in wanted]

    # -- calling --------------------------------------------------------------------------------

    async def call(self, name: str, arguments: dict[str, Any]) -> McpResult:
        server = self.server_of(name)
        device = arguments.get("device") if isinstance(arguments.get("device"), str) else None
        if server is None:
            return McpResult(tool=name, server="", ok=False, error=ToolError(kind="bad_arguments", message=f"unknown tool '{name}'"))
        await self.ensure_listed()
        tool = self.tools.get(name)
        if tool is None:
            why = self.down.get(server.name)
            kind = "unreachable" if why else "bad_arguments"
            return self._error(name, server, device, kind, why or f"MCP server '{server.name}' offers no tool '{name.partition(SEPARATOR)[2]}'")
        breaker = self.breakers[server.name]
        if not breaker.allow():
            return self._error(name, server, device, "unreachable",
                               f"MCP server '{server.name}' is unavailable (circuit open after repeated failures; retry in {breaker.retry_in():.0f} s)")
        try:
            async with asyncio.timeout(server.timeout_s):
                result = await (await self._sessions[server.name].client()).call_tool(tool.remote, arguments)
        except TimeoutError:
            self._sessions[server.name].reset()
            breaker.record_failure("timeout")
            self.down[server.name] = f"MCP server '{server.name}' did not answer within {server.timeout_s:g} s"
            return self._error(name, server, device, "timeout", self.down[server.name])
        except Exception as exc:
            self._sessions[server.name].reset()
            breaker.record_failure("connection")
            self._mark_down(server, "is down", exc)
            return self._error(name, server, device, "unreachable", self.down[server.name])
        breaker.record_success()
        self.down.pop(server.name, None)
        text = redact_prose("\n".join(getattr(c, "text", "") for c in result.content if getattr(c, "type", "") == "text"))
        data = _redacted(result.structured_content) if result.structured_content is not None else None
        truncated = False
        if len(text) > server.max_output_chars:
            text = text[:server.max_output_chars] + f"\n...[truncated: {server.name} returned {len(text)} characters]"
            truncated = True
        if data is not None and len(json.dumps(data, default=str)) > server.max_output_chars:
            data, truncated = None, True  # the text carries the start of it; structured content is all or nothing
        if result.is_error:
            return McpResult(tool=name, server=server.name, device=device, ok=False, text=text, truncated=truncated,
                             error=ToolError(kind="failed", message=f"{server.name}: {text[:500] or 'the tool reported an error'}"))
        return McpResult(tool=name, server=server.name, device=device, text=text, data=data, truncated=truncated)

    def _client(self, server: McpServerConfig) -> Any:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import get_default_environment, stdio_client

        if server.command:
            env = {**get_default_environment(), **{k: self.environ[k] for k in server.env if k in self.environ}}
            params = StdioServerParameters(command=server.command[0], args=server.command[1:], env=env)
            return Client(stdio_client(params, errlog=_errlog()))
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        missing = [v for v in server.headers.values() if not self.environ.get(v)]
        if missing:
            raise LookupError(f"{', '.join(missing)} not set (headers of mcp server {server.name})")
        headers = {h: self.environ[v] for h, v in server.headers.items()}
        assert server.url is not None
        return Client(streamable_http_client(server.url, http_client=httpx2.AsyncClient(headers=headers, timeout=server.timeout_s)))

    def _mark_down(self, server: McpServerConfig, what: str, exc: BaseException) -> None:
        while isinstance(exc, BaseExceptionGroup) and exc.exceptions:  # anyio task groups wrap the cause
            exc = exc.exceptions[0]
        cause = redact_prose(str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)
        self.down[server.name] = f"MCP server '{server.name}' {what} ({cause})"
        log.warning("%s", self.down[server.name])

    @staticmethod
    def _error(name: str, server: McpServerConfig, device: str | None, kind: Any, message: str) -> McpResult:
        return McpResult(tool=name, server=server.name, device=device, ok=False, error=ToolError(kind=kind, message=message))


def _errlog() -> TextIO:
    """Where a stdio server's stderr goes: ours, when it is a real file (a captured or wrapped
    stream has no descriptor for the child to inherit), else the process's own."""
    try:
        sys.stderr.fileno()
        return sys.stderr
    except (AttributeError, OSError, ValueError):
        return sys.__stderr__ or sys.stderr


def _redacted(value: Any) -> Any:
    """Every string in a structured result redacted as prose (keys and numbers are kept)."""
    if isinstance(value, str):
        return redact_prose(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value
