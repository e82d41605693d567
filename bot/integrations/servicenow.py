"""Change records in ServiceNow through its Table API (`/api/now/table/change_request`).

The record is created from the proposal when it is offered (short description, the redacted
diff as implementation plan, the risk, the pre-checks as test plan, the rollback plan as backout
plan, a pointer to the Slack thread), checked for `approval == approved` when someone approves
in Slack, and given the post-check and outcome when the change ends (work notes, close code and
notes, state Closed). Basic auth as `servicenow.user` with the password from
`servicenow.password_env`; JSON both ways (`Accept: application/json`).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from agents.changes.models import ChangeProposal
from bot.config.integrations import ServiceNowConfig
from bot.integrations.outbound import Cause, Outbound, Result

TABLE = "/api/now/table/change_request"
# ServiceNow's risk choice list: 1 Very High (our critical), 2 High, 3 Moderate, 4 Low.
RISK = {"critical": "1", "high": "2", "medium": "3", "low": "4"}
CLOSED = "3"  # change_request state Closed
JSON = {"Accept": "application/json", "Content-Type": "application/json"}


def record_body(proposal: ChangeProposal, thread: str) -> dict[str, str]:
    prechecks = "\n".join(f"[{'ok' if c.ok else 'FAILED'}] {c.name}: {c.detail}" for c in proposal.prechecks)
    return {
        "short_description": f"noc-chatops {proposal.id}: {proposal.intent[:120]} on {proposal.device}",
        "description": f"Proposed by noc-chatops for {proposal.requester or 'unknown'} ({proposal.source}).\n"
                       f"Device: {proposal.device} ({proposal.os}); kind: {proposal.kind or 'drafted'}; diff hash {proposal.diff_hash}.\n"
                       f"Slack thread: {thread}",
        "type": "normal",
        "risk": RISK.get(proposal.risk, "2"),
        "justification": proposal.intent[:1000],
        "implementation_plan": "NAPALM load_merge_candidate, compare with the approved diff, commit with a "
                               "revert timer, post-check, confirm:\n" + "\n".join(proposal.diff),
        "test_plan": "Pre-checks:\n" + prechecks + "\nPost-check re-runs: " + ", ".join(proposal.checks),
        "backout_plan": "The commit carries the device's revert timer; a failed post-check rolls back at once "
                        "(NAPALM rollback). Nothing is confirmed without a passing post-check.",
    }


class ServiceNow:
    label = "ServiceNow"

    def __init__(self, config: ServiceNowConfig, outbound: Outbound) -> None:
        self.config = config
        self.outbound = outbound

    @property
    def configured(self) -> bool:
        return bool(self.config.url and self.config.user)

    def _headers(self) -> dict[str, str]:
        pair = f"{self.config.user or ''}:{os.environ.get(self.config.password_env, '')}".encode()
        return {**JSON, "Authorization": "Basic " + base64.b64encode(pair).decode()}

    def link(self, sys_id: str) -> str:
        return f"{self.config.url}/nav_to.do?uri=change_request.do?sys_id={sys_id}"

    async def _call(self, action: str, method: str, path: str, cause: Cause, subject: str, body: Any = None) -> Result:
        return await self.outbound.call("servicenow", action, method, f"{self.config.url}{path}", json=body, headers=self._headers(),
                                        cause=cause, subject=subject, timeout_s=self.config.timeout_s)

    async def create(self, proposal: ChangeProposal, thread: str) -> tuple[Result, str | None, str | None]:
        """(result, sys_id, number) of the new record."""
        body = record_body(proposal, thread)
        if self.config.assignment_group:
            body["assignment_group"] = self.config.assignment_group
        result = await self._call("record.create", "POST", TABLE, Cause(proposal.requester, proposal.channel), proposal.id, body)
        record = result.body.get("result") if result.ok and isinstance(result.body, dict) else None
        if result.ok and not (isinstance(record, dict) and record.get("sys_id")):
            return Result(ok=False, status=result.status, reason="ServiceNow answered without a sys_id"), None, None
        return result, record.get("sys_id") if record else None, record.get("number") if record else None

    async def approval(self, sys_id: str, proposal: ChangeProposal, user: str | None) -> tuple[Result, str | None]:
        """(result, the record's `approval` value: requested, approved, rejected, not requested)."""
        result = await self._call("record.read", "GET", f"{TABLE}/{sys_id}?sysparm_fields=number,approval,state",
                                  Cause(user, proposal.channel), proposal.id)
        record = result.body.get("result") if result.ok and isinstance(result.body, dict) else None
        return result, str(record.get("approval")) if isinstance(record, dict) else None

    async def close(self, sys_id: str, proposal: ChangeProposal, notes: str) -> Result:
        ok = proposal.state == "confirmed"
        body = {"work_notes": notes, "close_code": "successful" if ok else "unsuccessful",
                "close_notes": f"noc-chatops: {proposal.state.replace('_', ' ')}: {proposal.reason}"[:4000], "state": CLOSED}
        return await self._call("record.close", "PATCH", f"{TABLE}/{sys_id}", Cause(proposal.approver, proposal.channel), proposal.id, body)
