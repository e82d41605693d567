"""A loopback fake of the Anthropic Messages API for tests.

The real ``anthropic`` SDK talks to it over HTTP, so retries, error mapping, timeouts and
``messages.parse`` all run the SDK's own code::

    with FakeAnthropic() as api:
        api.script("triage", text({"summary": "ok"}))
        client = anthropic.AsyncAnthropic(base_url=api.url, api_key="test-key")

The server runs an aiohttp app on 127.0.0.1 (port 0) inside a background thread with its own
event loop, so code under test may call ``asyncio.run`` freely. In a test module::

    from tests.fakes.anthropic_api import fake_anthropic  # noqa: F401

    def test_x(fake_anthropic): ...

Replies are scripted per *role*: the text after ``Role: `` on the first line of the request's
system prompt (string or list of text blocks). ``script(None, ...)`` is a catch-all queue.
Each role's replies are consumed in order, and the last one repeats once the queue is empty.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

import pytest
from aiohttp import web

from tests.fakes.loopback import LoopbackServer

__all__ = [
    "FakeAnthropic",
    "Reply",
    "text",
    "tool_use",
    "error",
    "rate_limited",
    "overloaded",
    "slow",
    "invalid_json",
    "wrong_shape",
    "dynamic",
    "fake_anthropic",
    "fake_anthropic_fixture",
]

DEFAULT_USAGE: dict[str, int] = {
    "input_tokens": 1000,
    "output_tokens": 200,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
}

_DEFAULT_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

_DEFAULT_MESSAGES = {
    "invalid_request_error": "Invalid request (fake)",
    "authentication_error": "invalid x-api-key",
    "permission_error": "Your API key does not have permission to use the specified resource.",
    "not_found_error": "Not found",
    "request_too_large": "Request exceeds the maximum allowed number of bytes.",
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit (fake)",
    "api_error": "Internal server error",
    "timeout_error": "Request timed out",
    "overloaded_error": "Overloaded",
}

_ROLE_RE = re.compile(r"^\s*Role:\s*(.*?)\s*$")


def _hex(n: int = 12) -> str:
    return secrets.token_hex(n)


def _request_id() -> str:
    return f"req_{_hex()}"


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rendered:
    status: int
    body: Any  # JSON-serialisable
    headers: dict[str, str] = field(default_factory=dict)


class Reply:
    """A scripted reply. Build with the module-level helpers (``text``, ``error``, ...)."""

    async def _render(self, request_body: dict) -> _Rendered:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True, repr=False)
class _MessageReply(Reply):
    content: tuple[dict, ...]  # content blocks; tool_use ids are minted per response
    stop_reason: str | None = "end_turn"
    usage: Mapping[str, Any] | None = None
    model: str | None = None

    def __repr__(self) -> str:
        kinds = ",".join(b["type"] for b in self.content)
        return f"<Reply message [{kinds}] stop_reason={self.stop_reason}>"

    def message(self, request_body: dict) -> dict:
        content = []
        for block in self.content:
            block = json.loads(json.dumps(block))  # deep copy
            if block["type"] == "tool_use" and not block.get("id"):
                block["id"] = f"toolu_{_hex()}"
            content.append(block)
        usage: dict[str, Any] = {**DEFAULT_USAGE, **dict(self.usage or {})}
        usage.setdefault(
            "cache_creation",
            {"ephemeral_5m_input_tokens": usage["cache_creation_input_tokens"], "ephemeral_1h_input_tokens": 0},
        )
        usage.setdefault("service_tier", "standard")
        return {
            "id": f"msg_{_hex()}",
            "type": "message",
            "role": "assistant",
            "model": self.model or request_body.get("model") or "claude-fake",
            "content": content,
            "stop_reason": self.stop_reason,
            "stop_sequence": None,
            "usage": usage,
        }

    async def _render(self, request_body: dict) -> _Rendered:
        return _Rendered(200, self.message(request_body))


@dataclass(frozen=True, repr=False)
class _ErrorReply(Reply):
    status: int
    error_type: str
    message: str
    headers: Mapping[str, str] | None = None

    def __repr__(self) -> str:
        return f"<Reply error {self.status} {self.error_type}>"

    def rendered(self) -> _Rendered:
        body = {"type": "error", "error": {"type": self.error_type, "message": self.message}}
        return _Rendered(self.status, body, dict(self.headers or {}))

    async def _render(self, request_body: dict) -> _Rendered:
        return self.rendered()


@dataclass(frozen=True, repr=False)
class _SlowReply(Reply):
    seconds: float
    reply: Reply

    def __repr__(self) -> str:
        return f"<Reply slow {self.seconds}s {self.reply!r}>"

    async def _render(self, request_body: dict) -> _Rendered:
        await asyncio.sleep(self.seconds)
        return await self.reply._render(request_body)


@dataclass(frozen=True, repr=False)
class _DynamicReply(Reply):
    fn: Callable[[dict], Any]

    def __repr__(self) -> str:
        return f"<Reply dynamic {getattr(self.fn, '__name__', self.fn)!r}>"

    async def _render(self, request_body: dict) -> _Rendered:
        result = self.fn(request_body)
        if asyncio.iscoroutine(result):
            result = await result
        if not isinstance(result, Reply):
            result = text(result)
        return await result._render(request_body)


def _payload_text(payload: Any) -> str:
    if isinstance(payload, str):
        return payload
    if hasattr(payload, "model_dump"):  # pydantic v2 model
        payload = payload.model_dump(mode="json")
    return json.dumps(payload)


def text(
    payload: Any,
    *,
    usage: Mapping[str, Any] | None = None,
    stop_reason: str = "end_turn",
    model: str | None = None,
) -> Reply:
    """An assistant message with one text block: a str as is, anything else JSON-encoded
    (pydantic models via ``model_dump(mode="json")``)."""
    return _MessageReply(
        content=({"type": "text", "text": _payload_text(payload)},),
        stop_reason=stop_reason,
        usage=usage,
        model=model,
    )


def tool_use(*calls: tuple, usage: Mapping[str, Any] | None = None, text: str | None = None) -> Reply:
    """An assistant message calling tools: each call is ``(name, input)`` or ``(name, input, id)``.
    Ids default to a fresh ``toolu_<hex>`` per response. ``text`` adds a leading text block."""
    if not calls:
        raise ValueError("tool_use() needs at least one (name, input) call")
    blocks: list[dict] = []
    if text is not None:
        blocks.append({"type": "text", "text": text})
    for call in calls:
        name, tool_input, *rest = call
        blocks.append({"type": "tool_use", "id": rest[0] if rest else None, "name": name, "input": dict(tool_input)})
    return _MessageReply(content=tuple(blocks), stop_reason="tool_use", usage=usage)


def error(
    status: int,
    *,
    error_type: str | None = None,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A real-shaped Anthropic error: ``{"type": "error", "error": {...}, "request_id": ...}``."""
    etype = error_type or _DEFAULT_ERROR_TYPES.get(status) or (
        "api_error" if status >= 500 else "invalid_request_error"
    )
    return _ErrorReply(status, etype, message or _DEFAULT_MESSAGES.get(etype, "Error (fake)"), headers)


def _fmt_seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def rate_limited(retry_after: float = 0) -> Reply:
    """429 rate_limit_error with a ``retry-after`` header in seconds (0 and fractions allowed)."""
    return error(429, headers={"retry-after": _fmt_seconds(retry_after)})


def overloaded() -> Reply:
    """529 overloaded_error."""
    return error(529)


def slow(seconds: float, reply: Reply) -> Reply:
    """Wait ``seconds`` in the server loop, then send ``reply``."""
    return _SlowReply(seconds, reply)


def invalid_json(raw: str = '{"summary": "oops"') -> Reply:
    """A 200 whose text block is not valid JSON (truncated object) -> ``parse`` raises ValidationError."""
    return text(raw)


def wrong_shape(payload: Any = None) -> Reply:
    """A 200 whose text block is valid JSON that should not match the requested schema."""
    return text({"unexpected": "shape", "items": [1, 2, 3]} if payload is None else payload)


def dynamic(fn: Callable[[dict], Any]) -> Reply:
    """Compute the reply per request: ``fn(body) -> Reply`` (a non-Reply return is wrapped in ``text``)."""
    return _DynamicReply(fn)


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


def role_of(body: Mapping[str, Any]) -> str | None:
    """The text after ``Role: `` on the first line of the system prompt, or None."""
    system = body.get("system")
    if isinstance(system, list):
        system = "\n".join(
            b.get("text", "") for b in system if isinstance(b, Mapping) and b.get("type", "text") == "text"
        )
    if not isinstance(system, str) or not system.strip():
        return None
    first_line = system.strip().splitlines()[0]
    match = _ROLE_RE.match(first_line)
    return match.group(1) if match and match.group(1) else None


def _is_retryable(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


class FakeAnthropic(LoopbackServer):
    """Loopback Anthropic Messages API. See the module docstring.

    ``fast_retry_ms``: the SDK ignores ``retry-after: 0`` and falls back to exponential backoff
    (0.5 s, 1 s, ... with jitter). To keep tests fast, every retryable error (408/409/429/5xx)
    that carries no positive ``retry-after``/``retry-after-ms`` and no ``x-should-retry: false``
    gets ``retry-after-ms: <fast_retry_ms>``. Pass ``fast_retry_ms=None`` for real backoff.
    """

    name = "fake-anthropic"

    def __init__(self, *, fast_retry_ms: float | None = 1.0) -> None:
        super().__init__()
        self.fast_retry_ms = fast_retry_ms
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []
        self.roles: list[str | None] = []  # role of each entry in `requests`
        self.count_tokens_requests: list[dict] = []
        self.unscripted: list[str | None] = []  # roles that found no script
        self._lock = threading.Lock()
        self._queues: dict[str | None, deque[Reply]] = {}
        self._last: dict[str | None, Reply] = {}

    # ---- scripting ------------------------------------------------------------------------

    def script(self, role: str | None, *replies: Reply) -> None:
        """Queue replies for ``role`` (None = catch-all). The last reply of a role repeats."""
        for r in replies:
            if not isinstance(r, Reply):
                raise TypeError(f"script() takes Reply objects (text(), error(), ...), got {r!r}")
        with self._lock:
            self._queues.setdefault(role, deque()).extend(replies)

    def requests_for(self, role: str | None) -> list[dict]:
        with self._lock:
            return [body for body, r in zip(self.requests, self.roles, strict=False) if r == role]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.headers.clear()
            self.roles.clear()
            self.count_tokens_requests.clear()
            self.unscripted.clear()
            self._queues.clear()
            self._last.clear()

    def env(self) -> dict[str, str]:
        """Environment that points the SDK (and a CLI using it) at this fake."""
        return {"ANTHROPIC_BASE_URL": self.url, "ANTHROPIC_API_KEY": "test-key"}

    def client(self, **kwargs: Any):
        """An ``anthropic.AsyncAnthropic`` aimed at this fake (kwargs: max_retries, timeout, ...)."""
        import anthropic

        kwargs.setdefault("api_key", "test-key")
        return anthropic.AsyncAnthropic(base_url=self.url, **kwargs)

    def _next_reply(self, role: str | None) -> tuple[Reply | None, str | None]:
        with self._lock:
            for key in (role, None) if role is not None else (None,):
                queue = self._queues.get(key)
                if queue:
                    self._last[key] = queue.popleft()
                    return self._last[key], key
                if key in self._last:
                    return self._last[key], key
            self.unscripted.append(role)
            return None, None

    # ---- lifecycle ------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_post("/v1/messages", self._handle_messages)
        app.router.add_post("/v1/messages/count_tokens", self._handle_count_tokens)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        return app

    # ---- HTTP -----------------------------------------------------------------------------

    def _respond(self, rendered: _Rendered) -> web.Response:
        request_id = _request_id()
        body = rendered.body
        if rendered.status >= 400 and isinstance(body, dict) and body.get("type") == "error":
            body = {**body, "request_id": request_id}
        headers = {"request-id": request_id, **rendered.headers}
        lower = {k.lower(): v for k, v in headers.items()}
        if (
            self.fast_retry_ms is not None
            and (lower.get("x-should-retry") == "true" or _is_retryable(rendered.status))
            and lower.get("x-should-retry") != "false"
            and "retry-after-ms" not in lower
            and _positive_float(lower.get("retry-after")) is None
        ):
            headers["retry-after-ms"] = _fmt_seconds(self.fast_retry_ms)
        return web.json_response(body, status=rendered.status, headers=headers)

    def _error_response(self, status: int, message: str) -> web.Response:
        """An error the fake itself raises (bad request, no script...): not retried by the SDK."""
        reply = error(status, message=message, headers={"x-should-retry": "false"})
        assert isinstance(reply, _ErrorReply)
        return self._respond(reply.rendered())

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("body is not an object")
        except ValueError as exc:
            return self._error_response(400, f"fake: request body is not a JSON object: {exc}")
        role = role_of(body)
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)
            self.roles.append(role)

        if not headers.get("x-api-key") and not headers.get("authorization"):
            return self._error_response(401, "x-api-key header is required")
        missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
        if missing:
            return self._error_response(400, f"{missing[0]}: Field required")

        reply, _ = self._next_reply(role)
        if reply is None:
            with self._lock:
                scripted = sorted(str(k) for k in self._queues.keys() | self._last.keys())
            return self._error_response(
                500, f"no scripted reply for role {role} (fake Anthropic; scripted roles: {scripted})"
            )
        try:
            rendered = await reply._render(body)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a broken dynamic() must fail the test loudly
            return self._error_response(500, f"fake Anthropic reply {reply!r} raised {exc!r}")

        if body.get("stream") and rendered.status == 200:
            return await self._stream(request, rendered)
        return self._respond(rendered)

    async def _stream(self, request: web.Request, rendered: _Rendered) -> web.StreamResponse:
        """Server-sent events equivalent of a message reply (for ``messages.stream``)."""
        message = rendered.body
        resp = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "request-id": _request_id()}
        )
        await resp.prepare(request)

        async def send(event: str, data: dict) -> None:
            await resp.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        usage = message["usage"]
        start = {**message, "content": [], "stop_reason": None, "stop_sequence": None,
                 "usage": {**usage, "output_tokens": 1}}
        await send("message_start", {"type": "message_start", "message": start})
        for index, block in enumerate(message["content"]):
            if block["type"] == "text":
                await send("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {"type": "text", "text": ""}})
                delta = {"type": "text_delta", "text": block["text"]}
            else:
                await send("content_block_start", {"type": "content_block_start", "index": index,
                                                   "content_block": {**block, "input": {}}})
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
            await send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            await send("content_block_stop", {"type": "content_block_stop", "index": index})
        await send("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {k: usage[k] for k in DEFAULT_USAGE},
        })
        await send("message_stop", {"type": "message_stop"})
        await resp.write_eof()
        return resp

    async def _handle_count_tokens(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError as exc:
            return self._error_response(400, f"fake: request body is not JSON: {exc}")
        with self._lock:
            self.count_tokens_requests.append(body)
        return web.json_response({"input_tokens": len(raw) // 4}, headers={"request-id": _request_id()})

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        return self._error_response(404, f"fake Anthropic has no route {request.method} {request.path}")


def _positive_float(value: str | None) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return f if f > 0 else None


# --------------------------------------------------------------------------------------------
# pytest fixture (import it into a test module: `from tests.fakes.anthropic_api import fake_anthropic`)
# --------------------------------------------------------------------------------------------


@pytest.fixture(name="fake_anthropic")
def fake_anthropic_fixture() -> Iterator[FakeAnthropic]:
    """A started FakeAnthropic, stopped after the test. Point clients at ``fake_anthropic.url``."""
    with FakeAnthropic() as server:
        yield server


fake_anthropic = fake_anthropic_fixture
