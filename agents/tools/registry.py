"""The tool catalogue: every network tool declared once, as data.

Each entry is a `Tool` (agents/tools/declaration.py): name, description, argument model, result
model, the role it needs, what it reads and its implementation on the `Toolbox`. Specialists are
granted tools by name in their spec.yaml and call them typed (`ctx.call(GET_DEVICE_CONFIG,
device=...)` returns a `DeviceConfig`); the Claude backend, the role gate, `noc tool`, the MCP
server and docs/reference/tools.md all read these entries. `call_tool` validates whatever
arguments arrive, so a malformed LLM tool call becomes an error result, not an exception.

Adding a tool: its method on `Toolbox` (agents/tools/network.py), its result model
(agents/tools/results.py), its argument model (agents/tools/arguments.py), one entry here, and
`python -m agents.tools.reference --write` for the reference page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from agents.tools.arguments import (
    ConfigArgs,
    DeviceArgs,
    InterfaceArgs,
    ListDevicesArgs,
    LogArgs,
    RoutingArgs,
    RunbookArgs,
    SecurityArgs,
)
from agents.tools.declaration import Tool, ToolArgs
from agents.tools.latency import LatencyReport
from agents.tools.results import (
    DeviceConfig,
    DeviceHealth,
    DeviceList,
    InterfaceQosStatus,
    InterfaceStatistics,
    LogSearch,
    RoutingStatus,
    RunbookSearch,
    SecurityScan,
    ToolError,
    ToolResult,
    TrafficAnalysis,
)

if TYPE_CHECKING:
    from agents.tools.network import Toolbox

__all__ = [
    "ANALYZE_TRAFFIC_PATTERNS", "CHECK_ROUTING_PROTOCOL", "DEVICE_SWEEP", "GET_DEVICE_CONFIG", "GET_DEVICE_HEALTH",
    "GET_INTERFACE_QOS", "GET_INTERFACE_STATISTICS", "LIST_DEVICES", "MEASURE_LATENCY", "SCAN_SECURITY_VULNERABILITIES", "SEARCH_LOGS",
    "SEARCH_RUNBOOKS", "TOOLS", "TOOL_SPECS", "Tool", "ToolArgs", "ToolSpec", "call_tool", "result_model", "tool_definition",
]

ToolSpec = Tool  # the older name of a declaration

LIST_DEVICES = Tool(
    name="list_devices", args=ListDevicesArgs, result=DeviceList, role="viewer", reads=("inventory",),
    description="List inventory devices with role, site, OS, model and management address.",
    withheld="the device list", run=lambda box, a: box.list_devices(a.role, a.site))

GET_INTERFACE_STATISTICS = Tool(
    name="get_interface_statistics", args=InterfaceArgs, result=InterfaceStatistics, role="viewer",
    reads=("device state", "counters"),
    description="Interface status (up/down, enabled, speed, MTU, description) and current counters.",
    withheld="the interface statistics", run=lambda box, a: box.get_interface_statistics(a.device, a.interface))

CHECK_ROUTING_PROTOCOL = Tool(
    name="check_routing_protocol", args=RoutingArgs, result=RoutingStatus, role="viewer", reads=("device state",),
    description="BGP or OSPF neighbour state, cross-checked against the peer device (AS and MTU mismatches).",
    withheld="the routing state", run=lambda box, a: box.check_routing_protocol(a.device, a.protocol))

# Pings from the device (NAPALM's ping getter) to the targets of its latency baselines.
MEASURE_LATENCY = Tool(
    name="measure_latency", args=DeviceArgs, result=LatencyReport, role="viewer", reads=("device state",),
    description="Ping each path the device has a latency baseline for (NAPALM ping from the device): round trip and loss "
                "against the normal, with the degradation in percent.",
    withheld="the latency measurement", run=lambda box, a: box.measure_latency(a.device))

GET_DEVICE_HEALTH = Tool(
    name="get_device_health", args=DeviceArgs, result=DeviceHealth, role="viewer", reads=("device state",),
    description="CPU, memory, temperatures, fans and power supplies, with threshold observations.",
    withheld="the device health", run=lambda box, a: box.get_device_health(a.device))

# Configuration text, config diffs and audit findings are operator data.
GET_DEVICE_CONFIG = Tool(
    name="get_device_config", args=ConfigArgs, result=DeviceConfig, role="operator", reads=("configuration",),
    description="Running configuration (secrets redacted), optionally one section; says whether startup differs.",
    withheld="the running config", run=lambda box, a: box.get_device_config(a.device, a.section))

# Policy names only, no configuration text: a viewer may see them.
GET_INTERFACE_QOS = Tool(
    name="get_interface_qos", args=InterfaceArgs, result=InterfaceQosStatus, role="viewer", reads=("configuration",),
    description="QoS service-policy names applied per routed interface (input/output) and policy-maps applied nowhere; no configuration text.",
    withheld="the QoS policies", run=lambda box, a: box.get_interface_qos(a.device, a.interface))

ANALYZE_TRAFFIC_PATTERNS = Tool(
    name="analyze_traffic_patterns", args=InterfaceArgs, result=TrafficAnalysis, role="viewer", reads=("counters",),
    description="Utilisation, errors and drops per interface from two counter samples, busiest first.",
    withheld="the traffic analysis", run=lambda box, a: box.analyze_traffic_patterns(a.device, a.interface))

SCAN_SECURITY_VULNERABILITIES = Tool(
    name="scan_security_vulnerabilities", args=SecurityArgs, result=SecurityScan, role="operator", reads=("configuration",),
    description="Audit the running configuration against the hardening rules; findings worst first and a 0-100 risk score.",
    withheld="the security audit", run=lambda box, a: box.scan_security_vulnerabilities(a.device, a.tags))

# Log lines pass redact_prose (they can quote typed commands), so viewers may read them.
SEARCH_LOGS = Tool(
    name="search_logs", args=LogArgs, result=LogSearch, role="viewer", reads=("logs",),
    description="Recent syslog of a device as timestamped events (secrets redacted), with patterns found: failed-login bursts, "
                "logins from unexpected sources, BGP/OSPF adjacency and link flaps, CPU hogs.",
    withheld="the device logs", run=lambda box, a: box.search_logs(a.device, a.query, a.limit))

SEARCH_RUNBOOKS = Tool(
    name="search_runbooks", args=RunbookArgs, result=RunbookSearch, role="viewer", reads=("runbooks",),
    description="Search the NOC runbooks for a problem; best matches first with an excerpt and the file path.",
    withheld="the runbook search", run=lambda box, a: box.search_runbooks(a.query, a.limit))

TOOLS: tuple[Tool[Any, Any], ...] = (
    LIST_DEVICES, GET_INTERFACE_STATISTICS, CHECK_ROUTING_PROTOCOL, MEASURE_LATENCY, GET_DEVICE_HEALTH, GET_DEVICE_CONFIG,
    GET_INTERFACE_QOS, ANALYZE_TRAFFIC_PATTERNS, SCAN_SECURITY_VULNERABILITIES, SEARCH_LOGS, SEARCH_RUNBOOKS,
)
TOOL_SPECS: dict[str, Tool[Any, Any]] = {tool.name: tool for tool in TOOLS}


# The checks that make a device health sweep (diagnosis and /noc-health run the same ones).
DEVICE_SWEEP: tuple[tuple[str, dict[str, Any]], ...] = (
    ("get_device_health", {}),
    ("check_routing_protocol", {"protocol": "bgp"}),
    ("check_routing_protocol", {"protocol": "ospf"}),
    ("analyze_traffic_patterns", {}),
)


def _bad_arguments(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors())


async def call_tool(toolbox: Toolbox, name: str, arguments: dict[str, Any] | None) -> ToolResult:
    """Validate `arguments` for tool `name` and run it; every problem comes back as a result."""
    spec = TOOL_SPECS.get(name)
    if spec is None and toolbox.external.server_of(name) is not None:  # a tool of a configured MCP server
        return await toolbox.external.call(name, arguments if isinstance(arguments, dict) else {})
    if spec is None:
        return ToolResult(tool=name, ok=False, error=ToolError(kind="bad_arguments", message=f"unknown tool '{name}'; tools: {', '.join(TOOL_SPECS)}"))
    try:
        args: ToolArgs = spec.args.model_validate(arguments or {})
    except ValidationError as exc:
        device = (arguments or {}).get("device") if isinstance(arguments, dict) else None
        failed: ToolResult = spec.failed(ToolError(kind="bad_arguments", message=_bad_arguments(exc)), device if isinstance(device, str) else None)
        return failed
    result: ToolResult = await spec.run(toolbox, args)
    return result


def tool_definition(name: str) -> dict[str, Any]:
    """The Anthropic tool definition for a tool: name, description and JSON schema of its arguments."""
    return TOOL_SPECS[name].definition()


def result_model(name: str) -> type[ToolResult]:
    """The typed result a tool returns, as declared (the MCP server's output schema)."""
    spec: Tool[ToolArgs, ToolResult] = TOOL_SPECS[name]
    return spec.result
