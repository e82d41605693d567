"""The `inventory:` section: where the device list comes from and how often it is read again.

`source: file` keeps today's behaviour (`network.inventory`, a Nornir SimpleInventory folder, or
the embedded lab when that is unset); `netbox` and `nautobot` read the devices from that source
of truth's REST API. Only the NAME of the environment variable holding the API token is written
here, never the token; device credentials stay where they were (`network.credentials`, or a
per-device environment variable name from a custom field), never read from the source in clear.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from agents.config import StrictModel

ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")  # upper case: a token or password typed instead is refused


class InventoryFilters(StrictModel):
    """Which devices of the source are the bot's: each list is OR within itself, AND across lists
    (a tag list means every tag: the sources' own `tag` filter is conjunctive). Slugs for site and
    role and tag in NetBox; names for location, role, tag and status in Nautobot."""

    site: list[str] = Field(default_factory=list)
    role: list[str] = Field(default_factory=list)
    tag: list[str] = Field(default_factory=list)
    status: list[str] = Field(default_factory=lambda: ["active"])


class InventoryConfig(StrictModel):
    source: Literal["file", "netbox", "nautobot"] = "file"
    url: str | None = Field(None, pattern=r"^https?://\S+$")
    token_env: str = Field("NOC_INVENTORY_TOKEN", min_length=1)
    filters: InventoryFilters = InventoryFilters()
    # Seconds between scheduled reads of the source (0: only at start and on demand).
    refresh_s: float = Field(300.0, ge=0, le=86400)
    timeout_s: float = Field(30.0, gt=0, le=600)
    verify_tls: bool = True
    # Platform slug (NetBox) or network_driver (Nautobot) -> NAPALM driver, for names the built-in
    # mapping (netutils' tables: cisco_ios -> ios, arista-eos -> eos, ...) does not know.
    platform_map: dict[str, str] = Field(default_factory=dict)
    # A custom field whose value NAMES the environment variable with that device's password
    # (e.g. NOC_PW_CORE); the value must look like a variable name, so a password typed there
    # is refused, never used, logged or shown.
    password_env_field: str | None = Field(None, min_length=1)

    @field_validator("token_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.match(value):
            raise ValueError("must be the NAME of an environment variable (upper-case letters, digits, _), not the token itself")
        return value

    @model_validator(mode="after")
    def _url_for_remote(self) -> "InventoryConfig":
        if self.source != "file" and not self.url:
            raise ValueError(f"inventory.url is required when inventory.source is {self.source} (e.g. https://{self.source}.example.com)")
        return self
