"""The running bot's inventory: refreshed on a schedule and on demand, described for people.

`InventoryRefresher` is what the scheduler's job and `/noc inventory refresh` call; the read runs
in a worker thread (pynetbox and pynautobot are blocking clients), so Slack acks never wait for
NetBox. A failed read keeps the last good inventory (agents.network.live) and is said here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agents.network.inventory import Inventory
from agents.network.live import LiveInventory, Refresh


class InventoryRefresher:
    def __init__(self, inventory: Inventory) -> None:
        self.live = inventory if isinstance(inventory, LiveInventory) else None

    @property
    def enabled(self) -> bool:
        """False on the embedded lab: its devices do not come from a source."""
        return self.live is not None

    async def refresh(self) -> Refresh | None:
        if self.live is None:
            return None
        return await asyncio.to_thread(self.live.refresh)

    def status(self) -> dict[str, Any]:
        return self.live.status() if self.live is not None else {"source": "embedded lab", "stale": False}


def describe(status: dict[str, Any], now: float | None = None) -> str:
    """One Slack-ready paragraph: source, devices, freshness, and the last error if any."""
    now = time.time() if now is None else now
    if "devices" not in status:
        return f"Inventory: {status['source']} (fixed; nothing to refresh)."
    age = f"loaded {_ago(now - status['loaded_at'])} ago" if status.get("loaded_at") else "never loaded"
    text = f"Inventory: {status['source']}, {status['devices']} devices, {age}."
    if status.get("stale"):
        text += (f"\n:warning: The last {status['consecutive_failures']} read(s) failed; serving the last good inventory. "
                 f"Last error: {status['last_error']}")
    if status.get("skipped"):
        text += f"\n{len(status['skipped'])} record(s) skipped: " + "; ".join(status["skipped"][:5])
    return text


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
