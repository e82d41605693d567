"""Typed results of the network tools.

Every tool returns a `ToolResult` subclass; a failure is a result with `ok=False` and an
`error`, never an exception, so an agent (or Claude) can read what went wrong and carry on.
Text taken from devices is redacted before it is stored in any of these models.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agents.severity import Severity
from agents.tools.audit import AuditFinding
from agents.tools.logs import LogEvent
from agents.tools.qos import InterfaceQos

ToolErrorKind = Literal[
    "unknown_device", "bad_arguments", "unreachable", "timeout", "refused", "dns", "auth", "credentials", "parse",
    "unsupported", "failed", "needs_role", "not_checked"
]


class ToolError(BaseModel):
    kind: ToolErrorKind
    message: str


class Observation(BaseModel):
    """Something a tool noticed in the data, with how bad it is by the configured thresholds.

    `kind` is a stable machine-readable label (e.g. `bgp_as_mismatch`, `mtu_mismatch`,
    `high_utilisation`) and `data` holds the facts behind the message, so analysts reason on
    structure instead of parsing English.
    """

    kind: str
    severity: Severity
    message: str
    device: str | None = None
    interface: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class ToolResult(BaseModel):
    tool: str
    device: str | None = None
    ok: bool = True
    error: ToolError | None = None
    observations: list[Observation] = Field(default_factory=list)


# -- list_devices ---------------------------------------------------------------------------


class DeviceSummary(BaseModel):
    name: str
    role: str
    site: str
    os: str
    model: str
    mgmt_address: str


class DeviceList(ToolResult):
    devices: list[DeviceSummary] = Field(default_factory=list)


# -- get_interface_statistics ---------------------------------------------------------------


class InterfaceStatus(BaseModel):
    name: str
    description: str = ""
    is_up: bool
    is_enabled: bool
    speed_mbps: float | None  # None: the device did not report it (NAPALM's -1)
    mtu: int | None
    rx_octets: int | None = None
    tx_octets: int | None = None
    rx_errors: int | None = None
    tx_errors: int | None = None
    rx_discards: int | None = None
    tx_discards: int | None = None


class InterfaceStatistics(ToolResult):
    interfaces: list[InterfaceStatus] = Field(default_factory=list)


# -- check_routing_protocol -----------------------------------------------------------------


class RoutingNeighbor(BaseModel):
    address: str
    state: str
    is_up: bool
    interface: str | None = None
    neighbor_id: str | None = None
    remote_as: int | None = None
    local_as: int | None = None
    description: str = ""
    uptime_s: int | None = None
    prefixes_received: int | None = None
    peer_device: str | None = None
    vrf: str = "global"  # the routing instance the session lives in (NAPALM's "global" is the default table)


class BgpInstance(BaseModel):
    """One BGP routing instance (the global table or a VRF) and its own identity."""

    vrf: str
    router_id: str | None = None
    local_as: int | None = None
    peers: int = 0


class RoutingStatus(ToolResult):
    protocol: Literal["bgp", "ospf"] = "bgp"
    router_id: str | None = None  # the global table's (a VRF's only when there is no global table)
    local_as: int | None = None
    neighbors: list[RoutingNeighbor] = Field(default_factory=list)
    instances: list[BgpInstance] = Field(default_factory=list)  # global first, then VRFs by name


# -- get_device_health ----------------------------------------------------------------------


class SensorReading(BaseModel):
    name: str
    ok: bool | None  # None: the state is unknown (no reading, or flags the driver cannot read)
    value: float | None = None
    detail: str = ""


class SlotHealth(BaseModel):
    """One slot's (line card, route processor, module) worst component; `chassis` when unnamed."""

    slot: str
    cpu_pct: float | None = None
    cpu: str | None = None
    temperature_c: float | None = None
    temperature_sensor: str | None = None
    temperature_ok: bool | None = None
    failed: list[str] = Field(default_factory=list)


class DeviceHealth(ToolResult):
    cpu_pct: float | None = None  # the busiest CPU, never an average that hides a hot card
    cpu_name: str | None = None
    cpu_avg_pct: float | None = None
    slots: list[SlotHealth] = Field(default_factory=list)
    memory_used_pct: float | None = None
    temperatures: list[SensorReading] = Field(default_factory=list)
    fans: list[SensorReading] = Field(default_factory=list)
    power_supplies: list[SensorReading] = Field(default_factory=list)
    uptime_s: float | None = None
    os_version: str = ""
    model: str = ""


# -- get_device_config ----------------------------------------------------------------------


class DeviceConfig(ToolResult):
    os: str = ""
    section: str | None = None
    running: str = ""
    startup_differs: bool | None = None
    diff_vs_startup: list[str] = Field(default_factory=list)  # unified diff, startup -> running, redacted
    line_count: int = 0


class InterfaceQosStatus(ToolResult):
    """Service-policy names per routed interface; no configuration text (a viewer may see it)."""

    interfaces: list[InterfaceQos] = Field(default_factory=list)
    unused_policies: list[str] = Field(default_factory=list)


# -- analyze_traffic_patterns ---------------------------------------------------------------


class InterfaceTraffic(BaseModel):
    name: str
    description: str = ""
    speed_mbps: float | None  # None: unknown, so no utilisation can be computed
    in_mbps: float
    out_mbps: float
    in_util_pct: float
    out_util_pct: float
    rx_errors_delta: int
    tx_errors_delta: int
    rx_discards_delta: int
    tx_discards_delta: int


class TrafficAnalysis(ToolResult):
    interval_s: float = 0.0
    interfaces: list[InterfaceTraffic] = Field(default_factory=list)


# -- scan_security_vulnerabilities ----------------------------------------------------------


class SecurityScan(ToolResult):
    os: str = ""
    risk_score: int = 0
    rules_evaluated: int = 0
    counts: dict[str, int] = Field(default_factory=dict)
    findings: list[AuditFinding] = Field(default_factory=list)
    unplaced: list[str] = Field(default_factory=list)  # config lines not audited (could not be placed), redacted


# -- search_runbooks ------------------------------------------------------------------------


class RunbookMatch(BaseModel):
    slug: str
    title: str
    path: str
    score: float
    excerpt: str


class RunbookSearch(ToolResult):
    query: str = ""
    matches: list[RunbookMatch] = Field(default_factory=list)


# -- search_logs ------------------------------------------------------------------------------


class LogSearch(ToolResult):
    """Recent syslog events (redacted, oldest first) and the patterns found in the whole log."""

    query: str | None = None
    events: list[LogEvent] = Field(default_factory=list)
    total_events: int = 0
    unparsed: list[str] = Field(default_factory=list)
