"""A Claude-backed supervisor whose critical path is under test (issue 14): reports valid for any
specialist's schema, fast retries, and a request fanned out `n` times."""

from __future__ import annotations

import asyncio
from typing import Any

from anthropic import AsyncAnthropic

from agents.config import EngineConfig, LLMConfig, NetworkConfig, ResilienceConfig, RetryConfig
from agents.engine import Engine, EngineOptions, build_engine
from agents.llm.schemas import REPORT_MODELS, SynthesisOut
from agents.models import Answer, Request, Specialist
from agents.resilience.guard import Resilience
from agents.tools import build_toolbox
from tests.fakes.anthropic_api import tool_use

FAST = RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0)
QUESTION = "why can't the branch reach HQ over BGP?"
SYNTH = SynthesisOut(summary="(diagnosis) remote-AS mismatch on branch-rtr-01.", conflicts=[])
READ = tool_use(("check_routing_protocol", {"device": "branch-rtr-01", "protocol": "bgp"}))


def report(agent: str, confidence: float = 0.9, **extra: Any) -> dict[str, Any]:
    """A valid report for `agent`'s output schema whose one finding names the agent."""
    schema = REPORT_MODELS[Specialist(agent)].model_json_schema()
    empty = {"array": [], "object": {}, "string": "", "number": 0.0, "boolean": False}
    body = {k: empty.get(v.get("type", "string"), None) for k, v in schema["properties"].items() if k in schema.get("required", [])}
    body.update(summary=f"{agent} done", confidence=confidence, recommendations=[],
                findings=[{"text": f"finding of {agent}", "severity": "low", "device": "branch-rtr-01"}], **extra)
    return body


def supervisor(api, *, engine: EngineConfig | None = None, resilience: ResilienceConfig | None = None, **llm: Any) -> Engine:
    config = LLMConfig(**{"router_margin": 0, "follow_ups": 0, **llm})
    res = Resilience(resilience or ResilienceConfig(retry=FAST))
    sdk = AsyncAnthropic(base_url=api.url, api_key="test-key", max_retries=config.max_retries, timeout=config.timeout_s)
    built = build_engine(EngineOptions(engine=engine or EngineConfig(), llm=config), build_toolbox(NetworkConfig(), scenario="bgp-peer-down"),
                         resilience=res, model=sdk)
    assert built.claude is not None
    return built


async def ask(sup: Engine, n: int = 1, **request: Any) -> list[Answer]:
    try:
        return list(await asyncio.gather(*(sup.run(Request.from_text(QUESTION, role="operator", **request)) for _ in range(n))))
    finally:
        sup.toolbox.gateway.close()
        await sup.aclose()
