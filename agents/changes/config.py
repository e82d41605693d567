"""The `changes:` section of the configuration file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.access import Role
from agents.config import StrictModel

# Kinds with a grammar and a template; `changes.kinds` narrows this list, never widens it.
KNOWN_KINDS = ("qos_policy", "access_port", "trunk", "static_route")


class ChangesConfig(StrictModel):
    """Human-approved changes. `enabled` unset means: on for the embedded lab, off for real devices.

    `approver_role` may approve or reject; `requester_role` may ask for a change (a viewer's
    question never becomes a proposal). With `two_person` the requester cannot approve their own
    change. A proposal expires after `expiry_s`; a commit is confirmed within `confirm_s` or the
    device rolls it back by itself (NAPALM `revert_in`).
    """

    enabled: bool | None = None
    approver_role: Role = "operator"
    requester_role: Role = "operator"
    two_person: bool = True
    expiry_s: float = Field(3600.0, gt=0, le=7 * 86400)
    confirm_s: int = Field(300, ge=30, le=3600)
    kinds: list[str] = Field(default_factory=lambda: list(KNOWN_KINDS))
    # The NOC's other systems around an apply (bot.integrations): an Alertmanager silence for the
    # device while it changes (`required`: no silence, no apply), and an approved change record.
    silence: Literal["off", "best_effort", "required"] = "best_effort"
    require_record: Literal["none", "servicenow", "jira"] = "none"

    def active(self, lab: bool) -> bool:
        return self.enabled if self.enabled is not None else lab

    def allowed_kinds(self) -> list[str]:
        return [k for k in self.kinds if k in KNOWN_KINDS]
