"""The intake: what a request goes through after its ack and before its answer job.

A Slack listener acks first (handlers), then hands the request here: claim the event (a retry or
a second delivery is dropped), route the question once and decide the role it needs, authorise
the caller (recorded as an audit event; a denial told to the person, ephemerally), and build the
request with its route, which the supervisor starts from instead of routing the same text again
(issue 23). A store that is locked or down costs a log line here, never the answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from agents.models import Request, RouteDecision, cut_question
from agents.network.inventory import Inventory
from agents.routing import route
from agents.tools.redact import redact_prose
from agents.tools.roles import ToolRoles
from bot.access import AccessControl, Decision, Role
from bot.config.settings import AccessConfig
from bot.durability.lifecycle import RequestLedger, Where
from bot.store import Store

log = logging.getLogger(__name__)

# How long a request waits for the store before going on without it (claim, access record,
# thread context): a locked or unreachable store costs a log line, never the answer.
STORE_PATIENCE_S = 3.0


class Intake:
    def __init__(self, config: AccessConfig, client: AsyncWebClient, store: Store, inventory: Inventory,
                 tool_roles: ToolRoles, ledger: RequestLedger, settle: Callable[[str | None], None]) -> None:
        self.client, self.store, self.inventory, self.tool_roles = client, store, inventory, tool_roles
        self.ledger, self.settle = ledger, settle
        self.access = AccessControl(config, self._group_members)

    async def _group_members(self, group: str) -> list[str]:
        response = await self.client.usergroups_users_list(usergroup=group)
        return list(response.get("users", []))

    async def claim_event(self, event_id: str | None) -> bool:
        """True when this delivery of a Slack event should be handled (the first, or a retry of one
        whose handler died). Runs after the ack. A store that cannot be reached lets the event
        through: a possible duplicate answer beats a lost question."""
        if not isinstance(event_id, str) or not event_id:
            return True
        try:
            first = await asyncio.wait_for(self.store.claim_event(event_id), timeout=STORE_PATIENCE_S)
        except Exception:
            log.error("cannot claim event %s in the store; handling it anyway", event_id, exc_info=True)
            return True
        if not first:
            log.info("duplicate delivery of %s ignored", event_id)
            self.settle(event_id)
        return first

    async def event_done(self, event_id: str | None) -> None:
        """An event that needed no work (a hint, a denial): no retry of it is processed again."""
        if event_id:
            self.settle(event_id)
            await self.ledger.finished(Where("", None, "", "", event_id))

    def route_with_role(self, question: str) -> tuple[RouteDecision, Role]:
        """Route a (cut) question once: its route travels in the request to the supervisor, and the
        role the routed specialists suggest is the intake's cheap first filter. The tool gate
        inside the engine is what actually guards the data."""
        decision = route(question, self.inventory)  # core tools: each spec.yaml's access.core_tools
        return decision, self.tool_roles.for_specialists(s.value for s in {decision.primary, *decision.specialists})

    async def check_access(self, *, user: str | None, channel: str | None, command: str, needed: Role) -> Decision:
        """Decide, record the decision as an audit event, and tell a denied user (ephemeral)."""
        decision = await self.access.check(user, channel, needed)
        try:
            await asyncio.wait_for(self.store.record_audit(user=user, channel=channel, command=command,
                                                           outcome="allowed" if decision.allowed else "denied", reason=decision.reason),
                                   timeout=STORE_PATIENCE_S)
        except Exception:  # the decision stands; a store outage must not silence the user
            log.error("could not store the access decision for %s %s (%s)", user, command, decision.reason, exc_info=True)
        if decision.allowed:
            return decision
        log.warning("access denied: user=%s channel=%s command=%s reason=%s", user, channel, command, decision.reason)
        if user and channel:
            try:
                await self.client.chat_postEphemeral(channel=channel, user=user, text=(
                    f":no_entry: Sorry, `{command}` needs the *{needed}* role ({decision.reason}). Ask a NOC admin to grant it."))
            except Exception:
                log.warning("could not tell %s about the denial", user, exc_info=True)
        return decision

    async def authorise(self, *, user: str | None, channel: str | None, command: str, needed: Role) -> bool:
        return (await self.check_access(user=user, channel=channel, command=command, needed=needed)).allowed

    async def admit(self, text: str, *, user: str | None, channel: str, command: str) -> tuple[Request, Role] | None:
        """One text, one decision: cut, route and authorise it once; the request (with the caller's
        role and its route) and the role the question needs (its answer's `required_role`), or
        None if denied."""
        question, truncated = cut_question(text)
        # People paste config lines into chat: the one text everything downstream sees (the thread's
        # echo, routing, the answer, the stored request) has its credentials redacted here, once.
        question = redact_prose(question)
        routed, needed = self.route_with_role(question)
        decision = await self.check_access(user=user, channel=channel, command=command, needed=needed)
        if not decision.allowed or decision.role is None:
            return None
        return Request(question=question, truncated=truncated, user=user, channel=channel, role=decision.role, route=routed), needed
