"""Logging set-up for the `noc` command: one line per record, as text or JSON, with the request,
user, channel and specialist on each line.

Why JSON: a log pipeline (Loki, Elasticsearch, CloudWatch) indexes fields, and a request's lines
are then one query away (`request_id="7f3c..."`). The fields come from agents/log_context.py
(context variables bound around a request, a Slack event and a specialist's step) through
`ContextFilter`. Text stays the default at a terminal.

Levels: `NOC_LOG_LEVEL` (or `NOC_LOG__LEVEL`), WARNING by default and INFO for `noc run`, which
says what it loaded and logs one access line per Slack request and alert. Libraries that narrate
their own start-up (alembic's migrations, APScheduler's jobs, Bolt) stay at WARNING unless the
level is DEBUG: at INFO they were 17 of 19 start-up lines.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from types import TracebackType

from agents.log_context import FIELDS, current_log_fields
from bot.config.secret_mask import mask_credentials

FORMAT_ENV = "NOC_LOG__FORMAT"
LEVEL_ENVS = ("NOC_LOG__LEVEL", "NOC_LOG_LEVEL")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET_LIBRARIES = ("alembic", "apscheduler", "slack_bolt", "slack_sdk", "sqlalchemy", "aiohttp", "napalm", "netmiko",
                   "paramiko", "ncclient", "httpx", "anthropic")



class OneLineFormatter(logging.Formatter):
    """Log records on one line: an operator at a terminal needs the cause, not a traceback.

    Tracebacks are still written at NOC_LOG_LEVEL=DEBUG, for whoever debugs the bot itself.
    """

    def formatException(  # noqa: N802 (logging's name)
        self, ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
    ) -> str:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            return super().formatException(ei)
        first = str(ei[1]).splitlines()[0] if ei and str(ei[1]) else ""
        return f"  ({ei[0].__name__}: {first}; NOC_LOG_LEVEL=DEBUG shows the traceback)" if ei and ei[0] else ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # computed per handler, so another handler's traceback text is not reused
        text = super().format(record)
        return mask_credentials(text.replace("\n  (", "  (", 1))


class ContextFilter(logging.Filter):
    """Copies the bound fields (request_id, user, channel, specialist) onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = current_log_fields()
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, bound.get(name))
        return True


class LibraryNoise(logging.Filter):
    """Drops the libraries' records below WARNING (unless the level is DEBUG), whatever level the
    library gave its own logger (Bolt sets its loggers to the root's level when it builds the app),
    and Bolt's warning that `token` is unused: `noc run` builds the client from SLACK_BOT_TOKEN
    itself, and Bolt, reading the same variable again, warned on every start."""

    BOLT_TOKEN_UNUSED = "As you gave `client` as well, `token` will be unused."

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.split(".", 1)[0] not in QUIET_LIBRARIES:
            return True
        if record.name.startswith("slack_bolt") and record.getMessage() == self.BOLT_TOKEN_UNUSED:
            return False
        return record.levelno >= logging.WARNING or logging.getLogger().getEffectiveLevel() <= logging.DEBUG


class TextFormatter(OneLineFormatter):
    """The one-line text format, with the bound fields at the end in brackets when there are any
    (a record's own `fields` are for JSON: in text its message already says them)."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        bound = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None))
        return f"{text} [{bound}]" if bound else text


class JsonFormatter(OneLineFormatter):
    """One JSON object per line: time (UTC), level, logger, message, the bound fields, a record's
    own `fields` (extra={"fields": {...}}: an access line's method, status, duration) and, for an
    exception, its one-line cause (the traceback only at DEBUG, as in text)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                                  "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        out.update({name: getattr(record, name) for name in FIELDS if getattr(record, name, None)})
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            out.update(extra)
        if record.exc_info:
            out["error"] = self.formatException(record.exc_info).strip().removeprefix("(").removesuffix(")")
        return mask_credentials(json.dumps(out, default=str, ensure_ascii=False))  # as the text format: no URL password


def log_level(default: str = "WARNING") -> str:
    return next((os.environ[name] for name in LEVEL_ENVS if os.environ.get(name)), default).upper()


def configure_logging(fmt: str | None = None, level: str | None = None) -> None:
    """Root logging to stderr in `fmt` (text or json; default $NOC_LOG__FORMAT, else text).

    Like logging.basicConfig, a handler and level are set only when the root logger has no
    handler yet (a host application's or a test runner's own set-up is kept); the formatter and
    the context filter go on every root handler either way."""
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "text").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{FORMAT_ENV}={fmt!r}: use one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler(sys.stderr))
        root.setLevel(level or log_level())
    formatter = JsonFormatter() if fmt == "json" else TextFormatter(TEXT_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
        for kind in (ContextFilter, LibraryNoise):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())
    quiet = logging.NOTSET if root.getEffectiveLevel() <= logging.DEBUG else logging.WARNING
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)


def serve_level() -> None:
    """`noc run` logs at INFO unless a level was asked for (what it loaded, one line per request)."""
    if not any(os.environ.get(name) for name in LEVEL_ENVS):
        root = logging.getLogger()
        if root.level > logging.INFO:
            root.setLevel(logging.INFO)
