"""The change pipeline: propose (candidate + pre-checks), then apply an approved proposal.

Apply is the only code that writes to devices, and it runs only for a proposal a person approved
(`rules.approval_problem`). One change per device at a time (a per-device lock). The order is
fixed: merge -> compare (must equal the approved diff) -> commit with a revert timer ->
post-check on fresh data -> confirm, or roll back with the reason. Each state (applying,
committed, the outcome) is persisted before its step, so a run cut short can be resolved by
`recovery`. A device lost after the commit is rolled back if it can be reached, and otherwise
reported as needing a person, naming the revert timer only when the commit armed one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable

from agents.changes import candidate as candidates
from agents.changes.checks import CHECK_TOOLS, DEFAULT_CHECKS, audit_precheck, postcheck, run_checks, symptoms_of
from agents.changes.config import ChangesConfig
from agents.changes.device import ChangeAborted, ChangeDevice, revert_problem
from agents.changes.impact import predict
from agents.changes.models import KIND_RISK, ChangeProposal, Check, Source, digest
from agents.changes.values import risk_reasons
from agents.config import NetworkConfig
from agents.network.gateway import DeviceError
from agents.specialists.config_templates import site_defaults
from agents.tools.config_intake import redact_diff
from agents.tools.network import Toolbox

Report = Callable[[str, str], Awaitable[None]]  # (step, detail) -> posted and stored by the caller
# Stores the proposal (its new state) before the step that state names; False: the change is no
# longer this run's (its lease was lost to another process), so the run stops.
Persist = Callable[[ChangeProposal], Awaitable[bool]]


class ChangeEngine:
    def __init__(self, toolbox: Toolbox, network: NetworkConfig, config: ChangesConfig, *,
                 clock: Callable[[], float] = time.time, device_clock: Callable[[], float] = time.monotonic) -> None:
        self.toolbox = toolbox
        self.config = config
        self.clock = clock
        self.device = ChangeDevice(network, toolbox.gateway.access, clock=device_clock)
        self._locks: dict[str, asyncio.Lock] = {}

    def close(self) -> None:
        self.device.close()

    def locked(self, device: str) -> bool:
        lock = self._locks.get(device)
        return lock is not None and lock.locked()

    async def propose(self, device: str, *, intent: str, source: Source, text: str | None = None,
                      lines: list[str] | None = None, requester: str | None = None, role: str | None = None,
                      confidence: float = 0.0, automation: str = "human", check_tools: list[str] | None = None,
                      request_id: str | None = None) -> ChangeProposal | None:
        """A stored-ready proposal (state pending, or refused with the reason), or None when the
        text asks for no change the templates know."""
        dev = self.toolbox.inventory.get(device)
        now = self.clock()
        proposal = ChangeProposal(device=dev.name, os=dev.os, intent=intent, source=source, requester=requester,
                                  requester_role=role if role in ("viewer", "operator", "admin") else None,
                                  confidence=confidence, automation=automation, request_id=request_id,
                                  created_at=now, expires_at=now + self.config.expiry_s)
        config = await self.toolbox.get_device_config(dev.name)
        if not config.ok:
            return _refuse(proposal, "reachable", f"the running config could not be read: {config.error.message if config.error else 'failed'}")
        allowed = self.config.allowed_kinds()
        if lines is not None:
            cand: candidates.Candidate | None = candidates.from_drafted(lines, dev.os, config.running, allowed)
        else:
            cand = candidates.from_text(text or intent, dev.name, dev.os, config.running, allowed,
                                        site_defaults(self.toolbox.inventory, dev.name))
        if cand is None:
            return None
        proposal.kind, proposal.lines = cand.kind, cand.lines
        proposal.risk = KIND_RISK.get(cand.kind or "", "high")
        if dev.role in ("core", "wan-edge", "edge") and proposal.risk == "low":
            proposal.risk = "medium"
        proposal.risk_reasons = risk_reasons(dev.os, cand.lines, config.running, await management_address(dev.hostname))
        if proposal.risk_reasons:
            proposal.risk = "critical"
        proposal.prechecks.append(Check(name="candidate", ok=not cand.problems,
                                        detail="; ".join(cand.problems) or f"{cand.kind} lines from the templates' grammar"
                                        + (f" ({'; '.join(cand.notes)})" if cand.notes else "")))
        if cand.problems:
            return _refused(proposal)
        check, baseline = audit_precheck(dev.name, dev.os, config.running, cand.lines, self.toolbox.rules)
        proposal.prechecks.append(check)
        proposal.baseline_findings = baseline
        if not check.ok:
            return _refused(proposal)
        try:
            preview = await self.device.preview(dev, cand.lines)
        except DeviceError as exc:
            return _refuse(proposal, "reachable", str(exc))
        if not preview.diff.strip():
            return _refuse(proposal, "diff", "compare_config shows no difference: nothing to change")
        proposal.diff = redact_diff(preview.diff.splitlines())
        proposal.diff_hash, proposal.running_hash = digest(preview.diff), preview.running_hash
        proposal.prechecks.append(Check(name="reachable", ok=True, detail=f"{dev.name} answered; running config hash {preview.running_hash[:8]} recorded"))
        revert = revert_problem(dev, self.config.confirm_s)
        if revert is not None:  # never applied without a way back: refused before anyone is asked
            return _refuse(proposal, "revert timer", f"{revert}; apply the reviewed lines by hand in a maintenance window")
        proposal.checks = [t for t in (check_tools or []) if t in CHECK_TOOLS] or list(DEFAULT_CHECKS)
        proposal.symptoms = symptoms_of(await run_checks(self.toolbox, dev.name, proposal.checks))
        proposal.impact = await predict(self.toolbox, dev.name, cand.kind, cand.lines, config.running)
        return proposal

    async def apply(self, proposal: ChangeProposal, report: Report, persist: Persist | None = None) -> ChangeProposal:
        """Apply an approved proposal; every step goes through `report`, and every state is given
        to `persist` before the step it names is taken. Returns it in its final state (or in the
        state it had when `persist` said the change is no longer this run's)."""
        persist = persist or _kept
        dev = self.toolbox.inventory.get(proposal.device)
        lock = self._locks.setdefault(dev.name, asyncio.Lock())
        if lock.locked():
            return await conclude(proposal, "aborted", f"another change on {dev.name} is in progress", report, persist)
        async with lock:
            proposal.state = "applying"
            if not await persist(proposal):
                return proposal
            await report("merge", f"load_merge_candidate on {dev.name}, compare with the approved diff {proposal.diff_hash[:8]}")
            try:
                committed = await self.device.commit(dev, proposal.lines, running_hash=proposal.running_hash,
                                                     diff_hash=proposal.diff_hash, revert_in=self.config.confirm_s)
            except ChangeAborted as exc:
                return await conclude(proposal, "aborted", f"{exc}; nothing was committed", report, persist)
            except DeviceError as exc:
                self.toolbox.gateway.invalidate(dev.name)
                return await self._lost(proposal, f"the commit failed ({exc})", report, persist)
            self.toolbox.gateway.invalidate(dev.name)
            proposal.state, proposal.result_hash, proposal.revert_armed = "committed", committed.result_hash, True
            if not await persist(proposal):
                return proposal
            await report("commit", f"committed with a {self.config.confirm_s} s revert timer")
            return await self.settle(proposal, report, persist)

    async def settle(self, proposal: ChangeProposal, report: Report, persist: Persist | None = None,
                     *, why: str = "") -> ChangeProposal:
        """A commit waiting for its confirm: post-check on fresh data, then confirm or roll back.
        Also recovery's path for a commit it finds pending after a restart (`why` says so)."""
        persist = persist or _kept
        dev = self.toolbox.inventory.get(proposal.device)
        check = await postcheck(self.toolbox, dev.name, proposal.checks, proposal.symptoms, proposal.baseline_findings)
        await report("post-check", ("passed: " if check.ok else "failed: ") + check.detail)
        try:
            if check.ok:
                await self.device.confirm(dev)
                self.toolbox.gateway.invalidate(dev.name)
                return await conclude(proposal, "confirmed", why + "confirm_commit: the change is permanent", report, persist)
            await self.device.rollback(dev)
            self.toolbox.gateway.invalidate(dev.name)
            return await conclude(proposal, "rolled_back", f"{why}rolled back: {check.detail}", report, persist)
        except DeviceError as exc:
            self.toolbox.gateway.invalidate(dev.name)
            return await self._lost(proposal, f"{why}{dev.name} stopped answering after the commit ({exc})", report, persist)

    async def _lost(self, proposal: ChangeProposal, why: str, report: Report, persist: Persist) -> ChangeProposal:
        """After a commit attempt the device is not answering: try to roll back, else say so loudly,
        naming the device's revert timer only when a commit armed one."""
        try:
            await self.device.rollback(self.toolbox.inventory.get(proposal.device))
        except Exception as exc:  # noqa: BLE001 - any failure here means a person must look
            if proposal.revert_armed:
                after = (f"The commit armed the device's revert timer ({self.config.confirm_s} s), which undoes the "
                         f"unconfirmed commit by itself: check {proposal.device} by hand")
            else:
                after = (f"No revert timer is known to be armed (the commit did not report success), so nothing will "
                         f"undo itself: read {proposal.device}'s running config and compare it with the approved diff")
            return await conclude(proposal, "needs_attention", f"{why}; the rollback failed too ({type(exc).__name__}). {after}",
                              report, persist)
        self.toolbox.gateway.invalidate(proposal.device)
        return await conclude(proposal, "rolled_back", f"{why}; rolled back", report, persist)


async def management_address(hostname: str, timeout_s: float = 2.0) -> str | None:
    """The address the bot manages the device on: the inventory's hostname, resolved when it is a
    name (None when it cannot be resolved in time: no management check is then possible)."""
    try:
        return str(ipaddress.IPv4Address(hostname))
    except ValueError:
        pass
    try:
        infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(hostname, None, family=socket.AF_INET), timeout_s)
    except (OSError, asyncio.TimeoutError):
        return None
    return str(infos[0][4][0]) if infos else None


async def _kept(proposal: ChangeProposal) -> bool:
    return True


def _refuse(proposal: ChangeProposal, name: str, detail: str) -> ChangeProposal:
    proposal.prechecks.append(Check(name=name, ok=False, detail=detail))
    return _refused(proposal)


def _refused(proposal: ChangeProposal) -> ChangeProposal:
    proposal.state = "refused"
    proposal.reason = "; ".join(c.detail for c in proposal.prechecks if not c.ok)
    return proposal


async def conclude(proposal: ChangeProposal, state: str, reason: str, report: Report, persist: Persist) -> ChangeProposal:
    proposal.state = state  # type: ignore[assignment]
    proposal.reason = reason
    if state in ("confirmed", "rolled_back"):
        proposal.revert_armed = False
    await persist(proposal)
    await report(state, reason)
    return proposal
