"""Configuration models of the engine (network, audit, thresholds, engine, LLM, resilience); in
`agents` because the engine reads them and never imports `bot`, whose `bot.config.settings` composes them
into the file's schema. Every model forbids unknown keys: a typo in the YAML is reported."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.catalogue import catalogue
from agents.severity import Severity

_V = TypeVar("_V")


def known_specialists(value: dict[str, _V]) -> dict[str, _V]:
    """A per-specialist mapping whose keys are all specialists of the catalogue."""
    unknown = sorted(set(value) - set(catalogue().names))
    if unknown:
        raise ValueError(f"unknown specialist {', '.join(unknown)} (known: {', '.join(catalogue().names)})")
    return value


class StrictModel(BaseModel):
    """Base for config sections: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CredentialsConfig(StrictModel):
    """Where device credentials come from. Only environment variable NAMES live in the file."""

    username_env: str = Field("NOC_DEVICE_USERNAME", min_length=1)
    password_env: str = Field("NOC_DEVICE_PASSWORD", min_length=1)


class NetworkConfig(StrictModel):
    """How the tools reach the network.

    `inventory: null` selects the embedded lab (NAPALM mock driver over shipped fixtures);
    a directory path selects a Nornir SimpleInventory of real devices.
    """

    inventory: Path | None = None
    scenario: str = Field("healthy", min_length=1)
    credentials: CredentialsConfig = CredentialsConfig()
    timeout_s: float = Field(30.0, gt=0, le=600)
    sample_interval_s: float = Field(10.0, gt=0, le=300)
    max_parallel_devices: int = Field(8, ge=1, le=256)
    cache_ttl_s: float = Field(30.0, ge=0, le=3600)
    runbooks: Path | None = None  # the site's runbooks over the generic ones (agents.tools.runbooks.site_runbooks); lab: its own


class AuditConfig(StrictModel):
    """Config-audit options; `rules_file` replaces the shipped rules with your own YAML."""

    rules_file: Path | None = None


class ThresholdsConfig(StrictModel):
    """Levels at which tool observations are raised; the offline analyst reasons over them."""

    cpu_high_pct: float = Field(80.0, gt=0, le=100)
    cpu_critical_pct: float = Field(90.0, gt=0, le=100)
    memory_high_pct: float = Field(85.0, gt=0, le=100)
    utilisation_high_pct: float = Field(80.0, gt=0, le=100)
    utilisation_critical_pct: float = Field(90.0, gt=0, le=100)
    errors_per_min_high: float = Field(100.0, ge=0)
    discards_per_min_high: float = Field(100.0, ge=0)


IncidentPriority = Literal["P1", "P2", "P3", "P4"]


def _default_priorities() -> dict[Severity, IncidentPriority]:
    """The usual ITIL-style mapping: critical pages (P1), info is only tracked (P4)."""
    return {Severity.critical: "P1", Severity.high: "P2", Severity.medium: "P3", Severity.low: "P4", Severity.info: "P4"}


class EngineConfig(StrictModel):
    """How the supervisor runs specialists (the offline engine and, later, Claude)."""

    default_mode: Literal["auto", "sequential", "parallel", "hybrid"] = "auto"
    # One attempt of a step on one pool instance. Everything the step starts is cut to fit in it, so
    # a step never times out while a call it started may still run: a device read gets at most 80% of
    # what is left (network.timeout_s otherwise), a Claude call at most 90% (llm.timeout_s otherwise,
    # SDK retries included). A call cut short is that instance's timeout; the step is retried elsewhere.
    step_timeout_s: float = Field(30.0, gt=0, le=600)
    request_deadline_s: float = Field(120.0, gt=0, le=3600)  # from receipt, queue time included
    # Claude's calls end this long before the deadline (at most a quarter of it); the rules answer the rest.
    offline_reserve_s: float = Field(5.0, ge=0, le=600)
    max_hops: int = Field(3, ge=0, le=5)
    # Specialists added after the plan when a finding is of a kind they judge (spec plan.judges); 0: off.
    max_hand_offs: int = Field(2, ge=0, le=5)
    capacity_growth_pct_per_month: float = Field(5.0, gt=0, le=100)
    # How the specialists' severities become the answer's: the most severe vote (the reference's
    # consensus: one alarmed specialist is never outvoted), or the most common vote among the
    # investigating specialists (ties go to the more severe), for teams paged too often by one outlier.
    severity_vote: Literal["most_severe", "majority"] = "most_severe"
    # Folders of extra specialists (each a folder with spec.yaml, or a folder of such folders), added
    # to the built-in five when the settings are loaded (agents/catalogue.py; docs/architecture.md).
    specialist_paths: list[Path] = Field(default_factory=list)
    # Incident priority per severity, as the ticketing system names it; every severity must be mapped.
    incident_priorities: dict[Severity, IncidentPriority] = Field(default_factory=_default_priorities)

    @model_validator(mode="after")
    def _every_severity_has_a_priority(self) -> "EngineConfig":
        missing = [s.value for s in Severity if s not in self.incident_priorities]
        if missing:
            raise ValueError(f"engine.incident_priorities has no priority for {', '.join(missing)} (map each to P1-P4)")
        return self

    def incident_priority(self, severity: Severity) -> IncidentPriority:
        return self.incident_priorities[severity]

    def llm_cutoff_s(self) -> float:
        """Seconds after receipt by which every Claude call of a request has ended."""
        return self.request_deadline_s - min(self.offline_reserve_s, self.request_deadline_s / 4)


class TierConfig(StrictModel):
    """One model tier: which model, and the effort level where the API supports it."""

    model: str = Field(min_length=1)
    effort: Literal["low", "medium", "high", "xhigh", "max"] | None = None
    max_tokens: int = Field(4096, ge=256, le=64000)


class PriceConfig(StrictModel):
    """USD per million tokens."""

    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float = Field(ge=0)
    cache_read: float = Field(ge=0)


def _default_tiers() -> dict[str, TierConfig]:
    return {
        "fast": TierConfig(model="claude-haiku-4-5"),
        "balanced": TierConfig(model="claude-sonnet-4-6"),
        "deep": TierConfig(model="claude-opus-4-6", max_tokens=8192),
    }


def _default_prices() -> dict[str, PriceConfig]:
    return {
        "claude-haiku-4-5": PriceConfig(input=1.0, output=5.0, cache_write=1.25, cache_read=0.10),
        "claude-sonnet-4-6": PriceConfig(input=3.0, output=15.0, cache_write=3.75, cache_read=0.30),
        "claude-opus-4-6": PriceConfig(input=5.0, output=25.0, cache_write=6.25, cache_read=0.50),
    }


LLMRole = Literal["router", "planner", "coordinator", "synthesis"]


def _default_roles() -> dict[LLMRole, str]:
    return {"router": "fast", "planner": "fast", "coordinator": "balanced", "synthesis": "deep"}


class LLMConfig(StrictModel):
    """The Claude backend. Without an API key (provider auto) everything runs on the offline engine."""

    provider: Literal["auto", "anthropic", "offline"] = "auto"
    tiers: dict[str, TierConfig] = Field(default_factory=_default_tiers)
    roles: dict[LLMRole, str] = Field(default_factory=_default_roles)
    # Tier per specialist under tier_policy: fixed; a specialist not named here uses its spec's model.tier.
    specialists: dict[str, str] = Field(default_factory=lambda: {n: s.model.tier for n, s in catalogue().specs.items()})
    # fixed: each specialist's tier above. complexity: a step's tier from how hard it looks (devices,
    # domains in its context, tools it is expected to call, earlier failures), within the tiers the
    # specialist allows below (agents/llm/tiering.py); the choice and its reason go into the trace.
    tier_policy: Literal["fixed", "complexity"] = "fixed"
    # A specialist not named here ranges over its spec's model.allowed_tiers.
    allowed_tiers: dict[str, list[str]] = Field(
        default_factory=lambda: {n: list(s.model.allowed_tiers) for n, s in catalogue().specs.items()})
    prices: dict[str, PriceConfig] = Field(default_factory=_default_prices)
    # One Claude call, SDK retries included; inside a specialist step never beyond 90% of what is left
    # of engine.step_timeout_s (agents/llm/client.py), so the step's timeout never cuts a live call.
    timeout_s: float = Field(60.0, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=10)
    # Claude routes a question when the learned router's calibrated confidence in its primary is below this (0-1).
    # At 0.8, cross-validation has the router alone on ~90% of questions at ~98% accuracy (noc eval-routing --cv).
    router_confidence: float = Field(0.8, ge=0, le=1)
    # Deprecated (the keyword router's score margin). When set, it overrides router_confidence and is
    # read against the learned router's probability margin (0-1): 0 never asks Claude, >= 1 always does.
    router_margin: float | None = Field(None, ge=0)
    early_starts: bool = True  # the specialists a router is sure of start while Claude routes/plans (agents/scheduling.py)
    speculative_starts: bool = True  # also the route's other specialists and those named, cancelled if Claude's route drops them
    max_plan_steps: int = Field(6, ge=1, le=12)
    # Off the critical path: Claude plans only when the learned router was unsure (a confident route's rule plan
    # is certain), the coordinator runs only when a report shows a gap (roles.visible_gaps); "always": every request.
    planner: Literal["always", "uncertain"] = "uncertain"
    coordinator: Literal["always", "on_gaps"] = "on_gaps"
    coordinator_confidence: float = Field(0.7, ge=0, le=1)
    max_tool_steps: int = Field(5, ge=1, le=20)
    tool_result_max_chars: int = Field(6000, ge=500, le=200000)
    tool_result_max_chunks: int = Field(8, ge=0, le=32)  # a larger result: read in parts on the tier below (llm/chunking.py); 0: cut
    tool_result_chunk_tier: str = "fast"
    follow_ups: int = Field(2, ge=0, le=5)
    request_cost_limit_usd: float = Field(0.50, gt=0)

    @field_validator("specialists", "allowed_tiers")
    @classmethod
    def _known_specialists(cls, value: dict[str, Any]) -> dict[str, Any]:
        return known_specialists(value)

    @model_validator(mode="after")
    def _tiers_exist(self) -> "LLMConfig":
        named = [(f"roles.{n}", t) for n, t in self.roles.items()] + [(f"specialists.{n}", t) for n, t in self.specialists.items()]
        for where, tier in named + [("tool_result_chunk_tier", self.tool_result_chunk_tier)]:
            if tier not in self.tiers:
                raise ValueError(f"{where} names tier '{tier}', which is not in tiers ({', '.join(self.tiers)})")
        for name, allowed in self.allowed_tiers.items():
            unknown = [t for t in allowed if t not in self.tiers]
            if unknown or not allowed:
                raise ValueError(f"allowed_tiers.{name} must list tiers from tiers ({', '.join(self.tiers)}); got {allowed}")
        return self

    @model_validator(mode="after")
    def _router_margin_is_deprecated(self) -> "LLMConfig":
        if self.router_margin is not None:
            logging.getLogger(__name__).warning(
                "llm.router_margin is deprecated: routing now gives calibrated probabilities; set llm.router_confidence (0-1) "
                "instead. router_margin %s is read as a margin between probabilities (>= 1: Claude routes every question)",
                self.router_margin)
        return self

    def claude_routes(self, confidence: float, margin: float) -> bool:
        """Should Claude route a question the learned router decided with this confidence and margin?"""
        if self.router_margin is not None:
            return margin < self.router_margin
        return confidence < self.router_confidence

    def role_tier(self, role: str) -> str:
        return self.roles.get(role, "fast")  # type: ignore[call-overload,no-any-return]  # role: any LLMRole name

    def specialist_tier(self, name: str) -> str:
        """The tier name for a specialist under tier_policy: fixed."""
        return self.specialists.get(name) or (catalogue()[name].model.tier if name in catalogue() else "balanced")

    def specialist_allowed_tiers(self, name: str) -> list[str]:
        """The tiers a specialist may use under tier_policy: complexity."""
        if name in self.allowed_tiers:
            return self.allowed_tiers[name]
        return list(catalogue()[name].model.allowed_tiers) if name in catalogue() else ["balanced"]

    def tier_for_specialist(self, name: str) -> TierConfig:
        return self.tiers[self.specialist_tier(name)]


WeightedKind = Literal["timeout", "rate_limit", "overloaded", "server_error", "invalid_output", "connection", "error"]


def _default_weights() -> dict[WeightedKind, float]:
    return {"timeout": 0.5, "rate_limit": 0.5, "overloaded": 0.5, "server_error": 1.0,
            "invalid_output": 1.0, "connection": 1.0, "error": 1.0}


class BreakerConfig(StrictModel):
    """Circuit breaker: open when weighted failures within `window_s` reach `failure_threshold`."""

    failure_threshold: float = Field(3.0, gt=0)
    window_s: float = Field(60.0, gt=0)
    recovery_timeout_s: float = Field(30.0, gt=0)
    weights: dict[WeightedKind, float] = Field(default_factory=_default_weights)
    open_at_once: list[str] = Field(default_factory=lambda: ["auth"])


class EndpointConfig(StrictModel):
    """Where an instance's Claude calls go, by environment variable NAMES (values never live in the
    file): the base URL (unset: the SDK's default, ANTHROPIC_BASE_URL or Anthropic's API) and the API
    key. An instance whose key variable is unset fails its calls with an auth error, which opens its
    breakers and moves its steps to another instance."""

    base_url_env: str | None = Field(None, min_length=1)
    api_key_env: str = Field("ANTHROPIC_API_KEY", min_length=1)


class InstanceConfig(StrictModel):
    """What one pool instance is bound to: a model tier (a name in llm.tiers; unset: the tier the
    specialist's step would use, llm.tier_policy), optionally another model at that tier's settings,
    and an endpoint (a name in resilience.endpoints; unset: the default client). Two instances on
    different models or endpoints make "retry on another instance" a real failover."""

    tier: str | None = Field(None, min_length=1)
    model: str | None = Field(None, min_length=1)
    endpoint: str | None = Field(None, min_length=1)

    def describe(self) -> str:
        what = f"model {self.model}" if self.model else f"tier {self.tier}" if self.tier else "the specialist's tier"
        return f"{what} @ {self.endpoint or 'default'}"


class PoolConfig(StrictModel):
    """A specialist's instances. `size` is where the pool starts; it grows by one instance when a
    step finds every instance busy (up to max_size) and drops an instance idle for idle_s (down to
    min_size). min_size and max_size default to size: a fixed pool.

    `instances` lists bindings (model tier, model, endpoint); instance n is bound to
    instances[(n - 1) % len(instances)], so a pool that grows cycles through them. With `instances`
    and no `size`, the pool starts with one instance per binding. Without `instances` (the `size:`
    form) every instance is bound to the specialist's tier on the default endpoint."""

    size: int = Field(2, ge=1, le=32)
    min_size: int | None = Field(None, ge=1, le=32)
    max_size: int | None = Field(None, ge=1, le=32)
    idle_s: float = Field(300.0, gt=0, le=86400)
    strategy: Literal["round_robin", "least_loaded", "healthiest"] = "healthiest"
    instances: list[InstanceConfig] = Field(default_factory=list, max_length=32)

    @model_validator(mode="before")
    @classmethod
    def _size_from_instances(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("instances") and "size" not in data:
            return {**data, "size": len(data["instances"])}
        return data

    @model_validator(mode="after")
    def _size_within_bounds(self) -> "PoolConfig":
        if not self.lower <= self.size <= self.upper:
            raise ValueError(f"pool size {self.size} must lie within min_size {self.lower} and max_size {self.upper}")
        return self

    @property
    def lower(self) -> int:
        return self.min_size if self.min_size is not None else self.size

    @property
    def upper(self) -> int:
        return self.max_size if self.max_size is not None else self.size

    def binding(self, index: int) -> InstanceConfig:
        """What instance `index` (1-based) is bound to."""
        return self.instances[(index - 1) % len(self.instances)] if self.instances else InstanceConfig()


def _default_pools() -> dict[str, PoolConfig]:
    return {name: PoolConfig(size=spec.pool.size) for name, spec in catalogue().specs.items()}


class RetryConfig(StrictModel):
    """A failed step is retried on another instance: exponential backoff with jitter (tenacity)."""

    attempts: int = Field(3, ge=1, le=10)
    backoff_initial_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(4.0, ge=0)
    jitter_s: float = Field(0.5, ge=0)


class ResilienceConfig(StrictModel):
    # Instances per specialist; a specialist not named here gets its spec's pool.size.
    pools: dict[str, PoolConfig] = Field(default_factory=_default_pools)
    # Named Claude endpoints that pool instances may be bound to (besides the default client); each
    # has its own provider breaker (llm-provider@<name>), so one endpoint down does not stop the others.
    endpoints: dict[str, EndpointConfig] = Field(default_factory=dict)
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    provider_breaker: BreakerConfig = BreakerConfig(failure_threshold=5.0)
    daily_token_budget: int = Field(2_000_000, ge=0)  # 0 disables the budget
    timezone: str = "UTC"
    max_concurrent_requests: int = Field(8, ge=1, le=1000)
    # Unset: max_concurrent_requests x specialists, so the LLM limit never queues a step the request limit
    # admitted (every specialist of every admitted request in flight). Set it to your Anthropic rate limit.
    max_concurrent_llm_calls: int | None = Field(None, ge=1, le=1024)

    def llm_call_limit(self) -> int:
        """LLM calls in flight at once, process-wide: as configured, else sized from the request limit."""
        return self.max_concurrent_llm_calls or self.max_concurrent_requests * max(len(catalogue().names), 1)

    @field_validator("pools")
    @classmethod
    def _known_specialists(cls, value: dict[str, PoolConfig]) -> dict[str, PoolConfig]:
        return known_specialists(value)

    @model_validator(mode="after")
    def _known_endpoints(self) -> "ResilienceConfig":
        for agent, pool in self.pools.items():
            for i, inst in enumerate(pool.instances):
                if inst.endpoint is not None and inst.endpoint not in self.endpoints:
                    known = ", ".join(self.endpoints) or "none defined"
                    raise ValueError(f"pools.{agent}.instances[{i}] names endpoint '{inst.endpoint}', which is not in "
                                     f"resilience.endpoints ({known})")
        return self

    def pool_for(self, name: str) -> PoolConfig:
        """A specialist's pool: as configured, else its spec's size."""
        return self.pools.get(name) or PoolConfig(size=catalogue()[name].pool.size)

    @model_validator(mode="after")
    def _known_timezone(self) -> "ResilienceConfig":
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{self.timezone}' (use an IANA name such as Europe/Paris or UTC)") from None
        return self
