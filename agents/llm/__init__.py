"""The Claude backend: one AsyncAnthropic client, structured outputs, tool-use investigations,
usage and cost accounting. Every entry point degrades to the offline engine instead of failing."""

from __future__ import annotations

import os

from agents.config import LLMConfig


def provider_enabled(config: LLMConfig) -> bool:
    """Whether Claude is used: `anthropic` always, `offline` never, `auto` when ANTHROPIC_API_KEY
    is set. Lives here, apart from the client, so deciding costs no import of the Claude SDK."""
    if config.provider == "offline":
        return False
    if config.provider == "anthropic":
        return True
    return bool(os.environ.get("ANTHROPIC_API_KEY"))
