"""The tool catalogue as data: names, descriptions and argument schemas.

Specialists are granted tools by name; the Claude backend turns these specs into tool
definitions (the argument models give the JSON schema) and `call_tool` validates whatever
arguments arrive, so a malformed LLM tool call becomes an error result, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.tools.network import Toolbox
from agents.tools.results import ToolError, ToolResult


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListDevicesArgs(_Args):
    role: str | None = Field(None, description="only devices with this role, e.g. core, distribution, access, wan-edge, branch-router, dc-switch")
    site: str | None = Field(None, description="only devices at this site")


class DeviceArgs(_Args):
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


class RunbookArgs(_Args):
    query: str = Field(min_length=2, description="symptoms or topic, e.g. 'ospf stuck exstart mtu'")
    limit: int = Field(3, ge=1, le=10, description="how many runbooks to return")


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[_Args]
    # How a refusal by the tool gate names what was withheld ("needs operator: skipped the running config of edge-rtr-01").
    withheld: str


TOOL_SPECS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in (
        ToolSpec("list_devices", "List inventory devices with role, site, OS, model and management address.", ListDevicesArgs,
                 "the device list"),
        ToolSpec("get_interface_statistics", "Interface status (up/down, enabled, speed, MTU, description) and current counters.", InterfaceArgs,
                 "the interface statistics"),
        ToolSpec("check_routing_protocol", "BGP or OSPF neighbour state, cross-checked against the peer device (AS and MTU mismatches).", RoutingArgs,
                 "the routing state"),
        ToolSpec("measure_latency", "Ping each path the device has a latency baseline for (NAPALM ping from the device): round trip and loss against the normal, with the degradation in percent.",
                 DeviceArgs, "the latency measurement"),
        ToolSpec("get_device_health", "CPU, memory, temperatures, fans and power supplies, with threshold observations.", DeviceArgs,
                 "the device health"),
        ToolSpec("get_device_config", "Running configuration (secrets redacted), optionally one section; says whether startup differs.", ConfigArgs,
                 "the running config"),
        ToolSpec("get_interface_qos", "QoS service-policy names applied per routed interface (input/output) and policy-maps applied nowhere; no configuration text.", InterfaceArgs,
                 "the QoS policies"),
        ToolSpec("analyze_traffic_patterns", "Utilisation, errors and drops per interface from two counter samples, busiest first.", InterfaceArgs,
                 "the traffic analysis"),
        ToolSpec("scan_security_vulnerabilities", "Audit the running configuration against the hardening rules; findings worst first and a 0-100 risk score.", SecurityArgs,
                 "the security audit"),
        ToolSpec("search_logs", "Recent syslog of a device as timestamped events (secrets redacted), with patterns found: failed-login bursts, logins from unexpected sources, BGP/OSPF adjacency and link flaps, CPU hogs.", LogArgs,
                 "the device logs"),
        ToolSpec("search_runbooks", "Search the NOC runbooks for a problem; best matches first with an excerpt and the file path.", RunbookArgs,
                 "the runbook search"),
    )
}


# The checks that make a device health sweep (diagnosis and /noc-health run the same ones).
DEVICE_SWEEP: tuple[tuple[str, dict[str, Any]], ...] = (
    ("get_device_health", {}),
    ("check_routing_protocol", {"protocol": "bgp"}),
    ("check_routing_protocol", {"protocol": "ospf"}),
    ("analyze_traffic_patterns", {}),
)


async def call_tool(toolbox: Toolbox, name: str, arguments: dict[str, Any] | None) -> ToolResult:
    """Validate `arguments` for tool `name` and run it; every problem comes back as a result."""
    spec = TOOL_SPECS.get(name)
    if spec is None and toolbox.external.server_of(name) is not None:  # a tool of a configured MCP server
        return await toolbox.external.call(name, arguments if isinstance(arguments, dict) else {})
    if spec is None:
        return ToolResult(tool=name, ok=False, error=ToolError(kind="bad_arguments", message=f"unknown tool '{name}'; tools: {', '.join(TOOL_SPECS)}"))
    try:
        args = spec.args.model_validate(arguments or {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())
        return ToolResult(tool=name, device=(arguments or {}).get("device") if isinstance(arguments, dict) else None,
                          ok=False, error=ToolError(kind="bad_arguments", message=problems))
    result: ToolResult = await getattr(toolbox, name)(**args.model_dump())
    return result


def tool_definition(name: str) -> dict[str, Any]:
    """The Anthropic tool definition for a tool: name, description and JSON schema of its arguments."""
    spec = TOOL_SPECS[name]
    schema = spec.args.model_json_schema()
    schema.pop("title", None)
    return {"name": spec.name, "description": spec.description, "input_schema": schema}


def result_model(name: str) -> type[ToolResult]:
    """The typed result a tool returns, read from its implementation's return annotation, so the
    MCP output schema and the tool never disagree (a tool's declaration is its code)."""
    import inspect
    import typing

    returned = typing.get_type_hints(inspect.unwrap(getattr(Toolbox, TOOL_SPECS[name].name)))["return"]
    if not (isinstance(returned, type) and issubclass(returned, ToolResult)):
        raise TypeError(f"tool {name} must return a ToolResult subclass, not {returned!r}")
    return returned
