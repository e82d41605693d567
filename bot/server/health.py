"""Liveness and readiness, as an orchestrator asks them (`/healthz` and `/readyz`, bot/server/app.py).

Why two: a liveness probe that fails gets the process restarted, so `/healthz` says only that the
event loop answers (a database outage must not restart every replica in a loop); a readiness probe
that fails takes the replica out of the Service and out of a rolling update's count, so `/readyz`
checks what a request needs: the store answers, its schema is at the revision this code ships,
the router model is loaded, and in Socket Mode the websocket to Slack is up (Slack sends that
replica's share of the events; without the connection it gets none). Each check has a deadline so
that a hung database makes the probe fail, not hang.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from agents.router.cache import loaded_digest
from bot.store import Store
from bot.store.migrate import current_revision, head_revision

CHECK_TIMEOUT_S = 2.0


@lru_cache(maxsize=1)
def _head() -> str:
    return head_revision()


@dataclass
class Readiness:
    """What `/readyz` checks. `socket` is the Socket Mode client once connected (None in HTTP mode)."""

    store: Store
    mode: str
    socket: Any = None
    timeout_s: float = CHECK_TIMEOUT_S
    started: float = field(default_factory=time.time)

    async def check(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        checks = {"store": await self._store(), "router": self._router(), "slack": await self._slack()}
        return all(c["ok"] for c in checks.values()), checks

    async def _store(self) -> dict[str, Any]:
        """Reachable and migrated, on one connection: reading alembic's version row proves both."""
        try:
            revision = await asyncio.wait_for(self._revision(), timeout=self.timeout_s)
        except TimeoutError:
            return {"ok": False, "detail": f"no answer within {self.timeout_s:g}s"}
        except Exception as exc:  # any driver error: the message names no credential (SQLAlchemy hides the password)
            return {"ok": False, "detail": f"unreachable ({type(exc).__name__})"}
        head = _head()
        if revision != head:
            return {"ok": False, "detail": f"schema at {revision or 'empty'}, this release needs {head}"}
        return {"ok": True, "detail": f"schema at {revision}"}

    async def _revision(self) -> str | None:
        async with self.store.engine.connect() as conn:
            return await conn.run_sync(current_revision)

    @staticmethod
    def _router() -> dict[str, Any]:
        digest = loaded_digest()
        return {"ok": True, "detail": f"model {digest}"} if digest else {"ok": False, "detail": "model not loaded"}

    async def _slack(self) -> dict[str, Any]:
        if self.mode != "socket":
            return {"ok": True, "detail": "HTTP mode: Slack calls in"}
        if self.socket is None:
            return {"ok": False, "detail": "Socket Mode not connected yet"}
        try:
            connected = await asyncio.wait_for(self.socket.is_connected(), timeout=self.timeout_s)
        except Exception as exc:
            return {"ok": False, "detail": f"Socket Mode check failed ({type(exc).__name__})"}
        return {"ok": True, "detail": "Socket Mode connected"} if connected else {"ok": False, "detail": "Socket Mode disconnected"}
