"""Who a log line is about: the request, user, channel and specialist being worked on.

Why a context variable: a request's work is spread over tasks (steps in parallel, device reads,
Claude calls) and modules that know nothing of each other; each log line should still say which
request and specialist it belongs to without every function passing them along. asyncio copies
the context into each task it creates, so fields bound around a piece of work reach every line
logged inside it, and no further. The engine binds the request id and the specialist; the bot
binds the Slack user and channel; the bot's logging filter (bot/logs.py) puts them on each record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

FIELDS = ("request_id", "user", "channel", "specialist")

_EMPTY: Mapping[str, str] = MappingProxyType({})
_FIELDS: ContextVar[Mapping[str, str]] = ContextVar("noc_log_fields", default=_EMPTY)


def current_log_fields() -> Mapping[str, str]:
    return _FIELDS.get()


@contextmanager
def log_fields(**fields: str | None) -> Iterator[None]:
    """Add fields (empty values are left out) to every line logged inside the block."""
    given = {k: v for k, v in fields.items() if v}
    token = _FIELDS.set(MappingProxyType({**_FIELDS.get(), **given}))
    try:
        yield
    finally:
        _FIELDS.reset(token)
