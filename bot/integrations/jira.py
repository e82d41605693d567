"""Change records as Jira issues, through Jira's REST API v2 (plain-text fields).

Created from the proposal (`POST /rest/api/2/issue`: project, issue type, summary, a
description with the diff, risk, pre-checks, rollback plan and the thread link), approved when
the issue's status is one of `jira.approved_statuses` (`GET /rest/api/2/issue/{key}?fields=status`),
and at the end given a comment with the post-check and outcome and moved through the transition
named `jira.done_transition` (`GET`/`POST .../transitions`). Basic auth with `jira.user` and the
API token in `jira.token_env` (Jira Cloud), or a bearer personal access token (Data Center).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from agents.changes.models import ChangeProposal
from bot.config.integrations import JiraConfig
from bot.integrations.outbound import Cause, Outbound, Result
from bot.integrations.servicenow import record_body

ISSUE = "/rest/api/2/issue"


class Jira:
    label = "Jira"

    def __init__(self, config: JiraConfig, outbound: Outbound) -> None:
        self.config = config
        self.outbound = outbound

    @property
    def configured(self) -> bool:
        return bool(self.config.url and self.config.project and (self.config.user or self.config.auth == "bearer"))

    def _headers(self) -> dict[str, str]:
        token = os.environ.get(self.config.token_env, "")
        auth = f"Bearer {token}" if self.config.auth == "bearer" else \
            "Basic " + base64.b64encode(f"{self.config.user or ''}:{token}".encode()).decode()
        return {"Accept": "application/json", "Content-Type": "application/json", "Authorization": auth}

    def link(self, key: str) -> str:
        return f"{self.config.url}/browse/{key}"

    async def _call(self, action: str, method: str, path: str, cause: Cause, subject: str, body: Any = None) -> Result:
        return await self.outbound.call("jira", action, method, f"{self.config.url}{path}", json=body, headers=self._headers(),
                                        cause=cause, subject=subject, timeout_s=self.config.timeout_s)

    async def create(self, proposal: ChangeProposal, thread: str) -> tuple[Result, str | None, str | None]:
        """(result, issue key, issue key): Jira's key is both the id and the number people use."""
        plan = record_body(proposal, thread)
        description = "\n\n".join(f"*{name.replace('_', ' ').capitalize()}*\n{plan[name]}" for name in
                                  ("description", "justification", "implementation_plan", "test_plan", "backout_plan"))
        fields = {"project": {"key": self.config.project}, "issuetype": {"name": self.config.issue_type},
                  "summary": plan["short_description"][:250], "description": description + f"\n\n*Risk*\n{proposal.risk}",
                  "labels": ["noc-chatops", f"risk-{proposal.risk}"]}
        result = await self._call("record.create", "POST", ISSUE, Cause(proposal.requester, proposal.channel), proposal.id,
                                  {"fields": fields})
        key = result.body.get("key") if result.ok and isinstance(result.body, dict) else None
        if result.ok and not key:
            return Result(ok=False, status=result.status, reason="Jira answered without an issue key"), None, None
        return result, key, key

    async def approval(self, key: str, proposal: ChangeProposal, user: str | None) -> tuple[Result, str | None]:
        """(result, "approved" when the status is an approved one, else the status's name)."""
        result = await self._call("record.read", "GET", f"{ISSUE}/{key}?fields=status", Cause(user, proposal.channel), proposal.id)
        try:
            status = str(result.body["fields"]["status"]["name"]) if result.ok else None
        except (KeyError, TypeError):
            return Result(ok=False, status=result.status, reason="Jira answered without the issue's status"), None
        return result, "approved" if status in self.config.approved_statuses else status

    async def close(self, key: str, proposal: ChangeProposal, notes: str) -> Result:
        cause = Cause(proposal.approver, proposal.channel)
        outcome = f"noc-chatops: {proposal.state.replace('_', ' ')}: {proposal.reason}\n\n{notes}"
        commented = await self._call("record.comment", "POST", f"{ISSUE}/{key}/comment", cause, proposal.id, {"body": outcome[:30000]})
        if not commented.ok:
            return commented
        listed = await self._call("record.transitions", "GET", f"{ISSUE}/{key}/transitions", cause, proposal.id)
        wanted = self.config.done_transition.lower()
        found = [t for t in (listed.body or {}).get("transitions", []) if str(t.get("name", "")).lower() == wanted] \
            if listed.ok and isinstance(listed.body, dict) else []
        if not found:
            return Result(ok=False, status=listed.status, reason=listed.reason or f"no transition named '{self.config.done_transition}'")
        return await self._call("record.close", "POST", f"{ISSUE}/{key}/transitions", cause, proposal.id,
                                {"transition": {"id": str(found[0]["id"])}})
