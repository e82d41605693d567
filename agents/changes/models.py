"""A change proposal and what happens to it, as stored and shown."""

from __future__ import annotations

import hashlib
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from agents.access import Role

ChangeState = Literal["refused", "pending", "approved", "applying", "committed", "confirmed", "rolled_back",
                      "rejected", "expired", "aborted", "needs_attention"]
# States in which nothing more will happen to the proposal.
FINAL_STATES = ("refused", "confirmed", "rolled_back", "rejected", "expired", "aborted", "needs_attention")
# States an apply run passes through; one left in them by a stopped process is resumed or resolved.
# Each is stored before its step is taken: approved (nothing sent), applying (merge and commit
# under way), committed (the commit was taken with a revert timer; post-check and confirm follow).
IN_FLIGHT_STATES = ("approved", "applying", "committed")
Risk = Literal["low", "medium", "high", "critical"]
Source = Literal["answer", "question", "cli", "claude"]

# Risk by kind: an edge port is low, anything that touches forwarding of many users is medium.
KIND_RISK: dict[str, Risk] = {"access_port": "low", "trunk": "medium", "qos_policy": "medium", "static_route": "medium"}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def new_change_id() -> str:
    return "chg-" + uuid.uuid4().hex[:8]


class Check(BaseModel):
    """One pre- or post-check: passed or not, and why, in words for the thread."""

    name: str
    ok: bool
    detail: str


class Symptom(BaseModel):
    """An observation the post-check must no longer see (from the tool that found the problem)."""

    tool: str
    kind: str
    interface: str | None = None
    severity: str
    message: str


class ChangeProposal(BaseModel):
    id: str = Field(default_factory=new_change_id)
    device: str
    os: str
    kind: str | None = None
    intent: str
    lines: list[str] = Field(default_factory=list)
    diff: list[str] = Field(default_factory=list)  # redacted, for display
    diff_hash: str = ""  # of the device's own compare_config text
    running_hash: str = ""  # of the running config the proposal was checked against
    result_hash: str = ""  # of the running config right after the commit (the approved result)
    revert_armed: bool = False  # a commit with the device's revert timer was taken and not yet settled
    risk_reasons: list[str] = Field(default_factory=list)  # why the risk is above the kind's
    prechecks: list[Check] = Field(default_factory=list)
    symptoms: list[Symptom] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)  # tools the post-check re-runs
    impact: list[str] = Field(default_factory=list)  # predicted effect on traffic and sessions (agents/changes/impact.py)
    baseline_findings: list[str] = Field(default_factory=list)  # high/critical audit rule ids before
    risk: Risk = "medium"
    confidence: float = 0.0
    automation: str = "human"
    requester: str | None = None
    requester_role: Role | None = None
    approver: str | None = None
    source: Source = "answer"
    request_id: str | None = None
    state: ChangeState = "pending"
    reason: str = ""  # why it was refused, aborted or rolled back
    created_at: float = 0.0
    expires_at: float = 0.0
    channel: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None

    @property
    def refused(self) -> bool:
        return self.state == "refused"
