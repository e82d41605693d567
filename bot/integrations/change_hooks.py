"""The change desk's call-outs to the NOC's other systems, kept apart from the pipeline.

Four points of a change's life (bot.changes.desk calls them; the engine in agents.changes knows
nothing of them):
- offered: with `changes.require_record: servicenow` (or `jira`), a change record is created
  from the proposal and linked in the thread;
- approving: the record must be approved there as well as in Slack; otherwise the click
  is refused in the thread with the reason and the proposal stays pending (approve it there,
  click again);
- applying: an Alertmanager silence for the device (`changes.silence`: `best_effort` says in the
  thread when it could not be made and applies anyway; `required` then aborts the change);
- ended (confirmed, rolled back, ...): the silence is expired and the record closed with the
  post-check and the outcome. What could not be sent is sent again by the desk's sweep.

What was created is remembered as change events (`silence`, `record`), so a restart or another
replica finds it; every call is audited (bot.integrations.outbound).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

from agents.changes.models import FINAL_STATES, ChangeProposal
from bot.config.settings import Settings
from bot.integrations.jira import Jira
from bot.integrations.outbound import Outbound
from bot.integrations.servicenow import ServiceNow
from bot.integrations.silences import Silences
from bot.store import Store

Say = Callable[[str, str], Awaitable[None]]  # (step, detail): stored as a change event and posted in the thread
SILENCE = re.compile(r"silence (\S+) ")
RECORD = re.compile(r"record (\S+) \(id ([\w-]+)\)")


class ChangeHooks:
    def __init__(self, settings: Settings, store: Store, inventory: Any, *, client: Any = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = settings.changes
        self.store = store
        self.inventory = inventory
        self.client = client
        self.clock = clock
        self.outbound = Outbound(store)
        am = settings.alertmanager
        self.silences = Silences(am, self.outbound, token=lambda: os.environ.get(am.token_env) if am.token_env else None)
        self._systems: dict[str, ServiceNow | Jira] = {"servicenow": ServiceNow(settings.servicenow, self.outbound), "jira": Jira(settings.jira, self.outbound)}

    @property
    def records(self) -> ServiceNow | Jira:
        return self._systems["jira" if self.config.require_record == "jira" else "servicenow"]

    @property
    def wants_record(self) -> bool:
        return self.config.require_record != "none"

    async def _events(self, proposal: ChangeProposal) -> list[dict[str, Any]]:
        return await self.store.change_events(proposal.id)

    async def _last(self, proposal: ChangeProposal, step: str, pattern: re.Pattern[str]) -> re.Match[str] | None:
        found = None
        for event in await self._events(proposal):
            if event["step"] == step:
                found = pattern.search(event["detail"] + " ")
        return found

    async def _done(self, proposal: ChangeProposal, step: str) -> bool:
        return any(e["step"] == step for e in await self._events(proposal))

    async def _thread_link(self, proposal: ChangeProposal) -> str:
        if self.client is not None and proposal.channel and proposal.message_ts:
            try:
                answer = await self.client.chat_getPermalink(channel=proposal.channel, message_ts=proposal.message_ts)
                return str(answer["permalink"])
            except Exception:  # noqa: BLE001 - a link is a courtesy; the ids below still find the thread
                pass
        return f"Slack channel {proposal.channel or '-'}, thread {proposal.thread_ts or '-'}"

    # -- change records -----------------------------------------------------------------------

    async def offered(self, proposal: ChangeProposal, say: Say) -> None:
        if self.wants_record and proposal.state == "pending":
            await self._record(proposal, say)

    async def _record(self, proposal: ChangeProposal, say: Say) -> tuple[str, str] | None:
        """(number, id) of the change's record, created now if it has none yet."""
        known = await self._last(proposal, "record", RECORD)
        if known:
            return known.group(1), known.group(2)
        if not self.records.configured:
            await say("record-failed", f"no {self.records.label} change record: its section in the configuration is incomplete")
            return None
        result, sys_id, number = await self.records.create(proposal, await self._thread_link(proposal))
        if not result.ok or not sys_id:
            await say("record-failed", f"the {self.records.label} change record could not be created ({result.reason}); "
                                       "it is created when someone approves")
            return None
        await say("record", f"change record {number} (id {sys_id}) created in {self.records.label}: {self.records.link(sys_id)} "
                            "- it must be approved there as well as here before the change applies")
        return str(number), sys_id

    async def approval_problem(self, proposal: ChangeProposal, user: str | None, say: Say) -> str | None:
        """Why an approval in Slack cannot go ahead yet (None: it can)."""
        if not self.wants_record:
            return None
        record = await self._record(proposal, say)
        if record is None:
            return (f"Change {proposal.id} needs an approved {self.records.label} change record and none could be created; "
                    f"nothing was done. Try again when {self.records.label} answers.")
        number, sys_id = record
        result, approval = await self.records.approval(sys_id, proposal, user)
        if not result.ok:
            return f"{self.records.label} could not say whether {number} is approved ({result.reason}); nothing was done. Try again."
        if approval != "approved":
            return (f"Change record {number} is '{approval}' in {self.records.label}: it must be approved there as well as here. "
                    f"Nothing was done; approve it in {self.records.label}, then click Approve again.")
        return None

    # -- silences -----------------------------------------------------------------------------

    async def before_apply(self, proposal: ChangeProposal, approver: str | None, say: Say) -> str | None:
        """Silence the device; returns why the change must not apply (only with `silence: required`)."""
        mode = self.config.silence
        if mode == "off" or (mode == "best_effort" and not self.silences.configured):
            return None
        if await self._last(proposal, "silence", SILENCE):  # a resumed run: the silence exists
            return None
        if not self.silences.configured:
            return "changes.silence is required but alertmanager.url is not set; nothing was sent to the device"
        device = self.inventory.get(proposal.device)
        result, silence_id, ends = await self.silences.create(proposal, device, approver=approver, now=self.clock(),
                                                              window_s=self.config.confirm_s)
        if result.ok:
            matchers = ", ".join(f"{m['name']}={m['value']}" for m in self.silences.matchers(device))
            await say("silence", f"Alertmanager silence {silence_id} for {matchers} until "
                                 f"{datetime.fromtimestamp(ends, timezone.utc):%H:%M:%S} UTC (expired when the change ends)")
            return None
        if mode == "required":
            return (f"the Alertmanager silence could not be created ({result.reason}) and changes.silence is required; "
                    "nothing was sent to the device")
        await say("silence-failed", f"the Alertmanager silence could not be created ({result.reason}); applying anyway "
                                    f"(changes.silence: best_effort): alerts for {proposal.device} may fire during the change")
        return None

    # -- the end of a change ------------------------------------------------------------------

    async def ended(self, proposal: ChangeProposal, say: Say) -> None:
        """Expire the silence and close the record; each only once, each retried by `catch_up`."""
        if proposal.state not in FINAL_STATES:
            return
        silence = await self._last(proposal, "silence", SILENCE)
        if silence and not await self._done(proposal, "silence-expired"):
            result = await self.silences.expire(silence.group(1), proposal)
            if result.ok:
                await say("silence-expired", f"Alertmanager silence {silence.group(1)} expired: alerts for {proposal.device} are live again")
            else:
                await say("silence-failed", f"the silence {silence.group(1)} could not be expired ({result.reason}); "
                                            "tried again on the next sweep, and it ends by itself at its end time")
        record = await self._last(proposal, "record", RECORD)
        if record and proposal.state in ("confirmed", "rolled_back", "aborted", "needs_attention") \
                and not await self._done(proposal, "record-closed"):
            notes = "\n".join(f"{e['step']}: {e['detail']}" for e in await self._events(proposal)
                              if e["step"] in ("merge", "commit", "post-check", proposal.state))
            result = await self.records.close(record.group(2), proposal, notes)
            if result.ok:
                await say("record-closed", f"change record {record.group(1)} updated with the post-check and closed "
                                           f"({'successful' if proposal.state == 'confirmed' else 'unsuccessful'})")
            else:
                await say("record-failed", f"change record {record.group(1)} could not be updated ({result.reason}); "
                                           "tried again on the next sweep")

    async def catch_up(self, say_for: Callable[[ChangeProposal], Say]) -> None:
        """The sweep: ended changes whose silence or record call failed are tried again."""
        if (self.config.silence == "off" or not self.silences.configured) and not self.wants_record:
            return  # nothing was ever sent, so nothing can be owed
        for proposal in await self.store.changes(limit=50):
            if proposal.state in FINAL_STATES and proposal.state not in ("refused", "expired", "rejected"):
                steps = {e["step"] for e in await self._events(proposal)}
                if ("silence" in steps and "silence-expired" not in steps) or ("record" in steps and "record-closed" not in steps):
                    await self.ended(proposal, say_for(proposal))
