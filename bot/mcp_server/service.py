"""The MCP server's calls: who is calling, whether their role allows the tool, the call, the audit.

One `McpService` serves every connection of one `noc mcp serve` process. The caller comes from the
transport: on HTTP the bearer token the SDK's auth middleware verified (bot/mcp_server/auth.py)
carries a name and a role; on stdio the role is the one the command was started with. Every call,
refused or not, is an audit event in the store (`noc audit-log` shows them), written before the
tool runs, so a call whose client went away is still on record.

A refusal, an unknown tool and bad arguments are MCP tool errors (`isError` results with a
sentence saying what to do), never protocol errors or tracebacks: the model on the other side
reads them and can correct itself. Tool results are the catalogue's typed results, already
redacted by the tool layer; `noc_ask` returns what `noc ask --json` prints.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from pydantic import ValidationError

from agents.access import Role
from agents.models import Request
from agents.progress import NullSink
from agents.tools.network import Toolbox
from agents.tools.registry import TOOL_SPECS, call_tool
from agents.tools.roles import ToolRoles
from bot.answer_json import answer_json
from bot.config.settings import Settings
from bot.mcp_server.catalogue import ASK_TOOL, AskArgs, listed_tools

log = logging.getLogger(__name__)

_STORE_PATIENCE_S = 5.0


@dataclass(frozen=True)
class Caller:
    name: str  # the audit log's user: the token's name, or "stdio"
    role: Role
    transport: str  # "stdio" or "http"


class McpService:
    def __init__(self, settings: Settings, toolbox: Toolbox, store: Any, *, supervisor: Any, stdio_caller: Caller | None = None) -> None:
        self.settings = settings
        self.toolbox = toolbox
        self.store = store
        self.supervisor = supervisor  # agents.supervisor.Supervisor, built by the command with Claude or rules
        self.stdio_caller = stdio_caller
        self.roles = ToolRoles({**settings.access.tool_roles, ASK_TOOL: settings.mcp.ask_role})

    def server(self) -> Server[Any]:
        return Server("noc-chatops", version="0.1.0", on_list_tools=self.list_tools, on_call_tool=self.call_tool,
                      instructions="The NOC's network tools (read-only) and its specialists (noc_ask). "
                                   "Device names come from list_devices.")

    def caller(self, ctx: Any) -> Caller | None:
        """The HTTP caller from its verified token, else the stdio caller (None: nobody we know)."""
        request = getattr(ctx, "request", None)
        if request is not None:
            token = getattr(request.scope.get("user"), "access_token", None)
            if token is None or not token.scopes:
                return None
            return Caller(name=token.client_id, role=token.scopes[0], transport="http")
        return self.stdio_caller

    async def list_tools(self, ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        caller = self.caller(ctx)
        return types.ListToolsResult(tools=listed_tools(self.roles, caller.role) if caller else [])

    async def call_tool(self, ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        name, arguments = params.name, params.arguments or {}
        caller = self.caller(ctx)
        if caller is None:
            return _error("not authenticated: send a bearer token configured under mcp.tokens")
        if name not in TOOL_SPECS and name != ASK_TOOL:
            await self._audit(caller, name, "denied", "unknown tool")
            known = ", ".join(t.name for t in listed_tools(self.roles, caller.role))
            return _error(f"unknown tool '{name}'; tools you may call: {known}")
        needed = self.roles.needed(name)
        if not self.roles.allowed(caller.role, name):
            await self._audit(caller, name, "denied", f"needs {needed}, caller has {caller.role}")
            return _error(f"{name} needs the {needed} role; this connection has the {caller.role} role. "
                          "Ask a NOC admin for a token (or a --role) that grants it.")
        await self._audit(caller, name, "allowed", f"{caller.role} >= {needed}" + _about(arguments))
        try:
            if name == ASK_TOOL:
                return await self._ask(caller, arguments)
            result = await call_tool(self.toolbox, name, arguments)
        except Exception:
            log.error("mcp tool %s failed for %s", name, caller.name, exc_info=True)
            return _error(f"{name} failed inside the NOC; the server log has the cause")
        data = result.model_dump(mode="json")
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(data))],
                                    structured_content=data, is_error=not result.ok)

    async def _ask(self, caller: Caller, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            args = AskArgs.model_validate(arguments)
        except ValidationError as exc:
            return _error("bad arguments: " + "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()))
        mode = args.mode or self.settings.engine.default_mode
        request = Request.from_text(args.question, mode=mode, role=caller.role)
        try:
            answer = await asyncio.wait_for(self.supervisor.run(request, NullSink()), timeout=self.settings.mcp.ask_timeout_s)
        except TimeoutError:
            return _error(f"no answer within {self.settings.mcp.ask_timeout_s:g} s (mcp.ask_timeout_s); ask about fewer devices")
        data = answer_json(answer)
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(data))],
                                    structured_content=data, is_error=answer.status == "failed")

    async def _audit(self, caller: Caller, name: str, outcome: str, reason: str) -> None:
        try:
            await asyncio.wait_for(self.store.record_audit(user=caller.name, channel=f"mcp-{caller.transport}",
                                                           command=f"mcp:{name}", outcome=outcome, reason=reason),
                                   timeout=_STORE_PATIENCE_S)
        except Exception:  # the decision stands, as in Slack; the log keeps what the store missed
            log.error("could not store the audit event: %s mcp:%s %s (%s)", caller.name, name, outcome, reason, exc_info=True)


def _about(arguments: dict[str, Any]) -> str:
    device = arguments.get("device")
    return f"; device {device}" if isinstance(device, str) and len(device) <= 100 else ""


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)
