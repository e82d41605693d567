"""A Claude-backed supervisor against the loopback Anthropic API for fault injection: a one-step
plan, scripted replies, fast retries and a hand-wound clock."""

from __future__ import annotations

from anthropic import AsyncAnthropic

from agents.config import EngineConfig, LLMConfig, NetworkConfig, RetryConfig
from agents.engine import Engine, EngineOptions, build_engine
from agents.llm.schemas import DiagnosisReport, FindingOut, PlanOut, PlanStepOut, SynthesisOut
from agents.resilience.guard import Resilience
from agents.tools import build_toolbox
from tests.fakes.anthropic_api import text

FAST = RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0)
QUESTION = "why can't the branch reach HQ over BGP?"
PLAN = PlanOut(reasoning="one step", steps=[PlanStepOut(id="s1", agent="diagnosis", instruction=QUESTION, devices=["branch-rtr-01"], depends_on=[])])
DIAG = DiagnosisReport(summary="branch-rtr-01 peers with the wrong AS.", findings=[FindingOut(text="remote-AS mismatch", severity="high", device="branch-rtr-01")],
                       recommendations=[], confidence=0.9, root_cause="remote-AS mismatch", affected_layer="network")
SYNTH = SynthesisOut(summary="(diagnosis) remote-AS mismatch on branch-rtr-01.", conflicts=[])


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def supervisor(api, *, resilience: Resilience, engine: EngineConfig | None = None, scenario="bgp-peer-down", **llm) -> Engine:
    config = LLMConfig(router_margin=0, follow_ups=0, planner="always", **llm)  # the scripted one-step plan
    sdk = AsyncAnthropic(base_url=api.url, api_key="test-key", max_retries=config.max_retries, timeout=config.timeout_s)
    toolbox = build_toolbox(NetworkConfig(), scenario=scenario)
    return build_engine(EngineOptions(engine=engine or EngineConfig(), llm=config), toolbox, resilience=resilience, model=sdk)


def script_ok(api, *diagnosis):
    """Planner and synthesis answer; diagnosis gets `diagnosis` replies (default: its report)."""
    api.script("planner", text(PLAN))
    api.script("specialist:diagnosis", *(diagnosis or [text(DIAG)]))
    api.script("synthesis", text(SYNTH))


async def close(sup: Engine):
    sup.toolbox.gateway.close()
    await sup.aclose()
