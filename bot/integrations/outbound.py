"""One audited HTTP call to another system, which never raises.

Every call the bot makes to Alertmanager, PagerDuty or ServiceNow lands in the store's audit log
(`audit_events`: who caused it, where, `<system>.<action>`, ok or failed and why), whether it
worked or not, so an operator can answer "who paged, who silenced, who opened that record".
A failure comes back as a `Result` with a short reason for the thread; the reason never holds a
header, so a token or password cannot reach Slack or the log through it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.config.secret_mask import mask_credentials
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass
class Result:
    ok: bool
    status: int = 0
    body: Any = None
    reason: str = ""  # why it failed, for the thread (no secrets)


@dataclass
class Cause:
    """Who caused an outbound call and where it is told: the audit row's user and channel."""

    user: str | None
    channel: str | None = None


class Outbound:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def call(self, system: str, action: str, method: str, url: str, *, cause: Cause, subject: str,
                   json: Any = None, headers: dict[str, str] | None = None,
                   timeout_s: float = 5.0, ok_statuses: tuple[int, ...] = (200, 201, 202, 204)) -> Result:
        """`subject` names what the call is about in the audit row (a change id, a dedup key)."""
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session:
                async with session.request(method, url, json=json, headers=headers) as resp:
                    text = await resp.text()
                    try:
                        body: Any = await resp.json(content_type=None) if text else None
                    except ValueError:
                        body = text[:500]
                    result = Result(ok=resp.status in ok_statuses, status=resp.status, body=body,
                                    reason="" if resp.status in ok_statuses else f"HTTP {resp.status}: {_short(body)}")
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            result = Result(ok=False, reason=f"{system} did not answer ({type(exc).__name__}: {mask_credentials(str(exc))[:200]})")
        await self._audit(system, action, cause, subject, result)
        return result

    async def _audit(self, system: str, action: str, cause: Cause, subject: str, result: Result) -> None:
        try:
            await self.store.record_audit(user=cause.user, channel=cause.channel, command=f"{system}.{action} {subject}",
                                          outcome="ok" if result.ok else "failed",
                                          reason=f"HTTP {result.status}" if result.ok else result.reason)
        except Exception:  # the call happened either way; the log keeps what the store could not
            log.warning("could not audit %s.%s %s (%s)", system, action, subject, "ok" if result.ok else result.reason)


def _short(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "error", "errors"):
            if key in body:
                return mask_credentials(str(body[key]))[:200]
    return mask_credentials(str(body))[:200]
