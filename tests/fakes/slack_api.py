"""A loopback fake of the Slack Web API and of Slack's Socket Mode WebSocket endpoint, for tests.

The real ``slack_sdk`` / ``slack_bolt`` clients talk to it over HTTP and WebSocket, so request
encoding, retries, error mapping and the Socket Mode handshake all run the SDK's own code::

    with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-test", base_url=slack.api_url)
        await client.chat_postMessage(channel="C0NOC", text="hi")
        assert slack.calls_to("chat.postMessage")[0].args["text"] == "hi"

The server runs an aiohttp app on 127.0.0.1 (port 0) in a background thread with its own event
loop, so code under test may run (and block) its own loops. In a test module::

    from tests.fakes.slack_api import fake_slack  # noqa: F401

    async def test_x(fake_slack): ...

Routes: ``/api/<method>`` (Web API), ``/upload/<file_id>`` (the pre-signed upload URL that
``files.getUploadURLExternal`` hands out), ``/response/<id>`` (``response_url`` of slash commands
and interactions), ``GET /socket`` (Socket Mode WebSocket, handed out by
``apps.connections.open``).

Wire facts the fake follows (slack_sdk 3.47):

* ``chat.postMessage``/``chat.update``/``chat.postEphemeral`` send JSON bodies; most other methods
  send ``params`` which aiohttp puts in the *query string* of a POST with an empty form body;
  GET methods (``conversations.replies``, ``users.info``...) use the query string too. The fake
  merges query, form (urlencoded or multipart) and JSON, and decodes JSON-in-a-string fields
  (``blocks``, ``attachments``, ``files``...).
* The token travels as ``Authorization: Bearer ...`` (the SDK pops a ``token`` argument into it).
* Errors are HTTP 200 ``{"ok": false, "error": ...}``; rate limits are HTTP 429 with
  ``Retry-After``. ``AsyncRateLimitErrorRetryHandler`` sleeps ``int(value[0]) + random()``:
  only the *first character* of the header counts, so keep ``retry_after`` to one digit.
* The upload URL gets the raw bytes as the POST body (no token) and must answer 200
  ``text/plain`` (Slack says ``OK - <size>``).

Synchronous waits (``wait_for``, ``wait_for_ack``, ``wait_for_socket``) refuse to run inside a
running event loop, because blocking it would starve the code under test; use the ``*_async``
twins in ``async def`` tests. ``post_signed`` likewise blocks: use ``post_signed_async`` when the
app under test serves from the test's own loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import pytest
from aiohttp import WSMsgType, web

from tests.fakes.loopback import LoopbackServer

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "SIGNING_SECRET",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "VERIFICATION_TOKEN",
    "Call",
    "FakeSlack",
    "app_mention_event",
    "block_action",
    "dm_event",
    "encode_request",
    "event_callback",
    "fake_slack",
    "fake_slack_fixture",
    "message_event",
    "next_ts",
    "post_signed",
    "post_signed_async",
    "sign",
    "slash_command",
]

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
TEAM_ID = "T0NOC"
TEAM_NAME = "NOC"
TEAM_DOMAIN = "noc"
APP_ID = "A0NOC"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
SIGNING_SECRET = "test-signing-secret"
VERIFICATION_TOKEN = "fake-verification-token"

# Arguments that the SDK (or a hand-rolled client) may send as JSON inside a form/query string.
_JSON_ARGS = frozenset(
    {"blocks", "attachments", "files", "metadata", "user_auth_blocks", "view", "outputs", "unfurls"}
)
_INTERACTIVE_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "dialog_submission",
        "interactive_message",
        "message_action",
        "shortcut",
        "view_closed",
        "view_submission",
    }
)
_MENTION_RE = re.compile(r"(<@[UW][A-Z0-9]+(?:\|[^>]*)?>)")


# --------------------------------------------------------------------------------------------
# ids and timestamps
# --------------------------------------------------------------------------------------------

_ts_lock = threading.Lock()
_last_ts_us = 0
_counter = itertools.count(1)


def next_ts() -> str:
    """A fresh message timestamp ("1718000000.000100" style): process-wide unique and increasing,
    close to the wall clock. Shared by the fake server and the payload builders, so user
    messages and bot replies sort in the order they were made."""
    global _last_ts_us
    with _ts_lock:
        _last_ts_us = max(int(time.time() * 1_000_000), _last_ts_us + 1)
        us = _last_ts_us
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def _ts_key(ts: Any) -> tuple:
    try:
        whole, _, frac = str(ts).partition(".")
        return (int(whole), int(frac.ljust(6, "0")[:6] or 0), str(ts))
    except ValueError:
        return (0, 0, str(ts))


def _event_id() -> str:
    return f"Ev{next(_counter):04d}{secrets.token_hex(4).upper()}"


def _trigger_id() -> str:
    return f"{int(time.time())}{next(_counter):03d}.1234567890.{secrets.token_hex(16)}"


def _file_id() -> str:
    return f"F{next(_counter):03d}{secrets.token_hex(4).upper()}"


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass
class Call:
    """One Web API request as the fake saw it. ``args`` merges query string, form and JSON body
    (JSON-in-a-string fields such as ``blocks`` decoded); ``headers`` as sent."""

    method: str
    args: dict
    headers: dict
    time: float
    rate_limited: bool = False
    http_verb: str = "POST"
    content_type: str = ""
    response: dict | None = None
    status: int = 200

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        lname = name.lower()
        for k, v in self.headers.items():
            if k.lower() == lname:
                return v
        return default

    @property
    def token(self) -> str | None:
        auth = self.header("Authorization") or ""
        if auth.startswith("Bearer "):
            return auth[len("Bearer "):].strip()
        token = self.args.get("token")
        return token if isinstance(token, str) else None


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Block Kit sanity checks (a subset of Slack's limits; failing them is a real bug in the bot)
# --------------------------------------------------------------------------------------------


# Slack refuses a message whose blocks carry too much text in total with `msg_blocks_too_long`,
# far below the 40,000 characters of `text`: reported at ~13,300 characters of markdown blocks and
# at 11,341 counted characters of section/header/rich_text blocks (slackapi/bolt-js #2509, #2867;
# a Slack engineer there: "12,000 text characters with a buffer for block containers"). The fake
# refuses over 12,000 characters of text across the blocks.
BLOCKS_TEXT_LIMIT = 12_000


def _blocks_text(node: Any) -> int:
    """Characters of every `text` string in a blocks tree (what Slack's total counts)."""
    if isinstance(node, Mapping):
        return sum(len(v) if k == "text" and isinstance(v, str) else _blocks_text(v) for k, v in node.items())
    if isinstance(node, list):
        return sum(_blocks_text(v) for v in node)
    return 0


def _block_errors(blocks: Any, max_blocks: int = 50) -> list[str]:
    """Messages hold 50 blocks; modals and the Home tab 100 (``max_blocks``)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"no more than {max_blocks} items allowed [json-pointer:/blocks] (got {len(blocks)})")
    for i, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, Mapping) or not isinstance(block.get("type"), str):
            errors.append(f"missing required field: type {where}")
            continue
        btype = block["type"]
        text = block.get("text")
        text_value = text.get("text") if isinstance(text, Mapping) else None
        if btype == "section":
            if text is None and not block.get("fields"):
                errors.append(f"must provide either text or fields {where}")
            if isinstance(text_value, str) and len(text_value) > 3000:
                errors.append(f"must be less than 3001 characters {where}/text/text")
            fields = block.get("fields") or []
            if len(fields) > 10:
                errors.append(f"no more than 10 items allowed {where}/fields")
            for j, f in enumerate(fields):
                if isinstance(f, Mapping) and len(str(f.get("text", ""))) > 2000:
                    errors.append(f"must be less than 2001 characters {where}/fields/{j}/text")
        elif btype == "header":
            if not isinstance(text, Mapping) or text.get("type") != "plain_text":
                errors.append(f"must be a plain_text object {where}/text")
            elif len(str(text_value or "")) > 150:
                errors.append(f"must be less than 151 characters {where}/text/text")
        elif btype == "context":
            if len(block.get("elements") or []) > 10:
                errors.append(f"no more than 10 items allowed {where}/elements")
        elif btype == "actions":
            if len(block.get("elements") or []) > 25:
                errors.append(f"no more than 25 items allowed {where}/elements")
        if len(str(block.get("block_id", ""))) > 255:
            errors.append(f"must be less than 256 characters {where}/block_id")
    return errors


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------

_ACTIVE: list["FakeSlack"] = []  # started servers, newest last (builders point response_url here)


class FakeSlack(LoopbackServer):
    """Loopback Slack Web API + Socket Mode. See the module docstring.

    State (plain attributes, safe to read from the test thread):

    * ``calls``: every Web API call (``Call``), in arrival order, rate-limited ones included.
    * ``messages[(channel, ts)]``: dicts with channel, ts, text, blocks, attachments, thread_ts,
      user, bot_id, files, reactions, edits (one dict per ``chat.update``). Bot posts have
      ``user=BOT_USER_ID, bot_id=BOT_ID``; ``add_message`` seeds user messages.
      ``files.completeUploadExternal`` with a channel adds a file-share message (``files=[id]``,
      ``text=initial_comment``) like Slack does.
    * ``ephemerals``: ``chat.postEphemeral`` posts. ``deleted``: messages removed by chat.delete.
    * ``files[file_id]``: content (bytes), filename, title, channel, thread_ts, initial_comment...
    * ``usergroups[id] = [user ids]`` and ``users[id] = {...}`` (overrides): set by tests.
    * ``unknown_methods``: methods the fake has no model for (answered ``{"ok": true}``).
    * ``socket_acks``: every JSON message a Socket Mode client sent back; ``socket_sent``: every
      envelope sent; ``socket_connected``: a ``threading.Event`` set while a client is connected.
    * ``response_posts``: bodies POSTed to ``response_url``s.

    Knobs: ``clock`` (what ``Call.time`` reads; default ``time.time``),
    ``accepted_tokens`` (None = any ``xoxb-``/``xoxp-``/``xapp-`` by method),
    ``validate_blocks`` (Block Kit limits -> ``invalid_blocks``, total text over
    ``blocks_text_limit`` -> ``msg_blocks_too_long``), ``strict_reactions``
    (``already_reacted``/``no_reaction`` instead of ok), ``rate_limit()``, ``fail()``.
    """

    name = "fake-slack"

    def __init__(self) -> None:
        super().__init__()
        self.api_url: str = ""
        self.socket_url: str = ""
        self.accepted_tokens: set[str] | None = None
        self.validate_blocks = True
        self.blocks_text_limit = BLOCKS_TEXT_LIMIT  # msg_blocks_too_long above this (see BLOCKS_TEXT_LIMIT)
        self.strict_reactions = False
        self.clock: Callable[[], float] = time.time  # Call.time; a test pacing on a virtual clock sets its own
        self.socket_connected = threading.Event()
        self._lock = threading.RLock()
        self._sockets: list[web.WebSocketResponse] = []
        self._init_state()
        self._methods: dict[str, Callable[[Call], dict]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "reactions.add": self._reactions_add,
            "reactions.remove": self._reactions_remove,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "conversations.replies": self._conversations_replies,
            "usergroups.users.list": self._usergroups_users_list,
            "users.info": self._users_info,
            "apps.connections.open": self._apps_connections_open,
            "assistant.threads.setStatus": self._assistant_set_status,
            "chat.startStream": self._chat_start_stream,
            "chat.appendStream": self._chat_append_stream,
            "chat.stopStream": self._chat_stop_stream,
            "views.publish": self._views_publish,
            "assistant.threads.setSuggestedPrompts": self._assistant_set_suggested_prompts,
            "assistant.threads.setTitle": self._assistant_set_title,
        }

    def _init_state(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict] = {}
        self.ephemerals: list[dict] = []
        self.deleted: list[dict] = []
        self.files: dict[str, dict] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.users: dict[str, dict] = {}
        self.unknown_methods: list[str] = []
        self.socket_acks: list[dict] = []
        self.socket_sent: list[dict] = []
        self.socket_connects = 0
        self.socket_tickets: list[str] = []
        self.response_posts: list[dict] = []
        # App Home views published per user (newest last); assistant thread prompts and titles
        self.home_views: dict[str, list[dict]] = {}
        self.suggested_prompts: dict[tuple[str, str | None], list[dict]] = {}
        self.thread_titles: dict[tuple[str, str], list[str]] = {}
        # assistant thread statuses, in order, per (channel, thread_ts); "" clears
        self.statuses: dict[tuple[str, str], list[str]] = {}
        self._rate_limits: dict[str, deque[int | None]] = {}
        self._failures: dict[str, deque[tuple[str, int]]] = {}
        # reactions on messages the fake never saw (e.g. the user's mention in an HTTP test)
        self._orphan_reactions: dict[tuple[str, str], list[str]] = {}

    # ---- lifecycle ------------------------------------------------------------------------

    @classmethod
    def current(cls) -> "FakeSlack | None":
        """The most recently started server that is still running (used by the builders)."""
        return _ACTIVE[-1] if _ACTIVE else None

    def start(self) -> "FakeSlack":
        super().start()
        _ACTIVE.append(self)
        return self

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024**2)
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/upload/{file_id}", self._handle_upload)
        app.router.add_post("/response/{rid:.+}", self._handle_response_url)
        app.router.add_get("/socket", self._handle_socket)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_route)
        return app

    def on_started(self) -> None:
        self.api_url = f"{self.url}/api/"
        self.socket_url = f"ws://127.0.0.1:{self.port}/socket"

    async def before_cleanup(self) -> None:
        for ws in list(self._sockets):
            try:
                await asyncio.wait_for(ws.close(code=1001, message=b"server shutting down"), 1)
            except Exception:  # noqa: BLE001 - best effort
                pass

    def stop(self) -> None:
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        super().stop()
        self.socket_connected.clear()

    def reset(self) -> None:
        """Forget calls, messages, files, acks, scripted rate limits/failures and test-set
        usergroups/users. Open Socket Mode connections stay open."""
        with self._lock:
            self._init_state()

    def client(self, token: str = BOT_TOKEN, **kwargs: Any):
        """A ``slack_sdk.web.async_client.AsyncWebClient`` aimed at this fake."""
        from slack_sdk.web.async_client import AsyncWebClient

        return AsyncWebClient(token=token, base_url=self.api_url, **kwargs)

    # ---- scripting ------------------------------------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """The next ``times`` calls to ``method`` get HTTP 429, ``Retry-After: <retry_after>``
        and ``{"ok": false, "error": "ratelimited"}``. (slack_sdk reads only the header's first
        digit, so values above 9 are not honoured by its retry handler.)"""
        if int(retry_after) != retry_after or retry_after < 0:
            raise ValueError("Retry-After is a whole number of seconds")
        with self._lock:
            self._rate_limits.setdefault(method, deque()).extend([int(retry_after)] * times)

    def rate_limit_every(self, method: str, every: int, retry_after: int = 1, times: int = 1000) -> None:
        """Every ``every``-th of the next ``every * times`` calls to ``method`` gets a 429 (as
        ``rate_limit``); the calls between go through."""
        if every < 1 or int(retry_after) != retry_after or retry_after < 0:
            raise ValueError("every >= 1; Retry-After is a whole number of seconds")
        with self._lock:
            self._rate_limits.setdefault(method, deque()).extend(([None] * (every - 1) + [int(retry_after)]) * times)

    def fail(self, method: str, error: str = "internal_error", *, times: int = 1, status: int = 200) -> None:
        """The next ``times`` (authenticated) calls to ``method`` answer ``{"ok": false,
        "error": error}`` with HTTP ``status`` (Slack uses 200 for API errors; 500/503 are what
        ``AsyncServerErrorRetryHandler`` retries)."""
        with self._lock:
            self._failures.setdefault(method, deque()).extend([(error, status)] * times)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U123",
        ts: str | None = None,
        thread_ts: str | None = None,
        blocks: list | None = None,
        bot_id: str | None = None,
    ) -> str:
        """Seed a message (e.g. the user's message that started a thread); returns its ts."""
        ts = ts or next_ts()
        with self._lock:
            self.messages[(channel, ts)] = self._new_message(
                channel, ts, text=text, blocks=blocks, thread_ts=thread_ts, user=user, bot_id=bot_id
            )
        return ts

    def add_event_message(self, body: Mapping[str, Any]) -> str | None:
        """Seed the message carried by an ``event_callback`` body (or a bare event) of type
        ``message``/``app_mention``, as Slack's history would hold it. Returns its ts."""
        event = body.get("event", body)
        if not isinstance(event, Mapping) or event.get("type") not in ("message", "app_mention"):
            return None
        if not event.get("channel") or not event.get("ts") or event.get("subtype"):
            return None
        key = (event["channel"], event["ts"])
        with self._lock:
            if key in self.messages:
                return event["ts"]
        return self.add_message(
            event["channel"],
            event.get("text", ""),
            user=event.get("user", "U123"),
            ts=event["ts"],
            thread_ts=event.get("thread_ts"),
            blocks=event.get("blocks"),
            bot_id=event.get("bot_id"),
        )

    # ---- queries --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        """The root (if known) and every message posted with ``thread_ts``, in ts order, with
        their current text/blocks (after edits). Copies."""
        with self._lock:
            found = [
                dict(m)
                for (c, ts), m in self.messages.items()
                if c == channel and (ts == thread_ts or m.get("thread_ts") == thread_ts)
            ]
        return sorted(found, key=lambda m: _ts_key(m["ts"]))

    def bot_messages(self, channel: str | None = None) -> list[dict]:
        """Messages the bot posted (incl. file shares), in ts order. Copies."""
        with self._lock:
            found = [
                dict(m)
                for (c, _), m in self.messages.items()
                if m.get("bot_id") == BOT_ID and (channel is None or c == channel)
            ]
        return sorted(found, key=lambda m: _ts_key(m["ts"]))

    def reactions_on(self, channel: str, ts: str) -> list[str]:
        with self._lock:
            msg = self.messages.get((channel, ts))
            return list(msg["reactions"]) if msg else list(self._orphan_reactions.get((channel, ts), []))

    def responses(self, rid: str | None = None) -> list[dict]:
        """Posts to ``response_url``s (all, or those for one response id / full URL)."""
        with self._lock:
            posts = list(self.response_posts)
        if rid is None:
            return posts
        rid = rid.rsplit("/response/", 1)[-1]
        return [p for p in posts if p["id"] == rid]

    def summary(self, limit: int = 40) -> str:
        with self._lock:
            calls = list(self.calls)
            unknown = list(self.unknown_methods)
            acks = len(self.socket_acks)
            sent = len(self.socket_sent)
            responses = len(self.response_posts)
        lines = [f"{len(calls)} Web API call(s)" + (f" (showing last {limit})" if len(calls) > limit else "") + ":"]
        for c in calls[-limit:]:
            args = {k: v for k, v in c.args.items() if k != "token"}
            err = "" if not c.response or c.response.get("ok") else f" -> {c.response.get('error')}"
            flag = " [429]" if c.rate_limited else ""
            lines.append(f"  {c.method}{flag}{err} {_short(args, 160)}")
        if unknown:
            lines.append(f"unknown methods: {sorted(set(unknown))}")
        lines.append(f"socket: {self.socket_connects} connect(s), {sent} envelope(s) sent, {acks} ack(s)")
        if responses:
            lines.append(f"response_url posts: {responses}")
        return "\n".join(lines)

    # ---- waiting --------------------------------------------------------------------------

    @staticmethod
    def _refuse_in_loop(name: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        raise RuntimeError(
            f"FakeSlack.{name}() blocks; inside a running event loop it would starve the code under "
            f"test. Use `await fake_slack.{name}_async(...)`."
        )

    def wait_for(self, predicate: Callable[["FakeSlack"], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
        """Poll until ``predicate(self)`` is truthy (returns it), else AssertionError with a
        summary of the calls. Not inside a running loop: use ``wait_for_async`` there."""
        self._refuse_in_loop("wait_for")
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeSlack.wait_for timed out after {timeout}s\n{self.summary()}")
            time.sleep(interval)

    async def wait_for_async(
        self, predicate: Callable[["FakeSlack"], Any], timeout: float = 5.0, interval: float = 0.01
    ) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeSlack.wait_for timed out after {timeout}s\n{self.summary()}")
            await asyncio.sleep(interval)

    def _ack(self, envelope_id: str) -> dict | None:
        with self._lock:
            for ack in self.socket_acks:
                if ack.get("envelope_id") == envelope_id:
                    return ack
        return None

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict:
        """The first message the client sent back with this ``envelope_id``."""
        self._refuse_in_loop("wait_for_ack")
        return self.wait_for(lambda s: s._ack(envelope_id), timeout)

    async def wait_for_ack_async(self, envelope_id: str, timeout: float = 5.0) -> dict:
        return await self.wait_for_async(lambda s: s._ack(envelope_id), timeout)

    def wait_for_socket(self, timeout: float = 5.0) -> None:
        self._refuse_in_loop("wait_for_socket")
        if not self.socket_connected.wait(timeout):
            raise AssertionError(f"no Socket Mode client connected within {timeout}s\n{self.summary()}")

    async def wait_for_socket_async(self, timeout: float = 5.0) -> None:
        await self.wait_for_async(lambda s: s.socket_connected.is_set(), timeout)

    # ---- Socket Mode: sending envelopes ---------------------------------------------------

    def socket_send(self, message: dict) -> None:
        """Send any JSON message to the newest connected Socket Mode client (thread-safe)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeSlack is not running")
        if threading.current_thread() is self._thread:
            raise RuntimeError("socket_send() cannot be called from the fake's own loop")
        asyncio.run_coroutine_threadsafe(self._ws_send(message), loop).result(timeout=5)

    async def _ws_send(self, message: dict) -> None:
        open_sockets = [ws for ws in self._sockets if not ws.closed]
        if not open_sockets:
            raise RuntimeError(
                "no Socket Mode client is connected to the fake (await fake_slack.wait_for_socket_async() first)"
            )
        await open_sockets[-1].send_str(json.dumps(message))
        with self._lock:
            self.socket_sent.append(message)

    def socket_send_event(
        self,
        event_body: dict,
        retry_attempt: int = 0,
        retry_reason: str | None = None,
        *,
        store: bool = True,
    ) -> str:
        """Send an ``events_api`` envelope carrying ``event_body`` (an ``event_callback`` body,
        see ``app_mention_event``). ``store`` seeds the carried user message into
        ``messages`` as Slack's history would. Returns the envelope id."""
        if store:
            self.add_event_message(event_body)
        envelope_id = str(uuid.uuid4())
        self.socket_send(
            {
                "envelope_id": envelope_id,
                "payload": event_body,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": retry_attempt,
                "retry_reason": retry_reason if retry_reason is not None else ("timeout" if retry_attempt else ""),
            }
        )
        return envelope_id

    def socket_send_slash_command(self, form: dict) -> str:
        """Send a ``slash_commands`` envelope (``form``: see ``slash_command``)."""
        envelope_id = str(uuid.uuid4())
        self.socket_send(
            {"envelope_id": envelope_id, "payload": form, "type": "slash_commands", "accepts_response_payload": True}
        )
        return envelope_id

    def socket_send_interactive(self, payload: dict) -> str:
        """Send an ``interactive`` envelope (``payload``: see ``block_action``)."""
        envelope_id = str(uuid.uuid4())
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        self.socket_send(
            {"envelope_id": envelope_id, "payload": payload, "type": "interactive", "accepts_response_payload": accepts}
        )
        return envelope_id

    def socket_send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does every few hours (``warning`` /
        ``refresh_requested`` / ``link_disabled``)."""
        self.socket_send({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}})

    def socket_drop(self) -> None:
        """Close every Socket Mode connection from Slack's side, as a network drop or Slack's own
        restart does (clients then reconnect through ``apps.connections.open``)."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeSlack is not running")
        asyncio.run_coroutine_threadsafe(self.before_cleanup(), loop).result(timeout=5)

    def clear_failures(self, method: str) -> None:
        """Forget the scripted failures of ``method`` that were not used yet."""
        with self._lock:
            self._failures.pop(method, None)

    # ---- HTTP: Web API --------------------------------------------------------------------

    async def _parse_args(self, request: web.Request) -> dict:
        args: dict[str, Any] = {}
        for k in request.query:
            args.setdefault(k, request.query.getone(k))
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            form = await request.post()
            for k in form:
                v = form.getone(k)
                if isinstance(v, web.FileField):
                    args[k] = {"filename": v.filename, "content": v.file.read()}
                else:
                    args[k] = v
        else:
            raw = await request.read()
            if raw:
                if ctype == "application/json":
                    body = json.loads(raw)
                    if isinstance(body, dict):
                        args.update(body)
                else:
                    for k, v in urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
                        args[k] = v
        for k in _JSON_ARGS & args.keys():
            v = args[k]
            if isinstance(v, str) and v.strip()[:1] in ("[", "{"):
                try:
                    args[k] = json.loads(v)
                except ValueError:
                    pass
        return args

    def _auth_error(self, call: Call) -> str | None:
        token = call.token
        if not token:
            return "not_authed"
        if call.method == "apps.connections.open":
            if not token.startswith("xapp-"):
                return "not_allowed_token_type" if token.startswith(("xoxb-", "xoxp-")) else "invalid_auth"
        elif token.startswith("xapp-"):
            return "not_allowed_token_type"
        elif not token.startswith(("xoxb-", "xoxp-")):
            return "invalid_auth"
        if self.accepted_tokens is not None and token not in self.accepted_tokens:
            return "invalid_auth"
        return None

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            args = await self._parse_args(request)
        except ValueError as exc:
            args = {"_unparseable_body": str(exc)}
        call = Call(
            method=method,
            args=args,
            headers=dict(request.headers),
            time=self.clock(),
            http_verb=request.method,
            content_type=request.content_type,
        )
        with self._lock:
            self.calls.append(call)
            limits = self._rate_limits.get(method)
            retry_after = limits.popleft() if limits else None
        headers = {"X-Slack-Req-Id": secrets.token_hex(16)}
        if retry_after is not None:
            call.rate_limited = True
            call.status = 429
            call.response = {"ok": False, "error": "ratelimited"}
            headers["Retry-After"] = str(retry_after)
            return web.json_response(call.response, status=429, headers=headers)
        if "_unparseable_body" in args:
            body: dict = {"ok": False, "error": "invalid_json"}
        elif (auth_error := self._auth_error(call)) is not None:
            body = {"ok": False, "error": auth_error}
        else:
            with self._lock:
                failures = self._failures.get(method)
                failure = failures.popleft() if failures else None
            if failure is not None:
                body = {"ok": False, "error": failure[0]}
                call.status = failure[1]
            elif (handler := self._methods.get(method)) is not None:
                with self._lock:
                    body = handler(call)
            else:
                with self._lock:
                    self.unknown_methods.append(method)
                body = {"ok": True}
        call.response = body
        return web.json_response(body, status=call.status, headers=headers)

    async def _handle_unknown_route(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"ok": False, "error": "fake_slack_no_route", "detail": f"{request.method} {request.path}"}, status=404
        )

    # ---- method models (called under self._lock) ------------------------------------------

    def _new_message(
        self,
        channel: str,
        ts: str,
        *,
        text: str | None,
        blocks: Any = None,
        attachments: Any = None,
        thread_ts: str | None = None,
        user: str = BOT_USER_ID,
        bot_id: str | None = BOT_ID,
        files: list[str] | None = None,
        metadata: Any = None,
    ) -> dict:
        return {
            "channel": channel,
            "ts": ts,
            "text": text or "",
            "blocks": blocks,
            "attachments": attachments,
            "thread_ts": thread_ts or None,
            "user": user,
            "bot_id": bot_id,
            "files": list(files or []),
            "metadata": metadata,
            "reactions": [],
            "edits": [],
        }

    def _public_message(self, m: dict) -> dict:
        """A message as the Web API returns it (conversations.replies, chat.* echoes)."""
        out: dict[str, Any] = {"type": "message", "user": m["user"], "text": m["text"], "ts": m["ts"]}
        if m.get("bot_id"):
            out.update(bot_id=m["bot_id"], app_id=APP_ID)
        out["team"] = TEAM_ID
        for key in ("blocks", "attachments", "metadata"):
            if m.get(key) is not None:
                out[key] = m[key]
        if m.get("files"):
            out["files"] = [
                {"id": fid, "name": self.files.get(fid, {}).get("filename"), "title": self.files.get(fid, {}).get("title")}
                for fid in m["files"]
            ]
            out["upload"] = True
        if m.get("edits"):
            out["edited"] = {"user": m["user"], "ts": m["edits"][-1]["ts"]}
        if m.get("reactions"):
            out["reactions"] = [{"name": n, "users": [BOT_USER_ID], "count": 1} for n in m["reactions"]]
        if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
            out["thread_ts"] = m["thread_ts"]
            parent = self.messages.get((m["channel"], m["thread_ts"]))
            if parent is not None:
                out["parent_user_id"] = parent["user"]
        else:
            replies = [
                r for (c, _), r in self.messages.items()
                if c == m["channel"] and r.get("thread_ts") == m["ts"] and r["ts"] != m["ts"]
            ]
            if replies:
                replies.sort(key=lambda r: _ts_key(r["ts"]))
                out.update(
                    thread_ts=m["ts"],
                    reply_count=len(replies),
                    reply_users=sorted({r["user"] for r in replies}),
                    reply_users_count=len({r["user"] for r in replies}),
                    latest_reply=replies[-1]["ts"],
                )
        return out

    def _auth_test(self, call: Call) -> dict:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "noc",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _content_error(self, args: dict, *, require_content: bool = True) -> dict | None:
        text, blocks, attachments = args.get("text"), args.get("blocks"), args.get("attachments")
        if require_content and not text and not blocks and not attachments:
            return {"ok": False, "error": "no_text"}
        if isinstance(text, str) and len(text) > 40000:
            return {"ok": False, "error": "msg_too_long"}
        if blocks is not None and self.validate_blocks:
            errors = _block_errors(blocks)
            if errors:
                return {
                    "ok": False,
                    "error": "invalid_blocks",
                    "errors": errors,
                    "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
                }
        if blocks is not None and self.validate_blocks and _blocks_text(blocks) > self.blocks_text_limit:
            return {"ok": False, "error": "msg_blocks_too_long"}
        if attachments is not None and not isinstance(attachments, list):
            return {"ok": False, "error": "invalid_attachments"}
        return None

    def _chat_post_message(self, call: Call) -> dict:
        args = call.args
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if (err := self._content_error(args)) is not None:
            return err
        ts = next_ts()
        msg = self._new_message(
            channel,
            ts,
            text=args.get("text"),
            blocks=args.get("blocks"),
            attachments=args.get("attachments"),
            thread_ts=args.get("thread_ts"),
            metadata=args.get("metadata"),
        )
        self.messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": self._public_message(msg)}

    # ---- AI apps: thread status and streamed messages --------------------------------------

    def _assistant_set_status(self, call: Call) -> dict:
        """assistant.threads.setStatus: `status` "" clears it (docs.slack.dev reference)."""
        args = call.args
        channel, thread_ts = args.get("channel_id"), args.get("thread_ts")
        if not channel or not thread_ts:
            return {"ok": False, "error": "invalid_arguments"}
        if "status" not in args:
            return {"ok": False, "error": "invalid_arguments"}
        self.statuses.setdefault((channel, thread_ts), []).append(args.get("status") or "")
        return {"ok": True}

    _STREAM_APPEND_LIMIT = 12000

    def _stream_content(self, msg: dict, args: dict) -> dict | None:
        text = args.get("markdown_text")
        if isinstance(text, str):
            if len(text) > self._STREAM_APPEND_LIMIT:
                return {"ok": False, "error": "msg_too_long"}
            msg["text"] = (msg.get("text") or "") + text
        chunks = args.get("chunks")
        if chunks is not None:
            if not isinstance(chunks, list) or any(not isinstance(c, Mapping) or "type" not in c for c in chunks):
                return {"ok": False, "error": "invalid_chunks"}
            for chunk in chunks:
                if chunk["type"] == "markdown_text":
                    msg["text"] = (msg.get("text") or "") + str(chunk.get("text", ""))
                msg["chunks"].append(dict(chunk))
        return None

    def _chat_start_stream(self, call: Call) -> dict:
        """chat.startStream: a reply in a thread; in a channel the recipient user and team are required."""
        args = call.args
        channel, thread_ts = args.get("channel"), args.get("thread_ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not thread_ts:
            return {"ok": False, "error": "invalid_arguments"}
        if not channel.startswith("D"):
            if not args.get("recipient_user_id"):
                return {"ok": False, "error": "missing_recipient_user_id"}
            if not args.get("recipient_team_id"):
                return {"ok": False, "error": "missing_recipient_team_id"}
        ts = next_ts()
        msg = self._new_message(channel, ts, text="", blocks=None, attachments=None, thread_ts=thread_ts, metadata=None)
        msg.update(streaming=True, chunks=[], task_display_mode=args.get("task_display_mode"),
                   recipient_user_id=args.get("recipient_user_id"))
        if (err := self._stream_content(msg, args)) is not None:
            return err
        self.messages[(channel, ts)] = msg
        return {"ok": True, "channel": channel, "ts": ts}

    def _streaming_message(self, args: dict) -> tuple[dict | None, dict | None]:
        msg = self.messages.get((args.get("channel"), args.get("ts")))
        if msg is None:
            return None, {"ok": False, "error": "message_not_found"}
        if not msg.get("streaming"):
            return None, {"ok": False, "error": "message_not_in_streaming_state"}
        return msg, None

    def _chat_append_stream(self, call: Call) -> dict:
        msg, err = self._streaming_message(call.args)
        if err is not None:
            return err
        if (err := self._stream_content(msg, call.args)) is not None:
            return err
        return {"ok": True, "channel": msg["channel"], "ts": msg["ts"]}

    def _chat_stop_stream(self, call: Call) -> dict:
        msg, err = self._streaming_message(call.args)
        if err is not None:
            return err
        if (err := self._stream_content(msg, call.args)) is not None:
            return err
        if call.args.get("blocks") is not None:
            if (err := self._content_error({"blocks": call.args["blocks"]}, require_content=False)) is not None:
                return err
            msg["blocks"] = call.args["blocks"]
        msg["streaming"] = False
        return {"ok": True, "channel": msg["channel"], "ts": msg["ts"], "message": self._public_message(msg)}

    def _chat_get_permalink(self, call: Call) -> dict:
        """chat.getPermalink: https://<domain>.slack.com/archives/<channel>/p<ts without the dot>."""
        channel, ts = call.args.get("channel"), call.args.get("message_ts")
        if (channel, ts) not in self.messages:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel,
                "permalink": f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{str(ts).replace('.', '')}"}

    def _chat_update(self, call: Call) -> dict:
        args = call.args
        channel, ts = args.get("channel"), args.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        msg = self.messages.get((channel, ts))
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        if msg.get("bot_id") != BOT_ID:
            return {"ok": False, "error": "cant_update_message"}
        if (err := self._content_error(args, require_content=False)) is not None:
            return err
        # Absent fields keep their previous value (Slack: "If you don't include this field, the
        # message's previous blocks will be retained"); an empty blocks list clears them.
        edit = {"ts": next_ts(), "time": time.time(), "previous_text": msg["text"]}
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                edit[key] = args[key]
                msg[key] = (args[key] or "") if key == "text" else (args[key] or None)
        msg["edits"].append(edit)
        return {"ok": True, "channel": channel, "ts": ts, "text": msg["text"], "message": self._public_message(msg)}

    def _chat_post_ephemeral(self, call: Call) -> dict:
        args = call.args
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("user"):
            return {"ok": False, "error": "user_not_found"}
        if (err := self._content_error(args)) is not None:
            return err
        ts = next_ts()
        self.ephemerals.append(
            {
                "channel": args["channel"],
                "user": args["user"],
                "text": args.get("text") or "",
                "blocks": args.get("blocks"),
                "attachments": args.get("attachments"),
                "thread_ts": args.get("thread_ts"),
                "message_ts": ts,
            }
        )
        return {"ok": True, "message_ts": ts}

    def _chat_delete(self, call: Call) -> dict:
        channel, ts = call.args.get("channel"), call.args.get("ts")
        msg = self.messages.get((channel, ts))  # type: ignore[arg-type]
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        if msg.get("bot_id") != BOT_ID:
            return {"ok": False, "error": "cant_delete_message"}
        self.deleted.append(self.messages.pop((channel, ts)))  # type: ignore[arg-type]
        return {"ok": True, "channel": channel, "ts": ts}

    def _reaction_target(self, call: Call) -> tuple[list[str] | None, dict | None]:
        channel, ts, name = call.args.get("channel"), call.args.get("timestamp"), call.args.get("name")
        if not name:
            return None, {"ok": False, "error": "invalid_name"}
        if not channel or not ts:
            return None, {"ok": False, "error": "no_item_specified"}
        msg = self.messages.get((channel, ts))
        if msg is not None:
            return msg["reactions"], None
        return self._orphan_reactions.setdefault((channel, ts), []), None

    def _reactions_add(self, call: Call) -> dict:
        names, err = self._reaction_target(call)
        if err is not None:
            return err
        name = call.args["name"]
        if name in names:  # type: ignore[operator]
            return {"ok": False, "error": "already_reacted"} if self.strict_reactions else {"ok": True}
        names.append(name)  # type: ignore[union-attr]
        return {"ok": True}

    def _reactions_remove(self, call: Call) -> dict:
        names, err = self._reaction_target(call)
        if err is not None:
            return err
        name = call.args["name"]
        if name not in names:  # type: ignore[operator]
            return {"ok": False, "error": "no_reaction"} if self.strict_reactions else {"ok": True}
        names.remove(name)  # type: ignore[union-attr]
        return {"ok": True}

    def _files_get_upload_url(self, call: Call) -> dict:
        filename, length = call.args.get("filename"), call.args.get("length")
        try:
            length = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if not filename:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = _file_id()
        self.files[file_id] = {
            "id": file_id,
            "filename": filename,
            "length": length,
            "alt_txt": call.args.get("alt_txt"),
            "snippet_type": call.args.get("snippet_type"),
            "content": None,
            "title": None,
            "channel": None,
            "thread_ts": None,
            "initial_comment": None,
            "completed": False,
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, call: Call) -> dict:
        args = call.args
        files = args.get("files")
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        entries = []
        for f in files:
            entry = self.files.get(f.get("id")) if isinstance(f, Mapping) else None
            if entry is None or entry["content"] is None:
                return {"ok": False, "error": "file_not_found"}
            entries.append((entry, f))
        channel = args.get("channel_id") or (args.get("channels") or "").split(",")[0] or None
        thread_ts = args.get("thread_ts") or None
        comment = args.get("initial_comment") or None
        out = []
        for entry, f in entries:
            entry.update(
                title=f.get("title") or entry["filename"],
                channel=channel,
                channels=[c for c in (args.get("channels") or "").split(",") if c] or ([channel] if channel else []),
                thread_ts=thread_ts,
                initial_comment=comment,
                completed=True,
            )
            out.append({"id": entry["id"], "title": entry["title"]})
        if channel:
            ts = next_ts()
            self.messages[(channel, ts)] = self._new_message(
                channel, ts, text=comment, thread_ts=thread_ts, files=[e["id"] for e, _ in entries]
            )
            for entry, _ in entries:
                entry["share_ts"] = ts
        return {"ok": True, "files": out}

    def _conversations_replies(self, call: Call) -> dict:
        channel, ts = call.args.get("channel"), call.args.get("ts")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "invalid_arguments"}
        found = [
            m for (c, t), m in self.messages.items() if c == channel and (t == ts or m.get("thread_ts") == ts)
        ]
        found.sort(key=lambda m: _ts_key(m["ts"]))
        try:
            limit = int(call.args.get("limit") or 1000)
        except ValueError:
            limit = 1000
        return {
            "ok": True,
            "messages": [self._public_message(m) for m in found[:limit]],
            "has_more": len(found) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _usergroups_users_list(self, call: Call) -> dict:
        group = call.args.get("usergroup")
        if group not in self.usergroups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.usergroups[group])}

    def _users_info(self, call: Call) -> dict:
        uid = call.args.get("user")
        if not isinstance(uid, str) or uid[:1] not in ("U", "W"):
            return {"ok": False, "error": "user_not_found"}
        name = "noc" if uid == BOT_USER_ID else f"user-{uid.lower()}"
        real = "NOC Bot" if uid == BOT_USER_ID else f"User {uid}"
        user: dict[str, Any] = {
            "id": uid,
            "team_id": TEAM_ID,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": "Europe/London",
            "tz_label": "British Summer Time",
            "tz_offset": 3600,
            "is_admin": False,
            "is_owner": False,
            "is_bot": uid == BOT_USER_ID,
            "is_app_user": False,
            "updated": 1700000000,
            "profile": {
                "real_name": real,
                "display_name": name,
                "email": None if uid == BOT_USER_ID else f"{name}@noc.example",
                "team": TEAM_ID,
            },
        }
        if uid == BOT_USER_ID:
            user["profile"]["bot_id"] = BOT_ID
        override = self.users.get(uid) or {}
        profile = {**user["profile"], **override.get("profile", {})}
        user.update(override)
        user["profile"] = profile
        return {"ok": True, "user": user}

    def _apps_connections_open(self, call: Call) -> dict:
        ticket = str(uuid.uuid4())
        self.socket_tickets.append(ticket)
        return {"ok": True, "url": f"{self.socket_url}?ticket={ticket}&app_id={APP_ID}"}

    # ---- App Home and the assistant view ----------------------------------------------------

    def _views_publish(self, call: Call) -> dict:
        """views.publish: a ``home`` view of at most 100 blocks for ``user_id``; echoes the view."""
        args = call.args
        user, view = args.get("user_id"), args.get("view")
        if not isinstance(user, str) or not user.startswith(("U", "W")):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["invalid `user_id`"]}}
        if not isinstance(view, Mapping) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": ["invalid `view`"]}}
        if len(json.dumps(view)) > 250_000:
            return {"ok": False, "error": "view_too_large"}
        if self.validate_blocks and (errors := _block_errors(view.get("blocks"), max_blocks=100)):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]}}
        self.home_views.setdefault(user, []).append(dict(view))
        published = {"id": f"V{next(_counter):04d}", "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
                     "hash": f"{int(time.time())}.{secrets.token_hex(4)}", "state": {"values": {}}, **view}
        return {"ok": True, "view": published}

    def _assistant_set_suggested_prompts(self, call: Call) -> dict:
        """assistant.threads.setSuggestedPrompts: up to four ``{title, message}`` prompts."""
        args = call.args
        channel, prompts = args.get("channel_id"), args.get("prompts")
        if not isinstance(channel, str) or not channel:
            return {"ok": False, "error": "channel_not_found"}
        if (not isinstance(prompts, list) or not 1 <= len(prompts) <= 4
                or any(not isinstance(p, Mapping) or not p.get("title") or not p.get("message") for p in prompts)):
            return {"ok": False, "error": "invalid_arguments"}
        self.suggested_prompts[(channel, args.get("thread_ts"))] = [dict(p) for p in prompts]
        return {"ok": True}

    def _assistant_set_title(self, call: Call) -> dict:
        """assistant.threads.setTitle: every title set, per (channel_id, thread_ts)."""
        args = call.args
        channel, thread_ts, title = args.get("channel_id"), args.get("thread_ts"), args.get("title")
        if not channel or not thread_ts or not isinstance(title, str) or not title:
            return {"ok": False, "error": "invalid_arguments"}
        self.thread_titles.setdefault((channel, thread_ts), []).append(title)
        return {"ok": True}

    # ---- HTTP: upload URL and response_url ------------------------------------------------

    async def _handle_upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            content = b""
            for k in form:
                v = form.getone(k)
                if isinstance(v, web.FileField):
                    content = v.file.read()
                    break
        else:
            content = await request.read()
        with self._lock:
            entry = self.files.get(file_id)
            if entry is None:
                return web.Response(status=404, text="file_not_found", content_type="text/plain")
            entry["content"] = content
        return web.Response(status=200, text=f"OK - {len(content)}", content_type="text/plain")

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else {}
        except ValueError:
            body = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
        with self._lock:
            self.response_posts.append(
                {"id": request.match_info["rid"], "body": body, "headers": dict(request.headers), "time": time.time()}
            )
        return web.json_response({"ok": True})

    # ---- Socket Mode: WebSocket endpoint --------------------------------------------------

    async def _handle_socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024**2)
        await ws.prepare(request)
        with self._lock:
            self._sockets.append(ws)
            self.socket_connects += 1
        self.socket_connected.set()
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": len([s for s in self._sockets if not s.closed]),
                        "debug_info": {
                            "host": "applink-fake-1",
                            "build_number": 1,
                            "approximate_connection_time": 18060,
                        },
                        "connection_info": {"app_id": APP_ID},
                    }
                )
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        data = json.loads(msg.data)
                    except ValueError:
                        data = {"_raw": msg.data}
                    with self._lock:
                        self.socket_acks.append(data if isinstance(data, dict) else {"_raw": data})
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            with self._lock:
                if ws in self._sockets:
                    self._sockets.remove(ws)
                if not any(not s.closed for s in self._sockets):
                    self.socket_connected.clear()
        return ws


# --------------------------------------------------------------------------------------------
# Payload builders
# --------------------------------------------------------------------------------------------


def _rich_text(text: str) -> list[dict]:
    elements: list[dict] = []
    for piece in _MENTION_RE.split(text):
        if not piece:
            continue
        if _MENTION_RE.fullmatch(piece):
            elements.append({"type": "user", "user_id": piece[2:-1].split("|")[0]})
        else:
            elements.append({"type": "text", "text": piece})
    return [
        {
            "type": "rich_text",
            "block_id": secrets.token_hex(3),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def event_callback(event: dict, *, event_id: str | None = None, event_time: int | None = None) -> dict:
    """Wrap an event in the ``event_callback`` body Slack POSTs (or sends over Socket Mode)."""
    ts = event.get("event_ts") or event.get("ts")
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or _event_id(),
        "event_time": event_time if event_time is not None else (int(float(ts)) if ts else int(time.time())),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }


def app_mention_event(
    text: str,
    *,
    user: str = "U123",
    channel: str = "C0NOC",
    ts: str | None = None,
    thread_ts: str | None = None,
    event_id: str | None = None,
) -> dict:
    """An ``event_callback`` body with an ``app_mention`` event. Slack's mention text always
    contains ``<@U0BOT>``: it is prefixed unless ``text`` already mentions the bot."""
    if f"<@{BOT_USER_ID}" not in text:
        text = f"<@{BOT_USER_ID}> {text}"
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": TEAM_ID,
        "blocks": _rich_text(text),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event_callback(event, event_id=event_id)


def message_event(
    text: str,
    *,
    user: str = "U123",
    channel: str = "C0NOC",
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    event_id: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
) -> dict:
    """An ``event_callback`` body with a ``message`` event (``bot_id``/``subtype`` for messages
    the bot must ignore, e.g. its own: ``user=BOT_USER_ID, bot_id=BOT_ID``)."""
    ts = ts or next_ts()
    event: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts, "team": TEAM_ID}
    if bot_id:
        event.update(bot_id=bot_id, app_id=APP_ID)
    else:
        event.update(client_msg_id=str(uuid.uuid4()), blocks=_rich_text(text))
    if subtype:
        event["subtype"] = subtype
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = BOT_USER_ID
    event.update(channel=channel, event_ts=ts, channel_type=channel_type)
    return event_callback(event, event_id=event_id)


def dm_event(
    text: str,
    *,
    user: str = "U123",
    channel: str = "D0NOC",
    ts: str | None = None,
    thread_ts: str | None = None,
    event_id: str | None = None,
) -> dict:
    """An ``event_callback`` body with a direct-message ``message`` event (``channel_type: im``)."""
    return message_event(
        text, user=user, channel=channel, channel_type="im", ts=ts, thread_ts=thread_ts, event_id=event_id
    )


def _response_url(server: FakeSlack | None) -> str:
    server = server or FakeSlack.current()
    rid = f"{TEAM_ID}/{next(_counter)}/{secrets.token_hex(12)}"
    if server is None or not server.url:
        return f"https://hooks.slack.com/commands/{rid}"
    return f"{server.url}/response/{rid}"


def slash_command(
    command: str,
    text: str,
    *,
    user: str = "U123",
    channel: str = "C0NOC",
    user_name: str | None = None,
    channel_name: str = "noc",
    response_url: str | None = None,
    server: FakeSlack | None = None,
) -> dict:
    """The form fields Slack POSTs for a slash command (all strings). ``response_url`` points at
    the running fake (``server`` or the newest started one) so ``respond()`` posts are recorded
    in ``server.response_posts``; without a running fake it is a hooks.slack.com URL."""
    if not command.startswith("/"):
        command = "/" + command
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel,
        "channel_name": "directmessage" if channel.startswith("D") else channel_name,
        "user_id": user,
        "user_name": user_name or f"user-{user.lower()}",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url or _response_url(server),
        "trigger_id": _trigger_id(),
    }


def block_action(
    action_id: str,
    value: str,
    *,
    user: str = "U123",
    channel: str = "C0NOC",
    message_ts: str,
    thread_ts: str | None = None,
    block_id: str | None = None,
    action_type: str = "button",
    button_text: str | None = None,
    response_url: str | None = None,
    server: FakeSlack | None = None,
) -> dict:
    """A ``block_actions`` payload for a click on a button in the message ``message_ts``. The
    message's text/blocks come from the running fake when it holds that message. Slack POSTs
    it as the form field ``payload=<json>`` (``post_signed`` does that)."""
    server = server or FakeSlack.current()
    stored = message = None
    if server is not None:
        with server._lock:
            stored = server.messages.get((channel, message_ts))
            message = server._public_message(stored) if stored else None
    if stored is not None and message is not None:
        thread_ts = thread_ts or stored.get("thread_ts")
    else:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
                   "text": "", "ts": message_ts, "team": TEAM_ID}
    if thread_ts:
        message.setdefault("thread_ts", thread_ts)
    block_id = block_id or secrets.token_hex(3)
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": button_text or value, "emoji": True}
        action["value"] = value
    elif action_type in ("static_select", "external_select"):
        action["selected_option"] = {"text": {"type": "plain_text", "text": button_text or value}, "value": value}
    else:
        action["value"] = value
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if thread_ts:
        container["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user, "username": f"user-{user.lower()}", "name": f"user-{user.lower()}", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": _trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "noc"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url or _response_url(server),
        "actions": [action],
    }


# --------------------------------------------------------------------------------------------
# Signed requests to the app under test
# --------------------------------------------------------------------------------------------


def encode_request(body: Mapping[str, Any] | str | bytes, *, form: bool = False) -> tuple[bytes, str]:
    """Encode a body the way Slack does: ``(raw bytes, content type)``.

    * slash command fields (a dict with ``command``) -> urlencoded fields;
    * an interactive payload (``type`` block_actions, view_submission...) -> ``payload=<json>``;
    * any other dict -> JSON (events), or urlencoded fields if ``form=True``;
    * str/bytes -> as is (form content type if ``form`` or not JSON-looking).
    """
    if isinstance(body, (str, bytes)):
        raw = body.encode("utf-8") if isinstance(body, str) else body
        looks_json = raw.lstrip()[:1] in (b"{", b"[")
        return raw, ("application/x-www-form-urlencoded" if form or not looks_json else "application/json")
    if "command" in body:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items() if v is not None}
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    if body.get("type") in _INTERACTIVE_TYPES:
        return urllib.parse.urlencode({"payload": json.dumps(body)}).encode(), "application/x-www-form-urlencoded"
    if form:
        fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items() if v is not None}
        return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
    return json.dumps(body).encode(), "application/json"


def sign(body: bytes | str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body``, plus its Content-Type."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    ts = str(int(time.time()) if timestamp is None else int(timestamp))
    digest = hmac.new(secret.encode("utf-8"), b"v0:" + ts.encode() + b":" + raw, hashlib.sha256).hexdigest()
    ctype = "application/json" if raw.lstrip()[:1] in (b"{", b"[") else "application/x-www-form-urlencoded"
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": ctype}


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def post_signed(
    url: str,
    body: Mapping[str, Any] | str | bytes,
    secret: str = SIGNING_SECRET,
    *,
    form: bool = False,
    headers: Mapping[str, str] | None = None,
    timestamp: int | None = None,
    timeout: float = 10.0,
) -> tuple[int, str]:
    """POST ``body`` to ``url`` as Slack would (encoding per ``encode_request``, signed with
    ``secret``); returns ``(status, response text)``. Extra ``headers`` (``X-Slack-Retry-Num``...)
    are added last. Blocking: from an ``async def`` test whose app serves in the same loop, use
    ``post_signed_async``."""
    raw, ctype = encode_request(body, form=form)
    all_headers = {**sign(raw, secret, timestamp), "Content-Type": ctype,
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=raw, headers=all_headers, method="POST")
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


async def post_signed_async(
    url: str,
    body: Mapping[str, Any] | str | bytes,
    secret: str = SIGNING_SECRET,
    **kwargs: Any,
) -> tuple[int, str]:
    """``post_signed`` in a worker thread, so the calling loop keeps serving."""
    return await asyncio.to_thread(post_signed, url, body, secret, **kwargs)


# --------------------------------------------------------------------------------------------
# pytest fixture (import it into a test module: `from tests.fakes.slack_api import fake_slack`)
# --------------------------------------------------------------------------------------------


@pytest.fixture(name="fake_slack")
def fake_slack_fixture() -> Iterator[FakeSlack]:
    """A started FakeSlack, stopped after the test. Web API at ``fake_slack.api_url``."""
    with FakeSlack() as server:
        yield server


fake_slack = fake_slack_fixture
