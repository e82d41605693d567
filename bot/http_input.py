"""What every request body of the bot's HTTP server must be before any handler trusts it, and a
one-line log for requests too broken for a handler to see.

Why (issue 22): a non-UTF-8 header, a body cut short, a body whose Content-Encoding lies, JSON
nested ten thousand deep or carrying a lone surrogate each raised inside a handler, which aiohttp
answers 500 with a traceback in the log, for anyone who can reach the port. The pieces here turn
each into a 4xx with the reason:

* `read_body`: the raw body within a size limit (413), or 400 when it cannot be read (a lying
  Content-Encoding, a connection that ends mid-body);
* `decode_json`: strict JSON (Alertmanager and Slack are Go and JSON libraries that never send
  anything else): UTF-8, no duplicate keys, no NaN/Infinity/1e999, no lone surrogate or NUL in a
  string (neither can be stored, PostgreSQL refuses NUL), at most `MAX_DEPTH` levels;
* `json_problem`: the same checks on an already parsed document (Bolt parses interactive payloads);
* `header_text`: a header as text, or None when its bytes were not UTF-8;
* `quiet_malformed_http`: a logging filter for aiohttp's own parser errors (bad request line,
  header or chunk, before any handler runs): one INFO line instead of an ERROR with a traceback.

Hand-written: the JSON checks are object hooks of the standard library's parser.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

MAX_DEPTH = 64  # Slack's and Alertmanager's payloads are under 10 levels deep


class BodyRejected(Exception):
    """A request body the server answers with `status` and `reason` instead of handling.
    `logged`: aiohttp has already logged the cause (a body its parser could not decode), so the
    handler adds no second line."""

    def __init__(self, status: int, reason: str, *, logged: bool = False) -> None:
        super().__init__(reason)
        self.status, self.reason, self.logged = status, reason, logged


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes; BodyRejected(413 or 400) otherwise. Read with
    `request.read()`, which keeps it for whoever reads the request next (Bolt's adapter) and stops
    at the application's client_max_size (1 MiB by default) when no Content-Length announced it."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyRejected(413, f"body of {request.content_length} bytes is over the {limit}-byte limit")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BodyRejected(413, f"body is over the {limit}-byte limit") from None
    except (HttpProcessingError, RequestPayloadError) as exc:  # bad encoding or chunking: aiohttp logged it
        raise BodyRejected(400, f"body could not be read ({_first_line(exc)})", logged=True) from None
    except (ConnectionError, ValueError) as exc:  # cut short
        raise BodyRejected(400, f"body could not be read ({type(exc).__name__}: {_first_line(exc)})") from None
    if len(raw) > limit:
        raise BodyRejected(413, f"body is over the {limit}-byte limit")
    return raw


def decode_json(raw: bytes, *, replace_unstorable: bool = False) -> Any:
    """The JSON document in `raw`, or BodyRejected(400) saying what is wrong with it.

    `replace_unstorable`: a NUL or a lone surrogate in a string becomes U+FFFD instead of
    refusing the body. For alerts: a monitoring system resends a refused notification for ever
    and the alert is never seen, while one unreadable character costs nothing."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRejected(400, f"body is not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise BodyRejected(400, "body is not JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and the hooks' refusals; int() of 5,000 digits too
        raise BodyRejected(400, f"body is not JSON: {_first_line(exc)[:200]}") from None
    problem = json_problem(data, text_checks=not replace_unstorable)
    if problem:
        raise BodyRejected(400, problem)
    return _storable(data) if replace_unstorable else data


def _storable(value: Any) -> Any:
    """`value` with NUL and lone surrogates in its strings replaced by U+FFFD (depth already
    bounded by json_problem, so the recursion is too)."""
    if isinstance(value, str):
        return _storable_text(value)
    if isinstance(value, dict):
        return {_storable_text(key): _storable(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_storable(inner) for inner in value]
    return value


def _storable_text(text: str) -> str:
    if _text_problem(text) is None:
        return text
    # json.loads joins a valid surrogate pair into one code point: a surrogate left is a lone one
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key[:80]!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def json_problem(document: Any, *, text_checks: bool = True) -> str | None:
    """Why a parsed JSON document is not acceptable (see the module docstring), or None. Walked
    without recursion, so any depth is safe to check. `text_checks=False` leaves NUL and lone
    surrogates to the caller."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"body is nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, str):
            problem = _text_problem(value) if text_checks else None
            if problem:
                return problem
        elif isinstance(value, float) and not math.isfinite(value):
            return "body holds a number out of range (NaN or Infinity)"
        elif isinstance(value, dict):
            for key, inner in value.items():
                problem = _text_problem(key) if isinstance(key, str) and text_checks else None
                if problem:
                    return problem
                stack.append((inner, depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, depth + 1) for inner in value)
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "body holds a NUL character in a string"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "body holds a lone surrogate (\\ud800-\\udfff) in a string"
    return None


def header_text(request: web.Request, name: str) -> str | None:
    """The header's value, "" when absent, None when its bytes were not UTF-8 (aiohttp keeps
    them as surrogate escapes, which raise as soon as anything encodes them)."""
    value = request.headers.get(name, "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return " ".join(text.split()) if text else type(exc).__name__


class _MalformedHttpFilter(logging.Filter):
    """aiohttp logs a request its parser refuses (it answers 400 itself) with logger.exception:
    an ERROR and a traceback per garbage request. Such records become one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | RequestPayloadError | ConnectionError):
            record.msg, record.args = "rejected a malformed HTTP request: %s", (_first_line(exc)[:200],)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = _MalformedHttpFilter()


def quiet_malformed_http() -> None:
    """Install the filter on aiohttp's server logger (idempotent)."""
    logger = logging.getLogger("aiohttp.server")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
