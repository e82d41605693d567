"""The front door of /slack/events: what a request must be before Bolt sees it.

Bolt parses a request body, and builds its context from it, before it checks the signature; a
body it cannot parse raises inside aiohttp's handler, which answers 500 and logs a traceback -
for anyone who can reach the URL. The guard, an aiohttp middleware in front of Bolt's handler,
answers such requests itself:

* 413 when the body is larger than `MAX_BODY_BYTES` (by Content-Length, before reading it);
* 401 when the app verifies requests and the v0 signature, its timestamp (ASCII digits, within
  five minutes) or their headers are missing or wrong. This is checked on the raw bytes before
  anything is parsed. Bolt's `ssl_check` requests, which Bolt answers before it verifies, pass
  unsigned as before;
* 400 when the body cannot be read (a lying Content-Encoding, cut short), is empty, not UTF-8,
  neither JSON nor urlencoded form, not strict JSON (duplicate keys, NaN, a lone surrogate or NUL,
  deeper than 64 levels: bot.http_input), does not parse the way Bolt parses it, or is not a
  payload of the shape Bolt and the listeners rely on (`payload_problem`, which handlers.app also
  applies in Socket Mode).

A request that passes reaches the handler (bot.server.slack_door) unchanged. The Bolt request the
guard built is kept on the aiohttp request (`BOLT_REQUEST`) and the handler hands that one to
Bolt: the body parsed and Bolt's context built once, not twice. It is marked screened, so the app's own shape check
(handlers.app, for Socket Mode) does not walk the payload again. Rejections are logged on one
line, without a traceback.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from multidict import MultiMapping
from slack_bolt.async_app import AsyncApp
from slack_bolt.middleware.request_verification.async_request_verification import AsyncRequestVerification
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type, parse_body

from bot.http_input import BodyRejected, decode_json, json_problem, read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # aiohttp's default client_max_size; Slack's payloads are far smaller
MAX_SIGNATURE_AGE_S = 60 * 5  # as Bolt (slack_sdk's SignatureVerifier)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

# Events whose listeners (handlers.mentions) read these fields.
_MESSAGE_EVENTS = {"app_mention", "message"}
_MESSAGE_REQUIRED = ("channel", "ts")
_MESSAGE_OPTIONAL = ("user", "text", "thread_ts", "channel_type", "subtype", "bot_id", "event_ts", "team",
                     "client_msg_id")
# The app's buttons (handlers.actions) carry the answer id in `value`.
_OWN_ACTION_PREFIX = "noc_"
# The Bolt request the guard built from a request it let through; bot.server.slack_door dispatches it.
BOLT_REQUEST = web.RequestKey("noc_bolt_request", AsyncBoltRequest)
# Set in a screened request's Bolt context: its shape was checked already (handlers.app skips it).
SCREENED = "noc_screened"


def signing_secret_of(app: AsyncApp) -> str | None:
    """The secret the app verifies requests with, or None when it does not verify them.

    Bolt keeps both in its request-verification middleware (private attributes; the front-door
    tests fail if a Bolt upgrade moves them)."""
    for middleware in getattr(app, "_async_middleware_list", ()):
        if isinstance(middleware, AsyncRequestVerification):
            return middleware._signing_secret
    return None


def slack_events_guard(path: str, signing_secret: str | None, *, max_body_bytes: int | None = None,
                       clock: Callable[[], float] = time.time) -> Middleware:
    """aiohttp middleware that screens POSTs to `path` (see the module docstring).

    `signing_secret` None: signatures are not checked here (nor by Bolt). `max_body_bytes` None:
    `MAX_BODY_BYTES` at request time."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        rejection = await _screen(request, signing_secret, max_body_bytes or MAX_BODY_BYTES, clock())
        return rejection if rejection is not None else await handler(request)

    return guard


async def _screen(request: web.Request, secret: str | None, max_body: int, now: float) -> web.Response | None:
    try:
        raw = await read_body(request, max_body)
    except BodyRejected as exc:  # too large, or unreadable (a lying Content-Encoding, cut short)
        return _reject(exc.status, exc.reason, log_it=not exc.logged)
    if secret is not None and not signature_ok(raw, request.headers, secret, now) and not _is_ssl_check(request, raw):
        return _reject(401, "missing or invalid signature")

    has_type = hdrs.CONTENT_TYPE in request.headers
    media = request.content_type if has_type else None
    if media not in (None, JSON, FORM):
        return _reject(400, f"unsupported content type {media!r}")
    if (request.charset or "utf-8").lower() not in ("utf-8", "utf8"):
        return _reject(400, f"unsupported charset {request.charset!r}")
    if not raw.strip():
        return _reject(400, "empty body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _reject(400, "body is not UTF-8")
    if media == JSON:
        try:
            parsed = decode_json(raw)  # strict: duplicate keys, NaN, lone surrogates, depth (bot.http_input)
        except BodyRejected as exc:
            return _reject(400, exc.reason)
        if not isinstance(parsed, dict):
            return _reject(400, "JSON body is not an object")
    try:  # exactly what Bolt's aiohttp adapter will build: parse, then context from the payload
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=_headers(request))
    except Exception as exc:  # noqa: BLE001 - any failure to parse is the body's fault
        return _reject(400, f"Bolt cannot read the payload ({type(exc).__name__})")
    # A JSON body was checked by decode_json already (the same document); a form's payload as Bolt parsed it.
    problem = (None if media == JSON else json_problem(bolt_request.body)) or payload_problem(bolt_request.body)
    if problem:
        return _reject(400, problem)
    bolt_request.context[SCREENED] = True
    request[BOLT_REQUEST] = bolt_request
    return None


def signature_ok(raw: bytes, headers: MultiMapping[str], secret: str, now: float) -> bool:
    """Slack's v0 signature: one timestamp header of ASCII digits within MAX_SIGNATURE_AGE_S of
    now, one `v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` signature header."""
    timestamps = headers.getall("X-Slack-Request-Timestamp", [])
    signatures = headers.getall("X-Slack-Signature", [])
    if len(timestamps) != 1 or len(signatures) != 1:
        return False
    timestamp, signature = timestamps[0], signatures[0]
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > MAX_SIGNATURE_AGE_S:
        return False
    if not signature.isascii():
        return False
    digest = hmac.new(secret.encode("utf-8"), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}", signature)


def _is_ssl_check(request: web.Request, raw: bytes) -> bool:
    """Slack's ssl_check post, which Bolt answers before it verifies the signature (as Bolt
    parses it; such posts are a few short form fields)."""
    if len(raw) > 4096:
        return False
    try:
        body = parse_body(raw.decode("utf-8"), extract_content_type(build_normalized_headers(_headers(request))))
    except Exception:  # noqa: BLE001 - not a parseable ssl_check post, whatever the reason
        return False
    return isinstance(body, dict) and body.get("ssl_check") == "1"


def _headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    """The request's headers as Bolt takes them: aiohttp's multidict, as Bolt's own aiohttp adapter
    passes it (Bolt reads it as a mapping of names to values; only its annotation says dict)."""
    return cast(dict[str, str | Sequence[str]], request.headers)


def _reject(status: int, reason: str, *, log_it: bool = True) -> web.Response:
    level = logging.WARNING if status == 400 else logging.INFO
    if log_it:  # False: aiohttp has logged the cause already
        log.log(level, "rejected a request to /slack/events: %d %s", status, reason)
    error = {401: "invalid request", 413: "request body too large"}.get(status, reason)
    return web.json_response({"error": error}, status=status)


# --- payload shape -------------------------------------------------------------------------


def payload_problem(body: Any) -> str | None:
    """Why `body` is not a Slack payload this app can take, or None.

    Only what Bolt and the listeners read is checked, and only as strictly as Slack documents it:
    the envelope of every event and interactive payload, and the fields of the events, slash
    commands and buttons this app handles. Other event and payload types pass (Bolt answers them
    as unhandled)."""
    if not isinstance(body, dict):
        return "the payload is not an object"
    if body.get("ssl_check") == "1":
        return None  # Bolt's ssl_check middleware answers it before anything else
    if "command" in body:
        return _fields_problem("slash command", body, required=("command", "user_id", "channel_id"),
                               optional=("text", "response_url", "trigger_id", "team_id", "user_name"))
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "the payload has no type" if kind is None else "the payload's type is not a string"
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "url_verification without a string challenge"
    if kind == "event_callback":
        return _event_problem(body)
    if kind == "block_actions":
        return _block_actions_problem(body)
    return None


def _event_problem(body: dict[str, Any]) -> str | None:
    problem = _fields_problem("event_callback", body, optional=("event_id", "team_id", "api_app_id", "enterprise_id"))
    if problem:
        return problem
    event = body.get("event")
    if not isinstance(event, dict):
        return "event_callback without an event object"
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        return "event without a type" if kind is None else "event type is not a string"
    if kind in _MESSAGE_EVENTS:
        return _fields_problem(f"{kind} event", event, required=_MESSAGE_REQUIRED, optional=_MESSAGE_OPTIONAL)
    return None


def _block_actions_problem(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "block_actions without a user id"
    for key, fields in (("channel", ("id",)), ("container", ("channel_id", "thread_ts", "message_ts")),
                        ("message", ("ts", "thread_ts"))):
        part = body.get(key)
        if part is None:
            continue
        if not isinstance(part, dict):
            return f"block_actions {key} is not an object"
        problem = _fields_problem(f"block_actions {key}", part, optional=fields)
        if problem:
            return problem
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions:
        return "block_actions without actions"
    for action in actions:
        if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
            return "block_actions action without an action_id"
        own = action["action_id"].startswith(_OWN_ACTION_PREFIX)
        problem = _fields_problem("block_actions action", action, required=("value",) if own else (),
                                  optional=("block_id",) if own else ("value", "block_id"))
        if problem:
            return problem
    return _fields_problem("block_actions", body, optional=("response_url", "trigger_id"))


def _fields_problem(what: str, obj: dict[str, Any], *, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> str | None:
    for key in required:
        if not isinstance(obj.get(key), str):
            return f"{what} without a string {key}" if obj.get(key) is None else f"{what} {key} is not a string"
    for key in optional:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return f"{what} {key} is not a string"
    return None
