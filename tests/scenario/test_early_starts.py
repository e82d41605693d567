"""Early starts on the Claude path (issue 27): the specialists a router is sure of run while Claude
plans, the candidates (the learned route's and those the question names) while Claude routes, and
Claude's route and then the plan, when they arrive, adopt, add and cancel steps.

Through `noc ask --json` against the loopback Anthropic server. The question is one the learned
router is unsure of (so Claude routes and plans); the scripted router and planner answer only once
the early specialists' calls have reached the server (observable state, no sleeps), so the route
and the plan always arrive after they started. Each answer is compared with the sequential path's (`--mode
sequential`: nothing starts early), which must be the same answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.llm.schemas import (
    ConfigReport,
    DiagnosisReport,
    FindingOut,
    PerformanceReport,
    PlanOut,
    PlanStepOut,
    RouteOut,
    SecurityReport,
    SynthesisOut,
)
from bot.cli.main import cli
from tests.fakes.anthropic_api import dynamic, fake_anthropic, text, tool_use  # noqa: F401

QUESTION = "check performance, security, config and diagnose problems on edge-rtr-01"  # the learned router: 0.62 sure
DEVICE = "edge-rtr-01"
REPORTS = {
    "diagnosis": DiagnosisReport(summary="edge-rtr-01 routing is stable", confidence=0.9, recommendations=[], root_cause="none", affected_layer="network",
                                 findings=[FindingOut(text="diagnosis: BGP sessions on edge-rtr-01 established", severity="info", device=DEVICE)]),
    "performance": PerformanceReport(summary="edge-rtr-01 load is moderate", confidence=0.9, recommendations=[], bottlenecks=[],
                                     findings=[FindingOut(text="performance: CPU on edge-rtr-01 at 41%", severity="low", device=DEVICE)]),
    "security": SecurityReport(summary="edge-rtr-01 management is exposed", confidence=0.9, recommendations=[], risk_scores={DEVICE: 6},
                               findings=[FindingOut(text="security: telnet enabled on edge-rtr-01", severity="medium", device=DEVICE)]),
    "config": ConfigReport(summary="edge-rtr-01 configuration is consistent", confidence=0.9, recommendations=[], generated_config=[],
                           findings=[FindingOut(text="config: edge-rtr-01 NTP servers set", severity="info", device=DEVICE)]),
}
READS = {"diagnosis": ("get_device_health", {"device": DEVICE}), "performance": ("get_device_health", {"device": DEVICE}),
         "security": ("get_device_config", {"device": DEVICE}), "config": ("get_device_health", {"device": DEVICE})}
SYNTH = SynthesisOut(summary="edge-rtr-01: what the specialists found, most severe first.", conflicts=[])


class Model:
    """The scripted Claude: each specialist reads its device once, then reports; the planner waits
    until `early` specialists have made `calls` calls each, the router until `candidates` have (only
    while `self.wait` is set); a specialist in `hang` hangs on its report call until released (the
    test's end)."""

    def __init__(self, api: Any, route: RouteOut, plan: PlanOut, early: dict[str, int], hang: set[str] = frozenset(),
                 candidates: dict[str, int] | None = None) -> None:
        self.api, self.route, self.plan, self.early, self.hang = api, route, plan, early, hang
        self.candidates = candidates or {}
        self.wait = True
        self.released = threading.Event()
        self.planned_after: dict[str, int] = {}
        self.routed_after: dict[str, int] = {}

    async def until(self, calls: dict[str, int]) -> dict[str, int]:
        """Wait until each specialist in `calls` has made that many calls (at most 20 s: then the
        reply comes anyway, and the assertions say what did not start); the calls made by then."""
        for _ in range(2000):
            if not self.wait or all(len(self.api.requests_for(f"specialist:{a}")) >= n for a, n in calls.items()):
                break
            await asyncio.sleep(0.01)  # the fake server's own loop, polling what it has received
        return {a: len(self.api.requests_for(f"specialist:{a}")) for a in REPORTS}

    async def router(self, body: dict) -> Any:
        self.routed_after = await self.until(self.candidates)
        return text(self.route)

    async def planner(self, body: dict) -> Any:
        self.planned_after = await self.until(self.early)
        return text(self.plan)

    def specialist(self, agent: str):
        async def reply(body: dict) -> Any:
            if not any(m["role"] == "assistant" for m in body["messages"]):
                return tool_use(READS[agent])
            if agent in self.hang:
                await asyncio.get_running_loop().run_in_executor(None, self.released.wait, 20)
            return text(REPORTS[agent])
        return reply

    def script(self) -> None:
        self.api.reset()
        self.api.script("router", dynamic(self.router))
        self.api.script("planner", dynamic(self.planner))
        self.api.script("synthesis", text(SYNTH))
        for agent in REPORTS:
            self.api.script(f"specialist:{agent}", dynamic(self.specialist(agent)))


def ask(runner, api, tmp_path: Path, mode: str | None = None, speculative: bool = False, live: list[str] | None = None,
        role: str = "admin") -> dict:
    """The answer of `noc ask --json` (as `role`); `speculative`: llm.speculative_starts; `live`:
    gets the progress lines shown on stderr (else -q)."""
    path = tmp_path / "noc.yml"
    # No follow-ups and no hand-offs: these tests pin which steps run; the question names security,
    # which a hand-off would otherwise bring back after the plan left it out (tests/scenario/test_hand_offs.py).
    path.write_text(yaml.safe_dump({"llm": {"follow_ups": 0, "speculative_starts": speculative}, "engine": {"max_hand_offs": 0},
                                    "resilience": {"retry": {"backoff_initial_s": 0.01, "jitter_s": 0.0}}}))
    args = (["--config", str(path), "ask", QUESTION, "--json", "--role", role] + ([] if live is not None else ["-q"])
            + (["--mode", mode] if mode else []))
    result = runner.invoke(cli, args, env=api.env())
    assert result.exit_code in (0, 1), result.output
    if live is not None:
        live += result.stderr.splitlines()
    return json.loads(result.stdout)


def events(answer: dict, kind: str) -> list[dict[str, str]]:
    """The trace's events of one kind, their details as a dict."""
    return [dict(p.split("=", 1) for p in e["detail"].split(", ") if "=" in p) for e in answer["trace"] if e["event"] == kind]


def same_answer(a: dict, b: dict) -> None:
    assert (a["status"], a["primary"], a["severity"], a["summary"]) == (b["status"], b["primary"], b["severity"], b["summary"])
    assert sorted(a["specialists"]) == sorted(b["specialists"])
    assert sorted(f["text"] for f in a["findings"]) == sorted(f["text"] for f in b["findings"])
    assert [(s["id"], s["agent"], s["depends_on"]) for s in a["plan"]["steps"]] == [(s["id"], s["agent"], s["depends_on"]) for s in b["plan"]["steps"]]


def step(sid: str, agent: str, depends_on: list[str] | None = None) -> PlanStepOut:
    return PlanStepOut(id=sid, agent=agent, instruction=QUESTION, devices=[DEVICE], depends_on=depends_on or [])


def test_plan_adopts_the_early_specialists_and_adds_the_rest(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "performance"], devices=[DEVICE], reasoning="two domains")
    plan = PlanOut(reasoning="three domains", steps=[step("s1", "diagnosis"), step("s2", "performance"), step("s3", "security")])
    model = Model(api, route, plan, early={"diagnosis": 1, "performance": 1})
    model.script()
    early = ask(runner, api, tmp_path)

    assert model.planned_after["diagnosis"] >= 1 and model.planned_after["performance"] >= 1  # running before the plan existed
    assert model.planned_after["security"] == 0  # not routed: added by the plan
    assert {e["step"]: e["status"] for e in events(early, "step_finished") if e["step"].startswith("early-")} == {
        "early-diagnosis": "continued", "early-performance": "continued"}
    assert {e["step"]: e["status"] for e in events(early, "step_finished") if not e["step"].startswith("early-")} == {
        "s1": "success", "s2": "success", "s3": "success"}
    # adopted, not run again: each specialist made its two calls (a read, then its report) once
    assert {a: len(api.requests_for(f"specialist:{a}")) for a in REPORTS} == {"diagnosis": 2, "performance": 2, "security": 2, "config": 0}
    assert early["status"] == "ok" and sorted(early["specialists"]) == ["diagnosis", "performance", "security"]

    model.script()
    model.wait = False
    sequential = ask(runner, api, tmp_path, mode="sequential")
    assert not [e for e in events(sequential, "step_started") if e["step"].startswith("early-")]
    same_answer(early, sequential)


def test_a_step_the_plan_makes_depend_on_another_is_cancelled_and_run_after_it(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "performance"], devices=[DEVICE], reasoning="two domains")
    plan = PlanOut(reasoning="performance builds on diagnosis", steps=[step("s1", "diagnosis"), step("s2", "performance", ["s1"])])
    model = Model(api, route, plan, early={"diagnosis": 1, "performance": 1})
    model.script()
    early = ask(runner, api, tmp_path)

    finished = {e["step"]: e["status"] for e in events(early, "step_finished")}
    assert finished["early-diagnosis"] == "continued" and finished["early-performance"] == "cancelled"
    assert finished["s1"] == "success" and finished["s2"] == "success"
    # run again after s1, with s1's finding in its context (the early run had none)
    perf = api.requests_for("specialist:performance")
    assert "BGP sessions on edge-rtr-01 established" not in json.dumps(perf[0]["messages"])
    assert "BGP sessions on edge-rtr-01 established" in json.dumps(perf[-1]["messages"])

    model.script()
    model.wait = False
    same_answer(early, ask(runner, api, tmp_path, mode="sequential"))


def test_a_cancelled_step_leaves_no_partial_finding(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "security"], devices=[DEVICE], reasoning="two domains")
    plan = PlanOut(reasoning="diagnosis alone answers this", steps=[step("s1", "diagnosis")])
    # security has read the device's configuration and is mid-way through its report when the plan arrives
    model = Model(api, route, plan, early={"diagnosis": 1, "security": 2}, hang={"security"})
    model.script()
    try:
        early = ask(runner, api, tmp_path)
    finally:
        model.released.set()

    assert model.planned_after["security"] == 2
    finished = {e["step"]: e["status"] for e in events(early, "step_finished")}
    assert finished == {"early-diagnosis": "continued", "early-security": "cancelled", "s1": "success"}
    assert early["specialists"] == ["diagnosis"] and [a["agent"] for a in early["agents"]] == ["diagnosis"]
    text_of_answer = json.dumps({k: v for k, v in early.items() if k != "trace"})
    assert "telnet" not in text_of_answer and "security" not in text_of_answer.replace(QUESTION, "")
    assert not any(f.get("agent") == "security" for f in early["findings"])

    model.script()
    model.wait = False
    sequential = ask(runner, api, tmp_path, mode="sequential")
    assert api.requests_for("specialist:security") == []  # the sequential path never ran it
    same_answer(early, sequential)


@pytest.mark.parametrize("mode", ["sequential"])
def test_nothing_starts_early_in_sequential_mode(runner, fake_anthropic, tmp_path, mode):
    api = fake_anthropic
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "performance"], devices=[DEVICE], reasoning="two domains")
    model = Model(api, route, PlanOut(reasoning="two", steps=[step("s1", "diagnosis"), step("s2", "performance")]), early={})
    model.script()
    answer = ask(runner, api, tmp_path, mode=mode)
    assert model.planned_after == {"diagnosis": 0, "performance": 0, "security": 0, "config": 0}
    assert [e["step"] for e in events(answer, "step_started")] == ["s1", "s2"]


# -- the candidates, started while Claude routes (llm.speculative_starts) --------------------------
# The tests above pin the confident-only path (speculative_starts off). The learned router routes
# QUESTION to performance and security; the question names all four investigators, so all four are
# candidates and start before Claude's route.


def shown(live: list[str], step: str) -> list[str]:
    return [line for line in live if step in line]


def two_kept_two_dropped(api) -> Model:
    """Claude's route keeps diagnosis and performance; security and config, started as candidates,
    are mid-way through their reports when it arrives."""
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "performance"], devices=[DEVICE], reasoning="two domains")
    plan = PlanOut(reasoning="two domains", steps=[step("s1", "diagnosis"), step("s2", "performance")])
    model = Model(api, route, plan, early={}, hang={"security", "config"},
                  candidates={"diagnosis": 1, "performance": 1, "security": 2, "config": 2})
    model.script()
    return model


def test_candidates_claudes_route_leaves_out_are_cancelled_and_never_shown(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    model = two_kept_two_dropped(api)
    live: list[str] = []
    try:
        early = ask(runner, api, tmp_path, speculative=True, live=live)
    finally:
        model.released.set()

    assert all(n >= 1 for n in model.routed_after.values()), model.routed_after  # all four running before Claude routed
    assert model.planned_after["security"] == model.routed_after["security"] == 2  # stopped at the route: no call after it
    finished = {e["step"]: e["status"] for e in events(early, "step_finished")}
    assert finished == {"early-diagnosis": "continued", "early-performance": "continued", "early-security": "cancelled",
                        "early-config": "cancelled", "s1": "success", "s2": "success"}
    # nothing of the cancelled candidates in the answer, nor in the live progress; the adopted ones are shown from their start
    text_of_answer = json.dumps({k: v for k, v in early.items() if k not in ("trace", "usage")})
    assert "telnet" not in text_of_answer and "NTP" not in text_of_answer
    assert sorted(early["specialists"]) == ["diagnosis", "performance"]
    assert not shown(live, "early-security") and not shown(live, "early-config")
    assert shown(live, "early-diagnosis diagnosis started") and shown(live, "s1 diagnosis success")

    model.script()
    model.wait = False
    sequential = ask(runner, api, tmp_path, mode="sequential", speculative=True)
    assert api.requests_for("specialist:security") == [] and api.requests_for("specialist:config") == []
    same_answer(early, sequential)


def test_candidates_claudes_route_names_are_adopted_by_the_plan(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    four = ["diagnosis", "performance", "security", "config"]
    route = RouteOut(primary="diagnosis", specialists=four, devices=[DEVICE], reasoning="four domains")
    plan = PlanOut(reasoning="four domains, independent", steps=[step(f"s{i}", a) for i, a in enumerate(four, 1)])
    model = Model(api, route, plan, early={}, candidates={a: 1 for a in four})
    model.script()
    live: list[str] = []
    early = ask(runner, api, tmp_path, speculative=True, live=live)

    assert all(model.routed_after[a] >= 1 for a in four), model.routed_after  # none waited for Claude's route
    assert {e["step"]: e["status"] for e in events(early, "step_finished") if e["step"].startswith("early-")} == {
        f"early-{a}": "continued" for a in four}
    # adopted, not run again: each specialist made its two calls (a read, then its report) once
    assert {a: len(api.requests_for(f"specialist:{a}")) for a in four} == {a: 2 for a in four}
    assert early["status"] == "ok" and sorted(early["specialists"]) == sorted(four)
    assert all(shown(live, f"early-{a} {a} started") for a in four)

    model.script()
    model.wait = False
    same_answer(early, ask(runner, api, tmp_path, mode="sequential", speculative=True))


def test_a_dropped_early_steps_withheld_read_says_nothing_in_the_answer(runner, fake_anthropic, tmp_path):
    """A viewer may not read configurations: security's early step asks for one, is refused (a
    withheld read the answer names when a step that ran reports it) and reports; the plan then
    leaves security out. Whether its report was in before the plan or not, the answer says nothing
    of its refusal: it belonged to a step the requester never saw."""
    api = fake_anthropic
    route = RouteOut(primary="diagnosis", specialists=["diagnosis", "performance", "security"], devices=[DEVICE], reasoning="three")
    plan = PlanOut(reasoning="two domains", steps=[step("s1", "diagnosis"), step("s2", "performance")])
    model = Model(api, route, plan, early={"security": 2}, candidates={"diagnosis": 1, "performance": 1, "security": 1})
    model.script()
    early = ask(runner, api, tmp_path, speculative=True, role="viewer")

    assert model.planned_after["security"] == 2  # refused its read, then sent its report before the plan
    assert {e["step"]: e["status"] for e in events(early, "step_finished")}["early-security"] == "cancelled"
    assert sorted(early["specialists"]) == ["diagnosis", "performance"]
    assert not [n for n in early["notices"] if "running config" in n or "security" in n], early["notices"]

    model.script()
    model.wait = False
    same_answer(early, ask(runner, api, tmp_path, mode="sequential", speculative=True, role="viewer"))


async def test_calls_cut_by_dropping_a_candidate_are_not_provider_failures(fake_anthropic):
    """Security and config are mid-call when Claude's route leaves them out: their calls are cut by
    the request itself, not failed by the provider, so the provider breaker (here opening at the
    first failure) stays closed and the answer carries no breaker notice."""
    from anthropic import AsyncAnthropic

    from agents.config import BreakerConfig, EngineConfig, LLMConfig, NetworkConfig, ResilienceConfig
    from agents.engine import EngineOptions, build_engine
    from agents.models import ExecutionMode, Request
    from agents.resilience.breaker import BreakerState
    from agents.tools import build_toolbox

    api = fake_anthropic
    model = two_kept_two_dropped(api)
    options = EngineOptions(engine=EngineConfig(max_hand_offs=0), llm=LLMConfig(provider="anthropic", follow_ups=0, tool_result_max_chunks=0),
                            resilience=ResilienceConfig(provider_breaker=BreakerConfig(failure_threshold=1)))
    engine = build_engine(options, build_toolbox(NetworkConfig()), model=AsyncAnthropic(base_url=api.url, api_key="test-key", max_retries=0))
    try:
        answer = await engine.run(Request.from_text(QUESTION, mode=ExecutionMode.parallel, role="admin"))
    finally:
        model.released.set()
        engine.supervisor.toolbox.gateway.close()
        await engine.aclose()

    assert model.routed_after["security"] == 2 and model.routed_after["config"] == 2  # both in their report call when cut
    assert answer.status == "ok" and sorted(s.value for s in answer.specialists) == ["diagnosis", "performance"]
    assert engine.resilience.provider.current_state() == BreakerState.closed
    assert not [n for n in answer.notices if "breaker" in n.lower()], answer.notices
