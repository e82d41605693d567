"""Reading what the App Home tab shows (bot.report.home_view renders it).

Three independent reads, each bounded by `patience_s`: the newest stored health sweep, the live
breakers of this process, and the user's own recent requests. A read that fails or takes too
long becomes that part's error line; the tab is still published, because a blank or stale
home tab looks like a dead bot, which is exactly what an engineer opening it wants to rule out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from agents.resilience.guard import Resilience
from bot.config.settings import Settings
from bot.report.home_view import MAX_REQUESTS, HomeData
from bot.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
# Sweeps recorded by the daily job and by /noc-health (bot.report.build); prefix matched.
_REPORT_PREFIX = "report:"


async def read_home(store: Store, resilience: Resilience, settings: Settings, user: str, *, patience_s: float = 3.0,
                    clock: Callable[[], float] = time.time) -> HomeData:
    now = clock()
    data = HomeData(user=user, now=now, timezone=settings.report.timezone)

    async def sweep() -> dict[str, Any] | None:
        return await store.last_health_sweep(before=now + 1, prefix=_REPORT_PREFIX)

    async def breakers() -> list[tuple[str, str]]:
        snap = resilience.snapshot()
        states = [(name, str(state)) for name, state in snap.get("provider_breakers", {"llm-provider": snap["provider_breaker"]}).items()]
        states += [(f"{i['agent']}/{i['instance']}", str(i["breaker"])) for i in snap.get("instances", [])]
        return states

    async def requests() -> list[dict[str, Any]]:
        return await store.requests(user=user, limit=MAX_REQUESTS)

    (data.sweep, data.sweep_error), (breaker_states, data.breakers_error), (rows, data.requests_error) = await asyncio.gather(
        _bounded(sweep, "the latest health sweep", patience_s),
        _bounded(breakers, "the breaker state", patience_s),
        _bounded(requests, f"{user}'s requests", patience_s),
    )
    data.breakers = breaker_states or []
    data.requests = rows or []
    return data


async def _bounded(read: Callable[[], Awaitable[T]], what: str, patience_s: float) -> tuple[T | None, str | None]:
    """(value, None), or (None, a short reason a user may see: the exception's type only)."""
    try:
        return await asyncio.wait_for(read(), timeout=patience_s), None
    except Exception as exc:
        log.warning("App Home: could not read %s", what, exc_info=True)
        return None, "timed out" if isinstance(exc, asyncio.TimeoutError) else type(exc).__name__
