"""Maintenance silences: an Alertmanager silence for a device while an approved change applies.

Alertmanager's API v2 (`POST /api/v2/silences`, `DELETE /api/v2/silence/{id}`): the matchers
come from the inventory (`alertmanager.silence_matchers`, by default `device=<name>`), the
silence ends `silence_margin_s` after the change's latest possible end (now plus its revert
window), and its comment names the change, the requester and the approver, so whoever looks at
Alertmanager sees why it is quiet. It is expired as soon as the change is confirmed or rolled
back; if that fails it still ends by itself at its end time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from agents.changes.models import ChangeProposal
from agents.network.inventory import Device
from bot.config.integrations import AlertmanagerConfig
from bot.integrations.outbound import Cause, Outbound, Result


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Silences:
    def __init__(self, config: AlertmanagerConfig, outbound: Outbound, *, token: Callable[[], str | None] = lambda: None) -> None:
        self.config = config
        self.outbound = outbound
        self.token = token

    @property
    def configured(self) -> bool:
        return self.config.url is not None

    def _headers(self) -> dict[str, str]:
        token = self.token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def matchers(self, device: Device) -> list[dict[str, object]]:
        return [{"name": label, "value": str(getattr(device, field)), "isRegex": False, "isEqual": True}
                for label, field in sorted(self.config.silence_matchers.items())]

    async def create(self, proposal: ChangeProposal, device: Device, *, approver: str | None, now: float,
                     window_s: float) -> tuple[Result, str | None, float]:
        """The silence's (result, id, end time)."""
        ends = now + window_s + self.config.silence_margin_s
        body = {
            "matchers": self.matchers(device),
            "startsAt": iso(now), "endsAt": iso(ends), "createdBy": "noc-chatops",
            "comment": f"noc-chatops change {proposal.id} on {device.name}: {proposal.intent[:200]} "
                       f"(requested by {proposal.requester or 'unknown'}, approved by {approver or 'unknown'})",
        }
        result = await self.outbound.call("alertmanager", "silence.create", "POST", f"{self.config.url}/api/v2/silences",
                                          json=body, headers=self._headers(), cause=Cause(approver, proposal.channel),
                                          subject=proposal.id, timeout_s=self.config.timeout_s)
        silence_id = result.body.get("silenceID") if result.ok and isinstance(result.body, dict) else None
        if result.ok and not silence_id:
            result = Result(ok=False, status=result.status, reason="Alertmanager answered without a silenceID")
        return result, silence_id, ends

    async def expire(self, silence_id: str, proposal: ChangeProposal) -> Result:
        return await self.outbound.call("alertmanager", "silence.expire", "DELETE", f"{self.config.url}/api/v2/silence/{silence_id}",
                                        headers=self._headers(), cause=Cause(proposal.approver, proposal.channel),
                                        subject=proposal.id, timeout_s=self.config.timeout_s)
