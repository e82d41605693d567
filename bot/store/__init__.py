"""The store: what happened, kept for restarts, replicas, the health report and audits.

One schema, two backends: SQLite (the embedded default, created on first run) and PostgreSQL
(`store.url: postgresql://...`), which lets several replicas share event de-duplication, the
token budget, breaker history and request leases. SQLAlchemy's async engine with aiosqlite or
asyncpg does the plumbing and Alembic versions the schema (`bot/migrations`); this package is
the one place that knows tables exist. See `StoreBase` for the concurrency and retry rules,
`RequestsMixin` for the request lifecycle and leases, `OpsMixin` for the rest,
`ChangesMixin` for change proposals, `DurableMixin` for heartbeats and the alert inbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.store.base import RawSQL, StoreBase, default_owner
from bot.store.changes import ChangesMixin
from bot.store.durable import DurableMixin
from bot.store.engine import StoreBusy, StoreError, sqlite_path
from bot.store.ops import OpsMixin
from bot.store.reports import ReportsMixin
from bot.store.requests import STATUSES, InterruptedRequest, RequestsMixin

if TYPE_CHECKING:
    from bot.config.settings import StoreConfig


class Store(RequestsMixin, OpsMixin, ReportsMixin, ChangesMixin, DurableMixin):
    """`await Store(url).open()`; safe to share between any number of coroutines."""

    @classmethod
    def from_config(cls, config: "StoreConfig", **kwargs: Any) -> "Store":
        """The store the config file describes (url, lease, retention); kwargs such as `clock`."""
        patience = config.write_patience_s
        if config.pool_size is not None:  # sized from the request limit by Settings (bot.config.settings.store_pool_size)
            kwargs.setdefault("pool_size", config.pool_size)
        return cls(config.url, lease_s=config.lease_s, retention_days=config.retention_days, write_patience_s=patience,
                   busy_timeout_s=min(5.0, max(0.05, patience / 4)), **kwargs)

    async def open(self) -> "Store":
        await super().open()
        return self


__all__ = ["STATUSES", "InterruptedRequest", "RawSQL", "Store", "StoreBase", "StoreBusy", "StoreError", "default_owner", "sqlite_path"]
