"""The Claude backend as the engine holds it: the client, the LLM settings, a usage meter per
request and the investigator every specialist's step runs on. Built by agents/engine.py
`build_engine`, which decides whether Claude is used at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agents.config import LLMConfig
from agents.llm.client import ClaudeClient
from agents.llm.investigation import investigate
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

