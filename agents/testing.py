"""A testing kit for the engine and for your own specialists: a scripted model and a recording observer.

Why in the package: a specialist written outside this repository needs the same two tools its
tests would otherwise copy from ours. `ScriptedModel` answers the engine's model calls from a
script, through the real anthropic SDK against an in-process loopback server (so structured
outputs, tool-use turns, error mapping, retries and the fallback to rules run the engine's own
code); hand its `client()` to `build_engine(..., model=...)`. `RecordingObserver` keeps every
progress event of a request for assertions::

    async with ScriptedModel() as model:
        model.script("specialist:diagnosis", tool_call("check_routing_protocol", device="r1", protocol="bgp"),
                     final(report))
        model.script("synthesis", final({"summary": "...", "conflicts": []}))
        engine = build_engine(EngineOptions(), toolbox, model=model.client())
        seen = RecordingObserver()
        answer = await engine.run(Request.from_text("why is bgp down on r1?"), seen)
        await engine.aclose()
    assert model.roles == [...] and seen.kinds()[0] == "routed"

Replies are scripted per role: the text after `Role: ` on the first line of the call's system
prompt (`specialist:<name>`, `router`, `planner`, `coordinator`, `synthesis`, ...); `None` is a
catch-all. A role's replies are used in order and its last one repeats. A call no script answers
gets an error the SDK does not retry, so the engine falls back to its rules, visibly.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel

from agents.progress import RecordingObserver

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

__all__ = ["RecordingObserver", "Reply", "ScriptedModel", "failure", "final", "tool_call", "tool_calls"]

_ROLE = re.compile(r"^\s*Role:\s*(.*?)\s*$")
_USAGE = {"input_tokens": 1000, "output_tokens": 200, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error", 500: "api_error",
                529: "overloaded_error"}


@dataclass(frozen=True)
class Reply:
    """One scripted answer to a model call: an HTTP status and the Messages API body."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


def _message(content: list[dict[str, Any]], stop_reason: str, usage: Mapping[str, int] | None) -> Reply:
    return Reply(200, {"id": f"msg_{secrets.token_hex(8)}", "type": "message", "role": "assistant", "model": "scripted",
                       "content": content, "stop_reason": stop_reason, "stop_sequence": None, "usage": {**_USAGE, **(usage or {})}})


def final(payload: BaseModel | Mapping[str, Any] | str, *, usage: Mapping[str, int] | None = None) -> Reply:
    """The model's final answer: a pydantic model or mapping as JSON (what a structured output
    parses), a string as it is (to script output that does not parse)."""
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json()
    elif isinstance(payload, str):
        text = payload
    else:
        text = json.dumps(payload)
    return _message([{"type": "text", "text": text}], "end_turn", usage)


def tool_calls(*calls: tuple[str, Mapping[str, Any]], usage: Mapping[str, int] | None = None) -> Reply:
    """A turn calling tools, each `(name, arguments)`; the engine runs them and calls the model again."""
    if not calls:
        raise ValueError("tool_calls() needs at least one (name, arguments) call")
    blocks = [{"type": "tool_use", "id": f"toolu_{secrets.token_hex(8)}", "name": name, "input": dict(arguments)}
              for name, arguments in calls]
    return _message(blocks, "tool_use", usage)


def tool_call(name: str, /, **arguments: Any) -> Reply:
    """A turn calling one tool: `tool_call("get_interfaces", device="r1")`."""
    return tool_calls((name, arguments))


def failure(status: int, message: str | None = None, *, retry: bool = True) -> Reply:
    """The provider failing as the real API does (429 rate limit, 529 overloaded, 500 ...);
    `retry=False` tells the SDK not to retry it."""
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    headers = {"retry-after-ms": "1"} if retry else {"x-should-retry": "false"}
    return Reply(status, {"type": "error", "error": {"type": kind, "message": message or f"scripted {kind}"}}, headers)


def _role(body: Mapping[str, Any]) -> str | None:
    system = body.get("system")
    if isinstance(system, list):
        system = "\n".join(str(b.get("text", "")) for b in system if isinstance(b, Mapping))
    if not isinstance(system, str) or not system.strip():
        return None
    match = _ROLE.match(system.strip().splitlines()[0])
    return (match.group(1) or None) if match else None


class ScriptedModel:
    """A model that answers from a script, served to the anthropic SDK on 127.0.0.1 in this event loop."""

    def __init__(self) -> None:
        self.requests: list[tuple[str | None, dict[str, Any]]] = []  # (role, request body) of every call, in order
        self.unscripted: list[str | None] = []  # roles of calls no script answered
        self._queues: dict[str | None, deque[Reply]] = {}
        self._last: dict[str | None, Reply] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, role: str | None, *replies: Reply) -> ScriptedModel:
        """Queue `replies` for `role` (None: any role without a script of its own)."""
        self._queues.setdefault(role, deque()).extend(replies)
        return self

    @property
    def roles(self) -> list[str | None]:
        """The role of every call so far, in order."""
        return [role for role, _ in self.requests]

    def requests_for(self, role: str | None) -> list[dict[str, Any]]:
        return [body for r, body in self.requests if r == role]

    def client(self, **options: Any) -> AsyncAnthropic:
        """An SDK client aimed at this model (options as for `AsyncAnthropic`; no retries by default)."""
        from anthropic import AsyncAnthropic

        if not self.url:
            raise RuntimeError("start the scripted model first (async with ScriptedModel() as model)")
        options.setdefault("max_retries", 0)
        return AsyncAnthropic(base_url=self.url, api_key="scripted", **options)

    async def start(self) -> ScriptedModel:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def aclose(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ScriptedModel:
        return await self.start()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    def _next(self, role: str | None) -> Reply | None:
        for key in (role, None):
            queue = self._queues.get(key)
            if queue:
                self._last[key] = queue.popleft()
                return self._last[key]
            if key in self._last:
                return self._last[key]
        return None

    async def _messages(self, request: web.Request) -> web.Response:
        body = await request.json()
        role = _role(body)
        self.requests.append((role, body))
        reply = self._next(role)
        if reply is None:
            self.unscripted.append(role)
            reply = failure(400, f"no scripted reply for role {role}", retry=False)
        return web.json_response(dict(reply.body), status=reply.status, headers=dict(reply.headers))
