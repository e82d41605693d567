"""Severity levels shared by audit findings, diagnoses and the supervisor's vote.

A str-valued enum so it serialises as plain text in JSON and YAML, with an explicit rank
because "most severe wins" needs an order that does not depend on declaration tricks.
"""

from __future__ import annotations

from enum import Enum


class Severity(str, Enum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def worst(cls, values: "list[Severity] | tuple[Severity, ...]") -> "Severity":
        """Most severe of `values`; info when empty."""
        return max(values, key=lambda s: s.rank, default=cls.info)


_RANK = {
    Severity.info: 0,
    Severity.low: 1,
    Severity.medium: 2,
    Severity.high: 3,
    Severity.critical: 4,
}
