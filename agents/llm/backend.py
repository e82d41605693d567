"""Wiring of the Claude backend into the supervisor: provider choice and offline fallback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agents.config import LLMConfig
from agents.llm import provider_enabled
from agents.llm.client import ClaudeClient
from agents.llm.investigation import investigate
from agents.resilience.guard import Resilience
from agents.specialists.base import AnalysisContext, AnalystOutput
from agents.usage import UsageMeter

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]


@dataclass
class ClaudeBackend:
    client: ClaudeClient
    config: LLMConfig

    async def aclose(self) -> None:
        await self.client.aclose()

    def meter(self) -> UsageMeter:
        return UsageMeter(self.config.prices, self.config.request_cost_limit_usd)

    def investigator(self, meter: UsageMeter) -> Analyst:
        """A Claude investigation; raises LLMUnavailable, which the supervisor turns into retries or the fallback."""

        async def analyse(ctx: AnalysisContext) -> AnalystOutput:
            out = await investigate(ctx, self.client, self.config, meter)
            out.engine = "claude"
            return out

        return analyse


def build_backend(config: LLMConfig, resilience: Resilience | None = None) -> ClaudeBackend | None:
    """The Claude backend when the provider is enabled (auto: ANTHROPIC_API_KEY is set), else None."""
    if not provider_enabled(config):
        return None
    return ClaudeBackend(ClaudeClient(config, resilience=resilience), config)
