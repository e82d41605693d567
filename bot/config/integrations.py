"""The `alertmanager:`, `pagerduty:` and `servicenow:` sections of the configuration file.

Secrets are never in the file: each section names the environment variable that holds its token
or password (`*_env`), read when the call is made, so a rotated secret needs no restart.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from agents.access import Role
from agents.config import StrictModel

# Inventory fields a silence matcher may take its value from (agents.network.inventory.Device).
DEVICE_FIELDS = ("name", "hostname", "site", "role", "model", "platform", "os")

PageSeverity = Literal["P1", "P2", "P3", "P4"]
_PAGE_BY_DEFAULT: list[PageSeverity] = ["P1", "P2"]


class AlertmanagerConfig(StrictModel):
    """Where maintenance silences go (Alertmanager API v2) and what they match.

    `silence_matchers` maps an alert label to the inventory field whose value it must equal:
    the default silences alerts whose `device` label is the changed device's name. A silence ends
    `silence_margin_s` after the change's latest possible end (its revert window).
    """

    url: str | None = Field(None, pattern=r"^https?://")
    silence_matchers: dict[str, str] = Field(default_factory=lambda: {"device": "name"}, min_length=1)
    silence_margin_s: float = Field(600.0, ge=0, le=86400)
    timeout_s: float = Field(5.0, gt=0, le=60)
    token_env: str | None = None  # a bearer token for an Alertmanager behind an authenticating proxy

    @field_validator("silence_matchers")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(f for f in value.values() if f not in DEVICE_FIELDS)
        if bad:
            raise ValueError(f"unknown inventory field(s) {bad}; use one of {list(DEVICE_FIELDS)}")
        return value


class PagerDutyConfig(StrictModel):
    """Incidents out through PagerDuty's Events API v2.

    An answer or an alert investigation at a severity in `severities` (P1, P2 by default) opens
    an incident when its channel is in `channels` (empty: every channel). `routing_key_env` names
    the variable holding the service integration's routing key.
    """

    enabled: bool = False
    url: str = Field("https://events.pagerduty.com", pattern=r"^https?://")
    routing_key_env: str = "NOC_PAGERDUTY_ROUTING_KEY"
    severities: list[PageSeverity] = Field(default_factory=lambda: _PAGE_BY_DEFAULT.copy())
    channels: list[str] = Field(default_factory=list)
    page_role: Role = "operator"  # who may press "Page on-call" on an answer
    timeout_s: float = Field(5.0, gt=0, le=60)


class ServiceNowConfig(StrictModel):
    """Change records in ServiceNow (Table API, `change_request`), for `changes.require_record: servicenow`.

    The bot authenticates as `user` with the password in `password_env` (basic auth; the account
    needs the itil role, or read/write on change_request). A record counts as approved when its
    `approval` field is `approved`.
    """

    url: str | None = Field(None, pattern=r"^https?://")
    user: str | None = None
    password_env: str = "NOC_SERVICENOW_PASSWORD"
    assignment_group: str | None = None
    timeout_s: float = Field(10.0, gt=0, le=60)


class JiraConfig(StrictModel):
    """Change records as Jira issues (REST API v2), for `changes.require_record: jira`.

    Jira Cloud: `auth: basic` with the account's e-mail as `user` and an API token in `token_env`;
    Data Center: `auth: bearer` with a personal access token. The account needs Browse, Create
    issues, Add comments and Transition issues in `project`. An issue is approved when its status
    is one of `approved_statuses`; at the end it moves through the transition `done_transition`.
    """

    url: str | None = Field(None, pattern=r"^https?://")
    auth: Literal["basic", "bearer"] = "basic"
    user: str | None = None
    token_env: str = "NOC_JIRA_TOKEN"
    project: str | None = None
    issue_type: str = "Change"
    approved_statuses: list[str] = Field(default_factory=lambda: ["Approved"], min_length=1)
    done_transition: str = "Done"
    timeout_s: float = Field(10.0, gt=0, le=60)
