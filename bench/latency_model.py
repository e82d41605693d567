"""How long the loopback model takes to answer one call, for the Claude-path benches.

Two models:

- fixed: every call takes the same time. Simple and exact to reason about (a run's bound is its
  critical-path depth times the latency), but it favours fewer, longer calls: a generalist's call
  with a 20,000-token transcript costs the same time as a router's 50-token answer.
- tokens: time to first token, plus the uncached input over a prefill rate, plus the output over
  a decode rate, per model tier. The defaults are rounded public figures for the tiers' models
  (late 2025 provider dashboards and independent measurements of Claude Haiku, Sonnet and Opus:
  TTFT about 0.5, 0.8 and 1.5 s; output about 150, 75 and 45 tokens/s); prefill rates are
  assumptions of the same order. They are arguments: pass the figures of your own account.

`--time-scale` multiplies every modelled time, so a bench with realistic seconds per call can run
in a fraction of it; ratios (sequential/parallel, generalist/specialists) do not depend on it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from typing import Any

from agents.config import LLMConfig

DEFAULT_TTFT = "fast=0.5,balanced=0.8,deep=1.5"
DEFAULT_OUTPUT_RATE = "fast=150,balanced=75,deep=45"
DEFAULT_PREFILL_RATE = "fast=20000,balanced=10000,deep=6000"


def per_tier(text: str) -> dict[str, float]:
    """'fast=0.5,balanced=0.8,deep=1.5' -> {'fast': 0.5, ...}."""
    out = {}
    for part in text.split(","):
        tier, _, value = part.partition("=")
        out[tier.strip()] = float(value)
    return out


def tokens(value: Any) -> int:
    """About four characters a token, as the benches count what is actually sent."""
    return max(1, len(json.dumps(value, default=str)) // 4)


@dataclass
class LatencyModel:
    kind: str = "fixed"  # "fixed" or "tokens"
    latency: float = 0.2  # fixed: seconds a call
    ttft: dict[str, float] = field(default_factory=lambda: per_tier(DEFAULT_TTFT))
    output_rate: dict[str, float] = field(default_factory=lambda: per_tier(DEFAULT_OUTPUT_RATE))
    prefill_rate: dict[str, float] = field(default_factory=lambda: per_tier(DEFAULT_PREFILL_RATE))
    scale: float = 1.0
    tier_of_model: dict[str, str] = field(default_factory=lambda: {t.model: name for name, t in LLMConfig().tiers.items()})

    def seconds(self, body: dict, usage: dict[str, int]) -> float:
        """The modelled time of one call: `body` as sent, `usage` as the reply reports it."""
        if self.kind == "fixed":
            return self.latency
        tier = self.tier_of_model.get(body.get("model", ""), "balanced")
        prefill = usage.get("input_tokens", 0) + usage.get("cache_creation_input_tokens", 0)  # cache reads: no prefill
        return self.scale * (self.ttft[tier] + prefill / self.prefill_rate[tier] + usage.get("output_tokens", 0) / self.output_rate[tier])

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"fixed model latency {self.latency:g}s per call"
        tiers = ", ".join(f"{t}: {self.ttft[t]:g}s + in/{self.prefill_rate[t]:g} + out/{self.output_rate[t]:g} tok/s" for t in self.ttft)
        return f"latency proportional to tokens ({tiers}), times {self.scale:g}"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser, latency: float = 0.2, scale: float = 0.25) -> None:
        parser.add_argument("--latency-model", choices=["fixed", "tokens"], default="fixed",
                            help="fixed: --latency per call; tokens: TTFT + input/prefill rate + output/decode rate, per tier")
        parser.add_argument("--latency", type=float, default=latency, help="seconds the loopback model takes per call (fixed)")
        parser.add_argument("--ttft", default=DEFAULT_TTFT, help="seconds to the first token per tier (tokens)")
        parser.add_argument("--output-rate", default=DEFAULT_OUTPUT_RATE, help="output tokens per second per tier (tokens)")
        parser.add_argument("--prefill-rate", default=DEFAULT_PREFILL_RATE, help="uncached input tokens per second per tier (tokens)")
        parser.add_argument("--time-scale", type=float, default=scale, help="multiplies every modelled time (tokens)")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> LatencyModel:
        return cls(kind=args.latency_model, latency=args.latency, ttft=per_tier(args.ttft), output_rate=per_tier(args.output_rate),
                   prefill_rate=per_tier(args.prefill_rate), scale=args.time_scale)
