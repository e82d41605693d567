"""Roles: who may do what, ordered. Which role each tool needs is `agents.tools.roles`.

Why this lives in `agents`: the role travels with the request into the engine and is checked
where data is produced (the tool call), whatever path reached the tool: keyword or Claude
routing, a plan, a follow-up, one specialist asking another, a thread follow-up, a re-run.
Listener checks in Slack are only a cheap first filter. Roles are cumulative:
admin > operator > viewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLE_ORDER: tuple[Role, ...] = ("viewer", "operator", "admin")


def allows(held: Role | None, needed: Role) -> bool:
    """Whether a caller holding `held` may do what needs `needed` (no role allows nothing)."""
    return held is not None and ROLE_ORDER.index(held) >= ROLE_ORDER.index(needed)


def highest(roles: Iterable[Role]) -> Role:
    """The strongest of `roles` (viewer when there are none)."""
    return max(roles, key=ROLE_ORDER.index, default="viewer")
