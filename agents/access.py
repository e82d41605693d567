"""Roles, and which role each tool needs: the rule the tool gate enforces on every call.

Why this lives in `agents`: the role travels with the request into the engine and is checked
where data is produced (the tool call), whatever path reached the tool: keyword or Claude
routing, a plan, a follow-up, one specialist asking another, a thread follow-up, a re-run.
Listener checks in Slack are only a cheap first filter. Roles are cumulative:
admin > operator > viewer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLE_ORDER: tuple[Role, ...] = ("viewer", "operator", "admin")

# Configuration text, config diffs and audit findings are operator data; state, counters,
# health and runbooks are for everyone who may ask. `access.tool_roles` overrides these.
DEFAULT_TOOL_ROLES: dict[str, Role] = {
    "list_devices": "viewer",
    "get_interface_statistics": "viewer",
    "check_routing_protocol": "viewer",
    "get_device_health": "viewer",
    "analyze_traffic_patterns": "viewer",
    "measure_latency": "viewer",
    "search_runbooks": "viewer",
    "get_interface_qos": "viewer",
    "search_logs": "viewer",  # log lines pass redact_prose: they can quote typed commands
    "get_device_config": "operator",
    "scan_security_vulnerabilities": "operator",
}


def allows(held: Role | None, needed: Role) -> bool:
    """Whether a caller holding `held` may do what needs `needed` (no role allows nothing)."""
    return held is not None and ROLE_ORDER.index(held) >= ROLE_ORDER.index(needed)


def highest(roles: Iterable[Role]) -> Role:
    """The strongest of `roles` (viewer when there are none)."""
    return max(roles, key=ROLE_ORDER.index, default="viewer")


class ToolRoles:
    """The role each tool needs: the defaults above with the configured overrides on top.

    An unknown tool needs admin, so a tool added without a role is closed, not open.
    """

    def __init__(self, overrides: Mapping[str, Role] | None = None) -> None:
        self._roles: dict[str, Role] = {**DEFAULT_TOOL_ROLES, **(overrides or {})}

    def needed(self, tool: str) -> Role:
        return self._roles.get(tool, "admin")

    def allowed(self, role: Role | None, tool: str) -> bool:
        return allows(role, self.needed(tool))

    def as_dict(self) -> dict[str, Role]:
        return dict(self._roles)
