"""What monitoring systems send, validated, and the one shape the triage works on.

Prometheus Alertmanager's webhook (version 4) and a small generic JSON are both turned into an
`AlertGroup`: a stable key (the group the alerts arrived in), firing or resolved, the alerts, and
the question the supervisor is asked, built from the labels a NOC engineer would look at first
(alert name, device, interface, neighbour) plus the summary annotation.

Alerts are text from outside, and a monitoring rule may quote a device's config line or carry a
credential in a label ("snmp-server community ... RO" in a config-drift summary, a `community`
label on an SNMP job). Every label and annotation value, the generic summary and device, is
redacted as it is validated, with the redaction device data gets (`redact_prose`), and a label
whose *name* says it holds a secret keeps its name but not its value; so nothing downstream (the
Slack thread, the store, the model's prompt, a log line) ever holds the value.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.tools.redact import REDACTED, redact_prose

# Label names that say which device an alert is about, most specific first.
_DEVICE_LABELS = ("device", "hostname", "host", "instance", "node", "target")
_INTERFACE_LABELS = ("interface", "ifName", "ifname", "ifDescr", "port")
_NEIGHBOR_LABELS = ("neighbor", "neighbour", "peer", "peer_address", "bgp_peer")
_MAX_TEXT = 500


# Label/annotation names that say their value is a credential (Prometheus' snmp_exporter auth
# names, exporters' `password`/`token` labels, `community`, `psk`...).
_SECRET_NAME = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)?|secret|community|psk|pre[-_]?shared|token|api[-_]?key|auth[-_]?key|priv[-_]?key"
    r"|private[-_]?key|credential|shared[-_]?key|key[-_]?string)")


def redacted(name: str, value: str) -> str:
    """A label or annotation value with every secret in it replaced (see the module docstring)."""
    return REDACTED if _SECRET_NAME.search(name) and value else redact_prose(value)


def _redact_map(values: dict[str, str]) -> dict[str, str]:
    return {name: redacted(name, value) for name, value in values.items()}


def _cut(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Loose(BaseModel):
    """Monitoring payloads carry fields we do not use; unknown keys are kept out, not refused."""

    model_config = ConfigDict(extra="ignore")


class AmAlert(_Loose):
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: str = ""
    endsAt: str = ""
    fingerprint: str = ""

    _redact = field_validator("labels", "annotations")(classmethod(lambda cls, v: _redact_map(v)))


class AlertmanagerPayload(_Loose):
    """Alertmanager's webhook body, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config)."""

    version: Literal["4"]
    groupKey: str = Field(min_length=1, max_length=2000)
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    alerts: list[AmAlert] = Field(min_length=1, max_length=500)

    _redact = field_validator("groupLabels", "commonLabels", "commonAnnotations")(classmethod(lambda cls, v: _redact_map(v)))


class GenericAlert(BaseModel):
    """The small documented JSON for anything that is not Alertmanager."""

    model_config = ConfigDict(extra="forbid")

    device: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=2000)
    severity: Literal["info", "low", "warning", "medium", "high", "critical"] = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    status: Literal["firing", "resolved"] = "firing"
    fingerprint: str | None = Field(None, max_length=200)

    @field_validator("labels")
    @classmethod
    def _few_labels(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 50:
            raise ValueError("at most 50 labels")
        return _redact_map(value)

    @field_validator("device", "summary")
    @classmethod
    def _redact_text(cls, value: str) -> str:
        return redact_prose(value)


class AlertGroup(BaseModel):
    key: str  # stable across notifications of the same group: the thread is found by it
    source: Literal["alertmanager", "generic"]
    status: Literal["firing", "resolved"]
    name: str
    severity: str | None = None
    device: str | None = None
    interface: str | None = None
    neighbor: str | None = None
    summary: str = ""
    firing: int = 0
    resolved: int = 0

    def question(self) -> str:
        where = " on " + self.device if self.device else ""
        details = [f"interface {self.interface}" if self.interface else "", f"neighbour {self.neighbor}" if self.neighbor else ""]
        extra = ", ".join(d for d in details if d)
        head = f"Alert {self.name}{where}" + (f" ({extra})" if extra else "")
        return _cut(f"{head}: {self.summary or 'no summary'}. What is the cause and how bad is it?", 1500)


def _first(labels: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if labels.get(name):
            value = labels[name]
            return value.split(":", 1)[0] if name == "instance" else value  # instance is host:port
    return None


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def from_alertmanager(payload: AlertmanagerPayload) -> AlertGroup:
    labels = {**payload.commonLabels, **payload.groupLabels}
    first = payload.alerts[0]
    merged = {**first.labels, **labels}
    annotations = {**first.annotations, **payload.commonAnnotations}
    return AlertGroup(
        key=_key("alertmanager", payload.receiver, payload.groupKey), source="alertmanager", status=payload.status,
        name=_cut(merged.get("alertname", "alert"), 200), severity=merged.get("severity"),
        device=_first(merged, _DEVICE_LABELS), interface=_first(merged, _INTERFACE_LABELS), neighbor=_first(merged, _NEIGHBOR_LABELS),
        summary=_cut(annotations.get("summary") or annotations.get("description") or ""),
        firing=sum(a.status == "firing" for a in payload.alerts), resolved=sum(a.status == "resolved" for a in payload.alerts),
    )


def from_generic(alert: GenericAlert) -> AlertGroup:
    name = alert.labels.get("alertname", "alert")
    return AlertGroup(
        key=_key("generic", alert.fingerprint or f"{alert.device}\x1f{name}\x1f{alert.summary}"), source="generic",
        status=alert.status, name=_cut(name, 200), severity=alert.severity, device=alert.device,
        interface=_first(alert.labels, _INTERFACE_LABELS), neighbor=_first(alert.labels, _NEIGHBOR_LABELS),
        summary=_cut(alert.summary), firing=int(alert.status == "firing"), resolved=int(alert.status == "resolved"),
    )
