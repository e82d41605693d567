"""Waiting for observable state: tests that drive real processes, servers and event loops poll a
condition with a generous timeout; they never sleep for a time and never assert on one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something true, and return that: tests that drive real
    processes wait for observable state (a row, a marker file, a Slack call), never for a time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """`wait_until` on the event loop: other tasks run between polls."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")
