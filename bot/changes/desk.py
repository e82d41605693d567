"""The change desk: proposals offered in answer threads, decisions from buttons or the CLI,
and the apply run reported step by step in the thread and the store.

The rules live in the engine (agents.changes): who may decide (`rules`), what is applied and in
which order (`pipeline`). This module adds what only the runtime has: the store (proposals are
compare-and-set on their state, so a double click or a second replica approves once), Slack
threads, and background tasks. Every step is posted and stored with who, when and the diff hash.

An apply run holds the change's lease in the store and stores each state before its step; a
run cut short (kill -9, a stop beyond `shutdown_grace_s`, which hands the change over) leaves a
change in flight whose lease runs out, and `sweep` (at start-up and on a schedule, on every
replica) claims it and resolves it (agents.changes.recovery). `sweep` also expires proposals
whose decision time passed and takes the buttons off their message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from agents.access import Role, allows
from agents.changes.checks import CHECK_TOOLS
from agents.changes.models import ChangeProposal
from agents.changes.pipeline import ChangeEngine, Report, conclude
from agents.changes.recovery import resolve
from agents.changes.rules import decision_problem
from agents.models import Answer, Recommendation, Request
from agents.tools.network import Toolbox
from bot.config.settings import Settings
from bot.integrations.change_hooks import ChangeHooks, Say
from bot.slack.change_view import MAX_INLINE_DIFF, diff_text, render_decided, render_proposal, render_step
from bot.store import Store

log = logging.getLogger(__name__)
NOT_HERE = "That change was not found here."
Spawn = Callable[[Awaitable[Any], str], object]  # the runtime's: the job's result is not used


class ChangeDesk:
    def __init__(self, settings: Settings, client: AsyncWebClient | None, store: Store, toolbox: Toolbox,
                 spawn: Spawn, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.config = settings.changes
        self.client = client
        self.store = store
        self.spawn = spawn
        self.engine = ChangeEngine(toolbox, settings.network, settings.changes, clock=clock)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"  # this process, for leases
        self.lease_s = settings.store.lease_s
        # Silences, change records (bot.integrations.change_hooks): called around apply, never inside it.
        self.hooks = ChangeHooks(settings, store, toolbox.inventory, client=client)

    @property
    def active(self) -> bool:
        return self.config.active(lab=self.settings.network.inventory is None)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Tests: one injected clock for expiry (the engine stamps proposals with it)."""
        self.engine.clock = clock

    # -- proposals ----------------------------------------------------------------------------

    async def offer(self, answer: Answer, request: Request, channel: str, thread_ts: str) -> ChangeProposal | None:
        """After an answer: propose its configuration remediation, if the requester may ask for one."""
        if not self.active or not allows(request.role, self.config.requester_role):
            return None
        rec = _remediation(answer)
        if rec is None or rec.device is None:
            return None
        tools = sorted({e.tool for r in answer.responses for e in r.evidence if e.device == rec.device and e.tool in CHECK_TOOLS})
        proposal = await self.engine.propose(rec.device, intent=rec.text, source="answer", text=rec.text + " on " + rec.device,
                                             requester=request.user, role=request.role, confidence=answer.confidence,
                                             automation=str(getattr(answer.automation, "value", answer.automation)),
                                             check_tools=tools, request_id=answer.request_id)
        if proposal is None:  # the templates do not know the text: the commands are a draft to check
            engine = next((r.engine for r in answer.responses if r.agent.value == rec.agent), "offline")
            proposal = await self.engine.propose(rec.device, intent=rec.text, source="claude" if engine == "claude" else "answer",
                                                 lines=rec.commands, requester=request.user, role=request.role,
                                                 confidence=answer.confidence, check_tools=tools, request_id=answer.request_id)
        if proposal is None:
            return None
        await self.publish(proposal, channel, thread_ts)
        return proposal

    async def publish(self, proposal: ChangeProposal, channel: str | None, thread_ts: str | None) -> None:
        """Store the proposal and post it for approval in its thread (when it has one)."""
        proposal.channel, proposal.thread_ts = channel, thread_ts
        await self.store.save_change(proposal)
        await self.store.record_change_event(proposal.id, proposal.state if proposal.state == "refused" else "proposed",
                                             proposal.reason or proposal.intent, actor=proposal.requester, diff_hash=proposal.diff_hash)
        if self.client is None or channel is None:
            return
        long_diff = len(diff_text(proposal)) > MAX_INLINE_DIFF
        text, blocks = render_proposal(proposal, diff_in_file=long_diff)
        response = await self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
        proposal.message_ts = response.get("ts")
        await self.store.save_change(proposal)
        if long_diff:
            await self.client.files_upload_v2(channel=channel, thread_ts=thread_ts, filename=f"{proposal.id}.diff",
                                              title=f"Change {proposal.id} diff (redacted)", content=diff_text(proposal))
        await self.hooks.offered(proposal, self._say(proposal))

    # -- decisions ----------------------------------------------------------------------------

    async def decide(self, proposal_id: str, *, user: str | None, role: Role | None, approve: bool,
                     channel: str | None = None, thread_ts: str | None = None, from_cli: bool = False) -> str:
        """Approve or reject; returns what to tell the person. An approval starts the apply run."""
        proposal = await self.store.change(proposal_id) if isinstance(proposal_id, str) else None
        if proposal is None or (not from_cli and (proposal.channel != channel or proposal.thread_ts != thread_ts)):
            return NOT_HERE
        problem = decision_problem(proposal, user=user, role=role, approve=approve, now=self.engine.clock(), config=self.config)
        verb = "approve" if approve else "reject"
        if problem is not None:
            if proposal.state == "pending" and self.engine.clock() >= proposal.expires_at:
                if await self.store.transition(proposal, "pending", "expired", reason="expired before a decision"):
                    await self._step(proposal, "expired", "no decision before the expiry; nothing was done", None)
                    await self._refresh(proposal)
            await self.store.record_change_event(proposal.id, f"{verb}-refused", problem, actor=user, diff_hash=proposal.diff_hash)
            return problem
        gate = await self.hooks.approval_problem(proposal, user, self._say(proposal)) if approve else None
        if gate is not None:  # the change record is not approved (yet): the proposal stays pending
            await self._step(proposal, "approve-refused", gate, user)
            return gate
        holder, lease_s = (self.holder, self.lease_s) if approve else (None, None)  # who applies it holds its lease
        if not await self.store.transition(proposal, "pending", "approved" if approve else "rejected", approver=user,
                                           holder=holder, lease_s=lease_s):
            return f"Change {proposal.id} was decided by someone else a moment ago; nothing was done."
        await self._step(proposal, "approved" if approve else "rejected", f"{verb}d", user)
        await self._refresh(proposal)
        if approve:
            self.spawn(self.apply(proposal, user), f"change:{proposal.id}")
            return f"Approved change {proposal.id}; applying it now (progress in the thread)."
        return f"Rejected change {proposal.id}."

    async def apply(self, proposal: ChangeProposal, approver: str | None) -> ChangeProposal:
        async def report(step: str, detail: str) -> None:
            await self._step(proposal, step, detail, approver if step == "merge" else None)

        async def run(persist: Callable[[ChangeProposal], Awaitable[bool]]) -> ChangeProposal:
            problem = await self.hooks.before_apply(proposal, approver, self._say(proposal))
            if problem is not None:
                return await conclude(proposal, "aborted", problem, report, persist)
            return await self.engine.apply(proposal, report, persist)

        done = await self._held(proposal, report, run)
        await self.hooks.ended(done, self._say(done))
        return done

    def _say(self, proposal: ChangeProposal) -> Say:
        async def say(step: str, detail: str) -> None:
            await self._step(proposal, step, detail, None)
        return say

    async def _held(self, proposal: ChangeProposal, report: Report,
                    run: Callable[[Callable[[ChangeProposal], Awaitable[bool]]], Awaitable[ChangeProposal]]) -> ChangeProposal:
        """Run an apply (or a recovery) under the change's lease: renewed while it runs, each state
        stored before its step, handed over (lease ended) when the process stops mid-way."""
        async def persist(p: ChangeProposal) -> bool:
            kept = await self.store.advance_change(p, self.holder, self.lease_s)
            if not kept:
                log.warning("change %s was taken over by another process; this run stops", p.id)
            return kept

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_s / 3)
                try:
                    await self.store.renew_change(proposal.id, self.holder, self.lease_s)
                except Exception:
                    log.warning("could not renew the lease of change %s", proposal.id, exc_info=True)

        renewal = asyncio.create_task(renew(), name=f"lease:{proposal.id}")
        try:
            done = await run(persist)
        except asyncio.CancelledError:  # stopping beyond shutdown_grace_s: hand the change over
            await self._hand_over(proposal)
            raise
        except Exception as exc:  # never silent: the thread and the store hear about it
            log.exception("change %s failed", proposal.id)
            proposal.state, proposal.reason = "needs_attention", (f"the change run failed ({type(exc).__name__}) in its "
                                                                  f"{proposal.state} step; check {proposal.device} by hand")
            try:
                await persist(proposal)
            except Exception:
                log.error("could not store change %s as needing attention", proposal.id, exc_info=True)
            await report("needs_attention", proposal.reason)
            done = proposal
        finally:
            renewal.cancel()
        await self._refresh(done)
        return done

    async def _hand_over(self, proposal: ChangeProposal) -> None:
        try:
            await self.store.release_change(proposal.id, self.holder)
        except Exception:  # the lease then runs out by itself; the change is claimed a little later
            log.warning("could not hand change %s over", proposal.id, exc_info=True)
        await self._step(proposal, "handed_over", f"the bot is stopping during the {proposal.state.replace('_', ' ')} step; "
                         "the next start (or another replica) reads the device and resumes or resolves the change", None)

    # -- the sweep: stranded changes and expired proposals --------------------------------------

    async def sweep(self) -> None:
        """Scheduled on every replica, and run once at start-up."""
        await self.expire_due()
        await self.recover()
        await self.hooks.catch_up(self._say)

    async def recover(self) -> int:
        """Claim the changes in flight whose process stopped, and resolve each in the background."""
        if not self.active:
            return 0
        claimed = await self.store.claim_stranded_changes(self.holder, self.lease_s)
        for proposal in claimed:
            log.warning("change %s was left %s by a stopped process; resolving it", proposal.id, proposal.state)
            self.spawn(self._recover_one(proposal), f"change-recovery:{proposal.id}")
        return len(claimed)

    async def _recover_one(self, proposal: ChangeProposal) -> None:
        async def report(step: str, detail: str) -> None:
            await self._step(proposal, step, detail, None)

        done = await self._held(proposal, report, lambda persist: resolve(self.engine, proposal, report, persist))
        await self.hooks.ended(done, self._say(done))

    async def expire_due(self) -> int:
        """Pending proposals past their expiry become expired, and their message loses its buttons."""
        expired = 0
        for proposal in await self.store.due_for_expiry(self.engine.clock()):
            if await self.store.transition(proposal, "pending", "expired", reason="expired before a decision"):
                expired += 1
                await self._step(proposal, "expired", "no decision before the expiry; nothing was done", None)
                await self._refresh(proposal)
        return expired

    async def _step(self, proposal: ChangeProposal, step: str, detail: str, actor: str | None) -> None:
        await self.store.record_change_event(proposal.id, step, detail, actor=actor, diff_hash=proposal.diff_hash)
        if self.client is not None and proposal.channel:
            try:
                await self.client.chat_postMessage(channel=proposal.channel, thread_ts=proposal.thread_ts,
                                                   text=render_step(proposal, step, detail, actor))
            except Exception:
                log.warning("could not post step %s of %s", step, proposal.id, exc_info=True)

    async def _refresh(self, proposal: ChangeProposal) -> None:
        """The approval message loses its buttons once the proposal is decided."""
        if self.client is None or not proposal.channel or not proposal.message_ts:
            return
        try:
            await self.client.chat_update(channel=proposal.channel, ts=proposal.message_ts,
                                          text=f"Change {proposal.id}: {proposal.state}", blocks=render_decided(proposal))
        except Exception:
            log.warning("could not update the message of %s", proposal.id, exc_info=True)


def _remediation(answer: Answer) -> Recommendation | None:
    """The answer's first configuration remediation: commands that are not `show` commands."""
    for rec in sorted(answer.recommendations, key=lambda r: r.priority):
        if rec.commands and rec.device and not any(c.strip().startswith(("show ", "ping ", "traceroute ")) for c in rec.commands):
            return rec
    return None
