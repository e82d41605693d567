"""What one specialist reads of another's answer, typed.

A specialist that asks another (agents/models.py: QosQuery, CongestionQuery) reads the answer's
result through one of these models instead of by dictionary key: each names only the fields the
asker relies on, so the answering specialist may add more, and a renamed or missing field is a
validation error here rather than a silent `None`.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, Field, ValidationError

from agents.models import AgentResponse
from agents.tools.qos import InterfaceQos


class Bottleneck(BaseModel):
    """A congested interface as the performance specialist reports it."""

    device: str
    interface: str
    description: str = ""
    direction: str
    util_pct: float
    speed_mbps: float | None  # None: the device does not report the interface speed
    rate_mbps: float
    drops_per_min: float
    errors_per_min: float
    qos_checked: bool = False
    qos_policy: str | None = None
    unused_policies: list[str] = Field(default_factory=list)


class QosReply(BaseModel):
    """The config specialist's answer to a QosQuery."""

    qos: list[InterfaceQos] = Field(default_factory=list)
    unused_policies: dict[str, list[str]] = Field(default_factory=dict)  # device -> policy-maps applied nowhere


class CongestionReply(BaseModel):
    """The performance specialist's answer to a CongestionQuery."""

    bottlenecks: list[Bottleneck] = Field(default_factory=list)


_Reply = TypeVar("_Reply", bound=BaseModel)


def reply(response: AgentResponse | None, model: type[_Reply]) -> _Reply | None:
    """The answer's result as `model`; None when the request was refused, failed or answered in
    another shape (the asker then carries on without it, as it would without an answer)."""
    if response is None or response.status == "failure":
        return None
    try:
        return model.model_validate(response.result)
    except ValidationError:
        return None
