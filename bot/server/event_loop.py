"""The event loop `noc run` serves on: uvloop when it is installed, asyncio's own otherwise.

Why (issue 27): every Slack request is a connection accepted, read, answered and closed on one
event loop, and a burst of 200 of them queues behind that loop's own per-connection work (the
selector, transports, callbacks), which asyncio's loop does in Python. uvloop does the same work
in C on libuv, with the same asyncio API that aiohttp, Bolt, asyncpg, aiosqlite and APScheduler
use (docs/benchmarks.md has the figures). `server.event_loop` (NOC_SERVER__EVENT_LOOP) chooses:
`auto` (uvloop if importable, else asyncio, said once in the log), `uvloop` (required: an error
if it is missing) or `asyncio` (the standard loop, to rule uvloop out when chasing a problem).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def loop_factory(choice: str = "auto") -> tuple[Callable[[], asyncio.AbstractEventLoop] | None, str]:
    """The factory for `asyncio.Runner` (None: asyncio's default) and the loop's name."""
    if choice == "asyncio":
        return None, "asyncio"
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise RuntimeError("server.event_loop is uvloop but uvloop is not installed (pip install uvloop)") from None
        return None, "asyncio"
    return uvloop.new_event_loop, "uvloop"


def run(main: Coroutine[Any, Any, T], choice: str = "auto") -> T:
    """`asyncio.run(main)` on the loop `choice` names (see the module's docstring)."""
    factory, name = loop_factory(choice)
    log.info("event loop: %s", name)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
