"""The argument models of the network tools: what a call may carry, with the words help shows.

These models validate every call (from Claude, `noc tool`, an analyst or the MCP server), give
Claude its JSON schema and give `noc tool` its help and completion; their field descriptions are
the only description of an argument anywhere.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agents.tools.declaration import ToolArgs


class ListDevicesArgs(ToolArgs):
    role: str | None = Field(None, description="only devices with this role, e.g. core, distribution, access, wan-edge, branch-router, dc-switch")
    site: str | None = Field(None, description="only devices at this site")


class DeviceArgs(ToolArgs):
    device: str = Field(description="inventory name of the device, e.g. edge-rtr-01")


class InterfaceArgs(DeviceArgs):
    interface: str | None = Field(None, description="one interface (full or abbreviated name); all when omitted")


class RoutingArgs(DeviceArgs):
    protocol: Literal["bgp", "ospf"] = Field(description="routing protocol to check")


class ConfigArgs(DeviceArgs):
    section: str | None = Field(None, description="only top-level blocks starting with this text, e.g. 'router bgp', 'interface GigabitEthernet0/0/0', 'line vty'")


class SecurityArgs(DeviceArgs):
    tags: list[Literal["cis", "pci", "soc2"]] | None = Field(None, description="only rules with one of these compliance tags")


class LogArgs(DeviceArgs):
    query: str | None = Field(None, description="words to look for, e.g. 'login', 'bgp 172.16.100.1', 'flap', 'cpu'; all recent events when omitted")
    limit: int = Field(50, ge=1, le=200, description="most recent matching events to return")


class RunbookArgs(ToolArgs):
    query: str = Field(min_length=2, description="symptoms or topic, e.g. 'ospf stuck exstart mtu'")
    limit: int = Field(3, ge=1, le=10, description="how many runbooks to return")
