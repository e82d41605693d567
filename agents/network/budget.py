"""How long a caller can still wait for devices: a step's deadline, as the gateway sees it.

Why: a device timeout as long as the step's own (both 30 s by default) meant a slow device
timed the whole step out; the step was then retried on another instance, which waited for the
same device again, and the request ran out of time with most specialists never started. A step
publishes its deadline here (`agents.resilience.attempts`), and every device read it makes is
cut to a share of what is left of it, so a slow device comes back as a tool error (the
specialist answers with what it has and names the device) before the step's own timeout, and a
step timeout is never caused by, or retried because of, a device.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["DEVICE_SHARE", "device_timeout", "step_deadline", "step_time_left"]

# The share of a step's remaining time one device read may take: the rest is the specialist's,
# to answer with the error (an offline analyst needs milliseconds, a Claude turn seconds).
DEVICE_SHARE = 0.8

_DEADLINE: ContextVar[float | None] = ContextVar("step_deadline", default=None)


@contextmanager
def step_deadline(timeout_s: float) -> Iterator[None]:
    """Device reads made inside (by this task and the tasks it starts) end before `timeout_s` from now,
    or before the enclosing step's deadline if that comes first (a specialist asked by another
    runs inside the asker's step)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    outer = _DEADLINE.get()
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def step_time_left() -> float | None:
    """Seconds left of the caller's step (None outside a step); the Claude client cuts its calls to it."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - asyncio.get_running_loop().time()


def device_timeout(configured_s: float) -> float:
    """`network.timeout_s`, cut to DEVICE_SHARE of what is left of the caller's step, if any."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return configured_s
    share = (deadline - asyncio.get_running_loop().time()) * DEVICE_SHARE
    return max(0.001, min(configured_s, round(share, 1 if share >= 1 else 3)))
