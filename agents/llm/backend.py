"""Wiring of the Claude backend into the supervisor: provider choice and offline fallback."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agents.config import LLMConfig
from agents.llm.client import ClaudeClient, LLMUnavailable, provider_enabled
from agents.llm.investigation import investigate
from agents.llm.usage import UsageMeter
from agents.specialists.base import AnalysisContext, AnalystOutput

log = logging.getLogger(__name__)

Analyst = Callable[[AnalysisContext], Awaitable[AnalystOutput]]


@dataclass
class ClaudeBackend:
    client: ClaudeClient
    config: LLMConfig

    async def aclose(self) -> None:
        await self.client.client.close()

    def meter(self) -> UsageMeter:
        return UsageMeter(self.config.prices, self.config.request_cost_limit_usd)

    def analyst(self, offline: Analyst, meter: UsageMeter) -> Analyst:
        """A Claude investigation that falls back to `offline` and says why."""

        async def analyse(ctx: AnalysisContext) -> AnalystOutput:
            try:
                out = await investigate(ctx, self.client, self.config, meter)
                out.engine = "claude"
                return out
            except LLMUnavailable as exc:
                log.warning("%s: Claude unavailable (%s): %s; using the offline analyst", ctx.agent.value, exc.kind, exc)
                out = await offline(ctx)
                out.engine = "offline-fallback"
                out.degraded = f"{ctx.agent.value}: Claude unavailable ({exc}); answered by the offline analyst"
                return out

        return analyse


def build_backend(config: LLMConfig) -> ClaudeBackend | None:
    """The Claude backend when the provider is enabled (auto: ANTHROPIC_API_KEY is set), else None."""
    if not provider_enabled(config):
        return None
    return ClaudeBackend(ClaudeClient(config), config)
