"""`noc mcp serve`: the MCP server over stdio (one local client) or streamable HTTP (shared).

The command composes what `noc ask` composes (toolbox, Claude or rules, resilience, the
supervisor) plus the store for the audit log, and runs until the client closes stdin (stdio) or
the process is stopped (HTTP). Nothing but MCP messages is written to stdout on stdio; logs go
to stderr.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import click

from agents.access import ROLE_ORDER
from agents.tools.roles import ToolRoles
from bot.cli.support import fail, scenario_option, settings_of, toolbox_of
from bot.config.settings import Settings
from bot.mcp_server.auth import RoleTokens, TokenProblem
from bot.mcp_server.service import Caller, McpService


@click.group("mcp")
def mcp() -> None:
    """The Model Context Protocol: the NOC's tools for MCP clients."""


@mcp.command("serve")
@click.option("--http", "use_http", is_flag=True, help="Serve streamable HTTP (bearer tokens from mcp.tokens) instead of stdio.")
@click.option("--host", default=None, help="HTTP listen address (default mcp.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="HTTP port (default mcp.port, 3001).")
@click.option("--role", type=click.Choice(list(ROLE_ORDER)), default=None,
              help="stdio only: the role of the client (default mcp.stdio_role, viewer).")
@scenario_option
@click.pass_context
def serve(ctx: click.Context, use_http: bool, host: str | None, port: int | None, role: str | None, scenario: str | None) -> None:
    """Serve the NOC's tools and `noc_ask` over MCP: stdio by default, --http for a shared server."""
    settings = settings_of(ctx)
    if use_http and role:
        fail("--role applies to stdio; HTTP callers get the role of their token (mcp.tokens)")
    tokens = None
    if use_http:
        try:
            tokens = RoleTokens(settings.mcp.tokens, os.environ)
        except TokenProblem as exc:
            fail(f"configuration error: {exc}")
    toolbox = toolbox_of(ctx, scenario)
    from bot.store import StoreError

    try:
        if use_http:
            asyncio.run(_serve_http(settings, toolbox, tokens, host or settings.mcp.host, settings.mcp.port if port is None else port))
        else:
            asyncio.run(_serve_stdio(settings, toolbox, Caller("stdio", role or settings.mcp.stdio_role, "stdio")))  # type: ignore[arg-type]
    except StoreError as exc:
        fail(f"store error: {exc}")
    except KeyboardInterrupt:
        pass


@asynccontextmanager
async def running_service(settings: Settings, toolbox: Any, stdio_caller: Caller | None = None) -> AsyncIterator[McpService]:
    """The service with its store, Claude client and supervisor open; all closed on the way out."""
    from agents.engine import build_engine
    from bot.store import Store

    store = await Store.from_config(settings.store).open()
    engine = build_engine(settings, toolbox, tool_roles=ToolRoles(settings.access.tool_roles))
    try:
        yield McpService(settings, toolbox, store, supervisor=engine.supervisor, stdio_caller=stdio_caller)
    finally:
        toolbox.gateway.close()
        await toolbox.external.aclose()
        await engine.aclose()
        await store.close()


async def _serve_stdio(settings: Settings, toolbox: Any, caller: Caller) -> None:
    from mcp.server.stdio import stdio_server

    async with running_service(settings, toolbox, caller) as service, stdio_server() as (read, write):
        server = service.server()
        await server.run(read, write, server.create_initialization_options())


def http_app(service: McpService, tokens: RoleTokens, host: str, port: int) -> Any:
    """The Starlette app of the streamable HTTP transport, behind the SDK's bearer-token middleware."""
    from mcp.server.auth.settings import AuthSettings

    auth = AuthSettings(issuer_url=f"http://{host}:{port}", resource_server_url=None)
    return service.server().streamable_http_app(streamable_http_path=service.settings.mcp.path, host=host, auth=auth, token_verifier=tokens)


async def serve_http_until(service: McpService, tokens: RoleTokens, host: str, port: int,
                           on_ready: Callable[[int], Awaitable[None]] | None = None) -> None:
    """Serve until cancelled or stopped; `on_ready` gets the bound port (port 0 picks a free one)."""
    import uvicorn

    config = uvicorn.Config(http_app(service, tokens, host, port), host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                await task
                raise OSError(f"cannot listen on {host}:{port}")
            await asyncio.sleep(0.02)
        bound = server.servers[0].sockets[0].getsockname()[1]
        if on_ready is not None:
            await on_ready(bound)
        await task
    finally:
        server.should_exit = True
        await asyncio.gather(task, return_exceptions=True)


async def _serve_http(settings: Settings, toolbox: Any, tokens: Any, host: str, port: int) -> None:
    async def ready(bound: int) -> None:
        click.echo(f"noc mcp: streamable HTTP on http://{host}:{bound}{settings.mcp.path}", err=True)

    async with running_service(settings, toolbox) as service:
        try:
            await serve_http_until(service, tokens, host, port, ready)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc}")
