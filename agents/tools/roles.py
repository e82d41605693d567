"""The role each tool needs: the tool gate's table, read from the tool declarations.

Why this lives in `agents`: the role travels with the request into the engine and is checked
where data is produced (the tool call), whatever path reached the tool: keyword or Claude
routing, a plan, a follow-up, one specialist asking another, a thread follow-up, a re-run.
Listener checks in Slack are only a cheap first filter. The default of each tool is the `role`
of its declaration (agents/tools/registry.py); `access.tool_roles` in the settings overrides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agents.access import Role, allows, highest
from agents.catalogue import catalogue
from agents.tools.registry import TOOLS

# Configuration text, config diffs and audit findings are operator data; state, counters,
# health and runbooks are for everyone who may ask.
DEFAULT_TOOL_ROLES: dict[str, Role] = {tool.name: tool.role for tool in TOOLS}


class ToolRoles:
    """The role each tool needs: the declared defaults with the configured overrides on top.

    An unknown tool needs admin, so a tool added without a role is closed, not open.
    """

    def __init__(self, overrides: Mapping[str, Role] | None = None) -> None:
        self._roles: dict[str, Role] = {**DEFAULT_TOOL_ROLES, **(overrides or {})}

    def needed(self, tool: str) -> Role:
        return self._roles.get(tool, "admin")

    def allowed(self, role: Role | None, tool: str) -> bool:
        return allows(role, self.needed(tool))

    def for_specialists(self, names: Iterable[str]) -> Role:
        """The role a question routed to `names` needs before it is answered: the highest role of
        their core tools (spec.yaml `access.core_tools`), viewer when they declare none."""
        specs = catalogue()
        return highest(self.needed(tool) for name in names if name in specs for tool in specs[name].access.core_tools)

