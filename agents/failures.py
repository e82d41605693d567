"""Why a model call gave no usable answer: the vocabulary the LLM client raises and resilience reads.

It lives apart from both so that neither package has to import the other for it: the client
raises `LLMUnavailable`, the resilience layer (breakers, retries) decides by its `kind`, and
`agents.llm` may depend on `agents.resilience` without a cycle back.
"""

from __future__ import annotations

from typing import Literal

FailureKind = Literal["cost_limit", "budget", "breaker_open", "rate_limit", "overloaded", "server_error", "timeout", "connection",
                      "auth", "bad_request", "invalid_output", "deadline"]


class LLMUnavailable(Exception):
    """Claude could not give a usable answer; `kind` says why (it drives fallbacks and breakers)."""

    def __init__(self, kind: FailureKind, message: str) -> None:
        self.kind = kind
        super().__init__(message)
