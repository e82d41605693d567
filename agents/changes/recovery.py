"""Resolving a change whose apply run was cut short (the process was killed or stopped).

Every state of an apply is stored before its step (`pipeline`), so a change found in flight
says how far it got: `approved` sent nothing to the device, `applying` may or may not have
committed, `committed` took a commit with a revert timer that nobody confirmed yet. The device
is then read and its running config compared with the pre-change snapshot (`running_hash`) and
the approved result (`result_hash`, or the approved lines when the commit was never reported):

- nothing sent yet: the apply is resumed (its guards still check the device is as approved),
  unless the proposal's decision window has passed meanwhile (then nothing is done, and said);
- the device is as before: nothing is in effect (aborted), or, after a commit, the device's own
  revert timer undid it (rolled back);
- the device has the approved result and the commit waits for its confirm: post-check, then
  confirm or roll back, as an uninterrupted run would have;
- the device has the result permanently (no commit pending): confirmed if the post-check
  passes, otherwise a person must look;
- anything else: a person must look, told whether a revert timer is pending on the device.
"""

from __future__ import annotations

from typing import Literal

from agents.changes.checks import missing_lines, postcheck
from agents.changes.device import DeviceState
from agents.changes.models import ChangeProposal, digest
from agents.changes.pipeline import ChangeEngine, Persist, Report, conclude
from agents.network.gateway import DeviceError

Where = Literal["before", "after", "other"]


def assess(proposal: ChangeProposal, state: DeviceState) -> Where:
    """Where the device's running config stands: the pre-change snapshot, the approved result,
    or neither."""
    now = digest(state.running)
    if now == proposal.running_hash:
        return "before"
    if proposal.result_hash:
        return "after" if now == proposal.result_hash else "other"
    try:  # the commit was never reported: the approved lines all present is the approved result
        return "after" if not missing_lines(proposal.os, state.running, proposal.lines) else "other"
    except KeyError:
        return "other"


def _timer(pending: bool | None) -> str:
    if pending is True:
        return "a commit is pending on the device: its revert timer undoes it unless someone confirms it"
    if pending is False:
        return "no commit is pending on the device, so nothing will undo itself"
    return "the driver cannot tell whether a commit is pending on the device"


async def resolve(engine: ChangeEngine, proposal: ChangeProposal, report: Report, persist: Persist) -> ChangeProposal:
    """Resume or resolve one change left in flight; every outcome is reported with its reason."""
    dev = engine.toolbox.inventory.get(proposal.device)
    step = proposal.state
    if step == "approved" and engine.clock() >= proposal.expires_at:
        return await conclude(proposal, "aborted", "the apply was interrupted before anything was sent to the device, and "
                              "its decision window has passed since: nothing was changed; propose it again if it is still "
                              "needed", report, persist)
    if step == "approved":
        await report("resumed", "the apply was interrupted before anything was sent to the device; resuming it "
                                "(the guards still check that the device is as approved)")
        return await engine.apply(proposal, report, persist)
    try:
        state = await engine.device.state(dev)
    except DeviceError as exc:
        timer = (f"the commit armed the device's revert timer ({engine.config.confirm_s} s), which undoes it unless confirmed"
                 if proposal.revert_armed else "it is not known whether the commit was taken")
        return await conclude(proposal, "needs_attention", f"the apply was interrupted ({step}) and {dev.name} cannot be read "
                          f"now ({exc}); {timer}: check {dev.name} by hand", report, persist)
    finally:
        engine.toolbox.gateway.invalidate(dev.name)
    where = assess(proposal, state)
    cut = f"the apply was interrupted ({step})"
    if where == "before":
        if step == "committed":
            return await conclude(proposal, "rolled_back", f"{cut} after the commit; {dev.name}'s running config matches the "
                              "pre-change snapshot again: the device's revert timer undid the unconfirmed commit", report, persist)
        return await conclude(proposal, "aborted", f"{cut} before the commit took effect; {dev.name}'s running config matches "
                          "the pre-change snapshot: nothing of the change is in effect", report, persist)
    if where == "other":
        return await conclude(proposal, "needs_attention", f"{cut}; {dev.name}'s running config matches neither the pre-change "
                          f"snapshot nor the approved result; {_timer(state.pending_commit)}: check {dev.name} by hand",
                          report, persist)
    if state.pending_commit is not False:  # the approved result, waiting for its confirm
        proposal.state, proposal.revert_armed = "committed", state.pending_commit is True
        if not await persist(proposal):
            return proposal
        await report("resumed", f"{cut}; {dev.name} has the approved result and its commit waits for a confirm: "
                                "post-check, then confirm or roll back")
        return await engine.settle(proposal, report, persist, why="resumed after the interruption: ")
    check = await postcheck(engine.toolbox, dev.name, proposal.checks, proposal.symptoms, proposal.baseline_findings)
    await report("post-check", ("passed: " if check.ok else "failed: ") + check.detail)
    if check.ok:
        return await conclude(proposal, "confirmed", f"{cut}; {dev.name} has the approved result permanently (no commit is "
                          "pending) and the post-check passes", report, persist)
    return await conclude(proposal, "needs_attention", f"{cut}; {dev.name} has the change permanently and no revert timer is "
                      f"armed, but the post-check failed ({check.detail}): roll it back by hand", report, persist)
