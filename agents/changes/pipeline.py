"""The change pipeline: propose (candidate + pre-checks), then apply an approved proposal.

Apply is the only code that writes to devices, and it runs only for a proposal a person approved
(`rules.approval_problem`). One change per device at a time (a per-device lock). The order is
fixed: merge -> compare (must equal the approved diff) -> commit with a revert timer ->
post-check on fresh data -> confirm, or roll back with the reason. A device lost after the commit
is rolled back if it can be reached, and otherwise reported as needing a person, with the
revert timer that will undo the change on the device by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from agents.changes import candidate as candidates
from agents.changes.checks import CHECK_TOOLS, DEFAULT_CHECKS, audit_precheck, postcheck, run_checks, symptoms_of
from agents.changes.config import ChangesConfig
from agents.changes.device import ChangeAborted, ChangeDevice
from agents.changes.models import KIND_RISK, ChangeProposal, Check, Source, digest
from agents.config import NetworkConfig
from agents.network.gateway import DeviceError
from agents.specialists.config_templates import site_defaults
from agents.tools.config_intake import redact_diff
from agents.tools.network import Toolbox

Report = Callable[[str, str], Awaitable[None]]  # (step, detail) -> posted and stored by the caller


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
        proposal.checks = [t for t in (check_tools or []) if t in CHECK_TOOLS] or list(DEFAULT_CHECKS)
        proposal.symptoms = symptoms_of(await run_checks(self.toolbox, dev.name, proposal.checks))
        return proposal

    async def apply(self, proposal: ChangeProposal, report: Report) -> ChangeProposal:
        """Apply an approved proposal; every step goes through `report`. Returns it in its final state."""
        dev = self.toolbox.inventory.get(proposal.device)
        lock = self._locks.setdefault(dev.name, asyncio.Lock())
        if lock.locked():
            return await _end(proposal, "aborted", f"another change on {dev.name} is in progress", report)
        async with lock:
            proposal.state = "applying"
            await report("merge", f"load_merge_candidate on {dev.name}, compare with the approved diff {proposal.diff_hash[:8]}")
            try:
                await self.device.commit(dev, proposal.lines, running_hash=proposal.running_hash,
                                         diff_hash=proposal.diff_hash, revert_in=self.config.confirm_s)
            except ChangeAborted as exc:
                return await _end(proposal, "aborted", f"{exc}; nothing was committed", report)
            except DeviceError as exc:
                self.toolbox.gateway.invalidate(dev.name)
                return await self._lost(proposal, dev, f"the commit failed ({exc})", report)
            self.toolbox.gateway.invalidate(dev.name)
            await report("commit", f"committed with a {self.config.confirm_s} s revert timer")
            check = await postcheck(self.toolbox, dev.name, proposal.checks, proposal.symptoms, proposal.baseline_findings)
            await report("post-check", ("passed: " if check.ok else "failed: ") + check.detail)
            try:
                if check.ok:
                    await self.device.confirm(dev)
                    self.toolbox.gateway.invalidate(dev.name)
                    return await _end(proposal, "confirmed", "confirm_commit: the change is permanent", report)
                await self.device.rollback(dev)
                self.toolbox.gateway.invalidate(dev.name)
                return await _end(proposal, "rolled_back", f"rolled back: {check.detail}", report)
            except DeviceError as exc:
                self.toolbox.gateway.invalidate(dev.name)
                return await self._lost(proposal, dev, f"{dev.name} stopped answering after the commit ({exc})", report)

    async def _lost(self, proposal: ChangeProposal, dev: object, why: str, report: Report) -> ChangeProposal:
        """After a commit attempt the device is not answering: try to roll back, else say so loudly."""
        try:
            await self.device.rollback(self.toolbox.inventory.get(proposal.device))
        except Exception as exc:  # noqa: BLE001 - any failure here means a person must look
            return await _end(proposal, "needs_attention",
                              f"{why}; the rollback failed too ({type(exc).__name__}). The device's revert timer "
                              f"({self.config.confirm_s} s) undoes an unconfirmed commit by itself: check "
                              f"{proposal.device} by hand", report)
        self.toolbox.gateway.invalidate(proposal.device)
        return await _end(proposal, "rolled_back", f"{why}; rolled back", report)


def _refuse(proposal: ChangeProposal, name: str, detail: str) -> ChangeProposal:
    proposal.prechecks.append(Check(name=name, ok=False, detail=detail))
    return _refused(proposal)


def _refused(proposal: ChangeProposal) -> ChangeProposal:
    proposal.state = "refused"
    proposal.reason = "; ".join(c.detail for c in proposal.prechecks if not c.ok)
    return proposal


async def _end(proposal: ChangeProposal, state: str, reason: str, report: Report) -> ChangeProposal:
    proposal.state = state  # type: ignore[assignment]
    proposal.reason = reason
    await report(state, reason)
    return proposal
