"""A small MCP server written with the official SDK, as a team's CMDB server would be: device
ownership and contracts for the lab's devices. Run as `python -m tests.fakes.mcp_cmdb` (stdio).

One record carries a secret in its free text (an SNMP community pasted into a note, as happens in
real CMDBs), so the tests can see that nothing a server returns reaches Claude unredacted.
"""

from __future__ import annotations

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

server = MCPServer("cmdb")

RECORDS = {
    "edge-rtr-01": ("team-wan", "ISP-A contract C-7781, renewal 2027-03", "snmp-server community Hm4xWp8Jc2Qs RO was set by the vendor"),
    "branch-rtr-01": ("team-branch", "Metro-E contract MEF-100-44871", ""),
}


class Owner(BaseModel):
    device: str
    owner: str
    contract: str
    note: str


@server.tool()
def device_owner(device: str) -> Owner:
    """Who owns a device and which circuit contract it sits on."""
    if device not in RECORDS:
        raise ToolError(f"no CMDB record for {device}")
    owner, contract, note = RECORDS[device]
    return Owner(device=device, owner=owner, contract=contract, note=note)


@server.tool()
def change_freeze() -> str:
    """Whether a change freeze is in force (no arguments)."""
    return "change freeze in force until 2026-12-31 (year-end)"


@server.tool()
async def slow_lookup(seconds: float) -> str:
    """A lookup that takes `seconds` (a CMDB under load)."""
    await anyio.sleep(seconds)
    return "done"


@server.tool()
def full_dump() -> str:
    """Every record as text: large."""
    return "\n".join(f"{d}: {o}" for d, (o, _, _) in RECORDS.items()) * 5000


if __name__ == "__main__":
    server.run()
