"""The health report as typed data: what `noc health --json` prints and what Slack renders.

One model for the daily report, `/noc-health` and the CLI, so the three cannot drift apart.
It holds what a viewer may read: observations, counts and rule titles, never configuration
lines or audit evidence (those need the operator role; see docs/reference/access-control.md).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agents.severity import Severity
from agents.tools.audit_schema import risk_text

AlertKind = Literal["breaker", "success_rate", "budget", "cost", "requests"]


class AlertItem(BaseModel):
    """One line of the alerts section: what, how bad, and the facts behind it."""

    kind: AlertKind
    severity: Severity
    title: str
    detail: str = ""
    subject: str = ""  # the breaker, agent or request status it is about
    at: float | None = None
    duration_s: float | None = None
    ongoing: bool = False


class Problem(BaseModel):
    kind: str
    severity: Severity
    message: str


class NeighborState(BaseModel):
    protocol: Literal["bgp", "ospf"]
    address: str
    state: str
    is_up: bool
    peer_device: str | None = None


class DeviceRow(BaseModel):
    """One device of the sweep: worst problem first; `errors` are reads or checks that failed."""

    device: str
    role: str = "unknown"
    site: str = "unknown"
    severity: Severity = Severity.info
    reachable: bool = True
    errors: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    cpu_pct: float | None = None
    memory_pct: float | None = None
    audit_counts: dict[str, int] = Field(default_factory=dict)
    audit_titles: dict[str, str] = Field(default_factory=dict)  # rule id -> "severity: title"
    audit_risk: int | None = None  # the audit's risk score, 0-100, higher is worse (None: not audited)
    neighbors: list[NeighborState] = Field(default_factory=list)

    @property
    def audit_total(self) -> int:
        return sum(self.audit_counts.get(s.value, 0) for s in Severity if s != Severity.info)

    @property
    def audit_text(self) -> str:
        """"2 high, 1 medium, risk 37/100, higher is worse"; empty without findings above info."""
        counts = ", ".join(f"{n} {s}" for s, n in self.audit_counts.items() if n and s != "info")
        if not counts:
            return ""
        return counts + (f", {risk_text(self.audit_risk)}" if self.audit_risk is not None else "")


class NetworkSection(BaseModel):
    devices: list[DeviceRow] = Field(default_factory=list)
    checked: int = 0
    unreachable: int = 0
    duration_s: float = 0.0

    @property
    def worst(self) -> Severity:
        return Severity.worst([d.severity for d in self.devices])

    @property
    def attention(self) -> list[DeviceRow]:
        return [d for d in self.devices if d.severity.rank >= Severity.medium.rank]


class DriftItem(BaseModel):
    """A configuration change between two stored (redacted) snapshots: sizes and section names only."""

    device: str
    at: float
    added: int
    removed: int
    sections: list[str] = Field(default_factory=list)


class NeighborChange(BaseModel):
    device: str
    protocol: str
    address: str
    peer_device: str | None = None
    before: str  # "absent" when the neighbour is new
    after: str  # "absent" when it disappeared


class FindingChange(BaseModel):
    device: str
    change: Literal["new", "resolved"]
    source: Literal["health", "audit"]
    severity: Severity
    text: str


class TriagedAlert(BaseModel):
    """A monitoring alert of the last 24 h (bot.triage) and what its investigation concluded."""

    at: float
    name: str
    device: str | None = None
    status: str  # open | resolved
    flaps: int = 0
    outcome: str = "no answer stored"


class ChangesSection(BaseModel):
    since: float | None = None  # the sweep compared with; None on the first report
    drift: list[DriftItem] = Field(default_factory=list)
    neighbors: list[NeighborChange] = Field(default_factory=list)
    findings: list[FindingChange] = Field(default_factory=list)
    alerts: list[TriagedAlert] = Field(default_factory=list)


class AgentWindow(BaseModel):
    runs: int = 0
    success_rate: float | None = None
    latency_p50_s: float = 0.0
    latency_p95_s: float = 0.0
    failures: dict[str, int] = Field(default_factory=dict)
    tokens: int = 0
    cost_usd: float = 0.0


class AgentRow(BaseModel):
    agent: str
    instance: str | None = None
    last_24h: AgentWindow = Field(default_factory=AgentWindow)
    last_7d: AgentWindow = Field(default_factory=AgentWindow)


class DailyPoint(BaseModel):
    """One agent on one local day: what the chart draws."""

    agent: str
    day: str
    runs: int
    success_rate: float | None
    latency_p95_s: float | None


class ConfidenceRow(BaseModel):
    """How sure one specialist's answers were over the last 24 h (success and partial runs)."""

    agent: str
    answers: int
    median: float
    low: float  # the 10th percentile (nearest rank): how unsure its least sure answers were
    bands: dict[str, int] = Field(default_factory=dict)  # "under 0.5", "0.5-0.7", "0.7-0.9", "0.9 and up" -> answers


class PoolSize(BaseModel):
    """A specialist pool in this replica's memory when the report was built (the rows come from the store)."""

    agent: str
    size: int
    min_size: int
    max_size: int
    busy: int = 0
    grown: int = 0
    shrunk: int = 0
    # "diagnosis-1 tier balanced @ default" per instance, for a pool configured with instances: bindings
    bindings: list[str] = Field(default_factory=list)


class AgentsSection(BaseModel):
    rows: list[AgentRow] = Field(default_factory=list)
    pools: list[PoolSize] = Field(default_factory=list)
    days: list[str] = Field(default_factory=list)
    daily: list[DailyPoint] = Field(default_factory=list)
    confidence: list[ConfidenceRow] = Field(default_factory=list)


class HealthReport(BaseModel):
    kind: Literal["daily", "on-demand"]
    day: str  # the local date the report is for
    timezone: str
    generated_at: float
    generated_local: str
    alerts: list[AlertItem] = Field(default_factory=list)
    network: NetworkSection = Field(default_factory=NetworkSection)
    changes: ChangesSection = Field(default_factory=ChangesSection)
    agents: AgentsSection = Field(default_factory=AgentsSection)
    chart_filename: str = ""

    @property
    def title(self) -> str:
        return f"NOC daily health report {self.day}" if self.kind == "daily" else f"NOC health report {self.generated_local}"
