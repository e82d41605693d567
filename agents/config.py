"""Configuration models for the agent side: network access, lab and audit.

These live in `agents` (not `bot`) because the tools and the lab read them and `agents` must
never import from `bot`. `bot.settings` composes them into the full file schema. Every model
forbids unknown keys so a typo in the YAML is reported instead of silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class EngineConfig(StrictModel):
    """How the supervisor runs specialists (the offline engine and, later, Claude)."""

    default_mode: Literal["auto", "sequential", "parallel", "hybrid"] = "auto"
    step_timeout_s: float = Field(30.0, gt=0, le=600)
    request_deadline_s: float = Field(120.0, gt=0, le=3600)
    max_hops: int = Field(3, ge=0, le=5)
    capacity_growth_pct_per_month: float = Field(5.0, gt=0, le=100)
