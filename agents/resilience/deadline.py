"""The time by which a request's model calls must have ended, carried to the Claude client.

Why: the request deadline (engine.request_deadline_s) counts from receipt, queue time included,
and must hold while the provider rate-limits, overloads or hangs. Per-call timeouts alone cannot
promise that (a step retries on other instances, the SDK retries inside one call), so the
supervisor sets one cutoff per request here, a little before the deadline, and every call is
bounded by what is left of it: a call that would start after the cutoff is refused at once and a
call in flight at the cutoff is cut, both as `LLMUnavailable("deadline")`, which sends the work to
the offline rules. Carried by the request's context (agents/context.py `current_request`), like
the step priority, so no call signature changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from agents.context import current_request


def time_left(clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds until the current request's cutoff (negative once passed); None without one."""
    request = current_request()
    deadline = request.call_deadline if request is not None else None
    return None if deadline is None else deadline - clock()
