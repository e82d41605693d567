"""Role-based access: who may ask, who may audit, who may touch configuration.

Roles are cumulative (admin > operator > viewer) and granted to user ids, user groups and
channels, each with shell wildcards. User group membership comes from Slack
(`usergroups.users.list`) and is cached, because it changes rarely and every request checks it.
"""

from __future__ import annotations

import fnmatch
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agents.access import ROLE_ORDER, Role, allows
from bot.config.settings import AccessConfig, RoleGrants

log = logging.getLogger(__name__)

__all__ = ["AccessControl", "Decision", "Role", "ROLE_ORDER"]

GroupMembers = Callable[[str], Awaitable[list[str]]]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    role: Role | None  # the highest role the user holds here
    reason: str


def _matches(value: str | None, patterns: list[str]) -> bool:
    if not value:  # an unknown channel or team matches no pattern, not even "*"
        return False
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


class AccessControl:
    def __init__(self, config: AccessConfig, group_members: GroupMembers | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.group_members = group_members
        self.clock = clock
        self._groups: dict[str, tuple[float, set[str]]] = {}

    async def _in_groups(self, user: str, groups: list[str]) -> bool:
        if not groups or self.group_members is None:
            return False
        for group in groups:
            cached = self._groups.get(group)
            if cached is None or self.clock() - cached[0] > self.config.usergroup_cache_s:
                try:
                    members = set(await self.group_members(group))
                except Exception:  # Slack unreachable: fail closed for this group, keep the old list if any
                    log.warning("cannot read members of user group %s", group, exc_info=True)
                    members = cached[1] if cached else set()
                cached = (self.clock(), members)
                self._groups[group] = cached
            if user in cached[1]:
                return True
        return False

    async def _holds(self, grants: RoleGrants, user: str | None, channel: str | None) -> bool:
        return (_matches(user, grants.users) or _matches(channel, grants.channels)
                or (user is not None and await self._in_groups(user, grants.usergroups)))

    async def role_of(self, user: str | None, channel: str | None) -> Role | None:
        best: Role | None = None
        for role in ROLE_ORDER:
            if await self._holds(getattr(self.config, role), user, channel):
                best = role
        return best

    async def check(self, user: str | None, channel: str | None, needed: Role) -> Decision:
        role = await self.role_of(user, channel)
        if allows(role, needed):
            return Decision(True, role, f"{role} >= {needed}")
        held = role or "no role"
        return Decision(False, role, f"needs {needed}, user has {held}")
