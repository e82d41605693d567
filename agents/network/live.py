"""An inventory that can be read again while the bot runs, without a restart.

`LiveInventory` is an `Inventory` whose devices are the latest good snapshot of its source (a
Nornir folder, NetBox, Nautobot). `refresh()` reads the source again and swaps the snapshot in
one assignment; a source that fails keeps the last good snapshot, and `status()` says so (for
/healthz, logs and `/noc inventory`).

A request works on the snapshot it started with: `pinned()` binds the current snapshot to the
running context (a ContextVar, which the tasks a request starts inherit), so a device removed at
the source mid-request is still there for that request and absent from the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from agents.network.inventory import Device, Inventory, InventoryError

log = logging.getLogger(__name__)

_PINNED: ContextVar[tuple["LiveInventory", Inventory] | None] = ContextVar("pinned_inventory", default=None)


@dataclass
class Loaded:
    """One read of a source: the inventory, and the records it skipped with why."""

    inventory: Inventory
    skipped: list[str] = field(default_factory=list)


@dataclass
class Refresh:
    """What one refresh did."""

    ok: bool
    devices: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    error: str | None = None

    def summary(self) -> str:
        if not self.ok:
            return f"refresh failed, kept the last good inventory ({self.devices} devices): {self.error}"
        changes = [f"+{', '.join(self.added)}" if self.added else "", f"-{', '.join(self.removed)}" if self.removed else ""]
        return f"{self.devices} devices" + (f" ({' '.join(c for c in changes if c)})" if self.added or self.removed else ", unchanged")


class LiveInventory(Inventory):
    """The latest good snapshot of `loader`'s source; see the module docstring."""

    def __init__(self, loader: Callable[[], Loaded], source: str, *, strict: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        """Reads the source once. `strict`: a failure raises (one-shot commands); otherwise the
        inventory starts empty and says why in `status()` until a refresh succeeds (`noc run`:
        a source of truth down at start must not keep the bot down)."""
        self._loader = loader
        self.source = source
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot = Inventory([])
        self._skipped: list[str] = []
        self.loaded_at: float | None = None
        self.last_attempt_at: float | None = None
        self.last_error: str | None = None
        self.failures = 0
        first = self.refresh()
        if not first.ok and strict:
            raise InventoryError(first.error or f"inventory: cannot read {source}")

    # -- what requests see ------------------------------------------------------------------

    def snapshot(self) -> Inventory:
        """The snapshot pinned to the running request, else the latest good one."""
        pinned = _PINNED.get()
        return pinned[1] if pinned is not None and pinned[0] is self else self._snapshot

    def _table(self) -> dict[str, Device]:
        return self.snapshot()._table()

    @property
    def defaults(self) -> dict[str, Any]:
        return self.snapshot().defaults

    @contextmanager
    def pinned(self) -> Iterator[Inventory]:
        current = _PINNED.get()
        if current is not None and current[0] is self:  # already pinned by an enclosing request
            yield self
            return
        token = _PINNED.set((self, self._snapshot))
        try:
            yield self
        finally:
            _PINNED.reset(token)

    # -- reading the source again -----------------------------------------------------------

    def refresh(self) -> Refresh:
        """Read the source now (blocking: call it in a thread from async code). One at a time."""
        with self._lock:
            self.last_attempt_at = self._clock()
            before = self._snapshot
            try:
                loaded = self._loader()
            except Exception as exc:  # noqa: BLE001 - any failure keeps the last good inventory
                self.failures += 1
                self.last_error = str(exc) or type(exc).__name__
                kept = f"kept the last good inventory ({len(before)} devices)" if self.loaded_at else "no inventory loaded yet"
                log.warning("inventory: reading %s failed (%d in a row); %s: %s", self.source, self.failures, kept, self.last_error)
                return Refresh(ok=False, devices=len(before), error=self.last_error)
            first = self.loaded_at is None
            self._snapshot, self._skipped = loaded.inventory, list(loaded.skipped)
            self.loaded_at, self.last_error, self.failures = self._clock(), None, 0
        old, new = set(before.names), set(loaded.inventory.names)
        result = Refresh(ok=True, devices=len(new), added=sorted(new - old), removed=sorted(old - new))
        level = logging.INFO if first or result.added or result.removed else logging.DEBUG
        log.log(level, "inventory: %s: %s%s", self.source, result.summary(),
                f"; {len(self._skipped)} record(s) skipped" if self._skipped else "")
        return result

    def status(self) -> dict[str, Any]:
        """For /healthz and `/noc inventory`: where from, how many, how fresh, the last error."""
        return {
            "source": self.source,
            "devices": len(self._snapshot),
            "loaded_at": self.loaded_at,
            "last_attempt_at": self.last_attempt_at,
            "stale": self.last_error is not None,
            "last_error": self.last_error,
            "consecutive_failures": self.failures,
            "skipped": list(self._skipped),
        }
