"""Who may approve or reject a proposal, and when: one rule for Slack and the CLI."""

from __future__ import annotations

from agents.access import Role, allows
from agents.changes.config import ChangesConfig
from agents.changes.models import ChangeProposal


def decision_problem(proposal: ChangeProposal, *, user: str | None, role: Role | None, approve: bool,
                     now: float, config: ChangesConfig) -> str | None:
    """Why `user` may not approve (or reject) this proposal now; None when they may.

    The role is checked first so a viewer learns nothing about the proposal's state. An expired
    pending proposal is refused here; the caller marks it expired.
    """
    verb = "approve" if approve else "reject"
    if not allows(role, config.approver_role):
        return f"Only the {config.approver_role} role may {verb} changes."
    if proposal.state == "expired":
        return (f"Change {proposal.id} expired without a decision; nothing was done and it can no longer be "
                "approved or rejected. Propose it again if it is still needed.")
    if proposal.state != "pending":
        return f"Change {proposal.id} is already {proposal.state.replace('_', ' ')}; nothing was done."
    if now >= proposal.expires_at:
        return f"Change {proposal.id} expired; nothing was done. Propose it again if it is still needed."
    if approve and config.two_person and user is not None and user == proposal.requester:
        return f"You requested change {proposal.id}; another {config.approver_role} must approve it (two-person rule)."
    return None
