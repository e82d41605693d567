"""The Claude path end to end: `noc ask --json` with ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL pointing
at a loopback fake of the Messages API that the real `anthropic` SDK talks to.

Asserts on the answer and on what was sent: tools offered per specialist, cache_control, no
sampling parameters, secrets absent, step cap, tool result cap, repair, retries and fallbacks.
"""

from __future__ import annotations

import json

import pytest

from agents.llm.schemas import (
    GapList,
    PlanOut,
    PlanStepOut,
    RouteOut,
)
from bot.cli.main import cli
from tests.fakes.anthropic_api import (
    error,
    fake_anthropic,  # noqa: F401
    invalid_json,
    overloaded,
    rate_limited,
    text,
    tool_use,
    wrong_shape,
)
from tests.harness.claude_script import DIAG, PLAN, ROUTE, SEC, SECRETS, SYNTH, run_ask, script_happy_path

SAMPLING = {"temperature", "top_p", "top_k"}
DIAGNOSIS_TOOLS = {"list_devices", "get_interface_statistics", "check_routing_protocol", "get_device_health",
                   "analyze_traffic_patterns", "measure_latency", "get_device_config", "search_logs", "ask_specialist"}


def tools_offered(body: dict) -> set[str]:
    return {t["name"] for t in body.get("tools", [])}


def test_whole_claude_path(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    # the reports show no gap: on_gaps would skip the coordinator; the call order below is the one
    # without early starts (with them, diagnosis races the planner: tests/scenario/test_early_starts.py)
    answer = run_ask(runner, api, tmp_path, coordinator="always", early_starts=False)

    assert answer["status"] == "ok", answer["notices"]
    assert answer["primary"] == "diagnosis"
    assert answer["summary"] == SYNTH.summary
    assert answer["specialists"] == ["diagnosis", "security", "documentation"]  # security came as a follow-up, before the write-up
    assert answer["severity"] == "high"
    assert any(f["text"].startswith("BGP remote-AS mismatch") for f in answer["findings"])
    assert all(a["engine"] == "claude" for a in answer["agents"])

    roles = [api_role(b) for b in api.requests]
    assert roles == ["router", "planner", "specialist:diagnosis", "specialist:diagnosis", "coordinator", "specialist:security",
                     "specialist:documentation", "specialist:documentation", "synthesis"]  # the writer after the follow-up (issue 25)

    # usage and cost: 9 calls; haiku for router/planner/config-free specialists, sonnet for diagnosis+coordinator, opus for synthesis
    usage = answer["usage"]
    assert usage["llm_calls"] == 9
    assert usage["input_tokens"] == 9000 and usage["output_tokens"] == 1800
    assert usage["cache_read_tokens"] == 27000 and usage["cache_write_tokens"] == 4500
    per_call = {"haiku": (1000 * 1 + 200 * 5 + 500 * 1.25 + 3000 * 0.10) / 1e6,
                "sonnet": (1000 * 3 + 200 * 15 + 500 * 3.75 + 3000 * 0.30) / 1e6,
                "opus": (1000 * 5 + 200 * 25 + 500 * 6.25 + 3000 * 0.50) / 1e6}
    models = [b["model"] for b in api.requests]
    expected = sum(per_call[next(k for k in per_call if k in m)] for m in models)
    assert usage["cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert models.count("claude-sonnet-4-6") == 3 and models.count("claude-opus-4-6") == 1


def test_what_was_sent(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    run_ask(runner, api, tmp_path)
    for body in api.requests:
        assert not SAMPLING & set(body), body.keys()
        assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert body["output_config"]["format"]["type"] == "json_schema"
        if body.get("tools"):
            assert body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    diag = api.requests_for("specialist:diagnosis")
    assert all(tools_offered(b) == DIAGNOSIS_TOOLS for b in diag)
    docs = api.requests_for("specialist:documentation")
    assert tools_offered(docs[0]) == {"list_devices", "search_runbooks", "ask_specialist"}
    # both tool calls of one turn were answered in the next request, with real lab data
    results = [c for c in diag[1]["messages"][-1]["content"] if c["type"] == "tool_result"]
    assert len(results) == 2
    assert "bgp_as_mismatch" in results[0]["content"]
    assert "router bgp 65101" in results[1]["content"] and "<redacted>" in results[1]["content"]
    # the documentation step got diagnosis's findings as context
    assert "BGP remote-AS mismatch" in docs[0]["messages"][0]["content"]
    blob = json.dumps(api.requests)
    assert [s for s in SECRETS if s in blob] == []


def test_secrets_in_every_config_are_redacted_before_the_llm(runner, fake_anthropic, tmp_path):
    """Claude reads every device's full config in the insecure lab: no secret form reaches it."""
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="security", specialists=["security"], devices=[], reasoning="audit")))
    api.script("planner", text(PlanOut(reasoning="audit", steps=[PlanStepOut(id="s1", agent="security", instruction="audit", devices=[], depends_on=[])])))
    reads = [("get_device_config", {"device": d}) for d in ["core-sw-01", "core-sw-02", "dist-sw-01", "dist-sw-02", "access-sw-01",
                                                            "dc-leaf-01", "edge-rtr-01", "branch-rtr-01"]]
    api.script("specialist:security", tool_use(*reads), text(SEC))
    api.script("coordinator", text(GapList(gaps=[])))
    api.script("synthesis", text(SYNTH))
    answer = run_ask(runner, api, tmp_path, question="audit everything; we have snmp-server community Tr0ub4dor RO on some boxes", scenario="insecure-mgmt",
                     tool_result_max_chars=200000)
    assert answer["status"] == "ok"
    blob = json.dumps(api.requests)
    assert "snmp-server community <redacted> RO" in blob
    assert [s for s in SECRETS if s in blob] == []
    assert "Tr0ub4dor" not in blob  # the user's own question is redacted too


def test_step_cap_last_turn_must_answer(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [
        tool_use(("get_device_health", {"device": "branch-rtr-01"})),
        tool_use(("get_device_health", {"device": "edge-rtr-01"})),
        text(DIAG)]})
    answer = run_ask(runner, api, tmp_path, max_tool_steps=3, follow_ups=0)
    diag = api.requests_for("specialist:diagnosis")
    assert len(diag) == 3
    assert [b.get("tool_choice") for b in diag] == [None, None, {"type": "none"}]
    assert answer["status"] == "ok"


def test_model_that_never_stops_calling_tools_degrades_to_offline(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [tool_use(("get_device_health", {"device": "branch-rtr-01"}))]})  # repeats forever
    answer = run_ask(runner, api, tmp_path, max_tool_steps=2, follow_ups=0, resilience={"retry": {"attempts": 1}})
    assert len(api.requests_for("specialist:diagnosis")) == 2
    assert answer["status"] == "degraded"
    assert any("diagnosis: Claude unavailable" in n and "offline analyst" in n for n in answer["notices"])
    assert "remote-as 65001" in json.dumps(answer["findings"])  # the offline analyst still found it


def test_tool_results_are_capped_with_a_marker(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [tool_use(("get_device_config", {"device": "edge-rtr-01"})), text(DIAG)]})
    # with chunking off a large result is cut with a marker, as before (tests/scenario/test_chunked_results.py: chunked)
    run_ask(runner, api, tmp_path, tool_result_max_chars=600, tool_result_max_chunks=0, follow_ups=0)
    result = api.requests_for("specialist:diagnosis")[1]["messages"][-1]["content"][0]["content"]
    assert len(result) < 800 and "[truncated" in result and "ask for one device, section or interface" in result


def test_invalid_json_is_repaired_once(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"synthesis": [invalid_json(), text(SYNTH)]})
    answer = run_ask(runner, api, tmp_path, follow_ups=0)
    synth = api.requests_for("synthesis")
    assert len(synth) == 2
    assert "not valid for the required JSON schema" in synth[1]["messages"][-1]["content"]
    assert answer["status"] == "ok" and answer["summary"] == SYNTH.summary


def test_garbage_twice_degrades_with_the_reason(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [wrong_shape({"answer": 42})]})
    answer = run_ask(runner, api, tmp_path, follow_ups=0, resilience={"retry": {"attempts": 1}})
    assert len(api.requests_for("specialist:diagnosis")) == 2
    assert answer["status"] == "degraded"
    assert any("did not match DiagnosisReport after a repair attempt" in n for n in answer["notices"])
    diag = next(a for a in answer["agents"] if a["agent"] == "diagnosis")
    assert diag["engine"] == "offline-fallback" and "remote-as 65001" in json.dumps(answer["findings"])


def test_sdk_retries_429_and_529(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"router": [rate_limited(1), text(ROUTE)], "planner": [overloaded(), text(PLAN)]})
    answer = run_ask(runner, api, tmp_path, follow_ups=0)
    assert len(api.requests_for("router")) == 2 and len(api.requests_for("planner")) == 2
    assert answer["status"] == "ok"
    assert api.requests_for("router")[0] == api.requests_for("router")[1]  # the same request, retried by the SDK


def test_api_down_falls_back_everywhere_and_still_answers(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    api.script(None, error(500))
    answer = run_ask(runner, api, tmp_path, max_retries=0)
    assert answer["status"] == "degraded"
    notices = " ".join(answer["notices"])
    for part in ("Claude routing unavailable", "Claude plan not usable", "diagnosis: Claude unavailable", "Claude synthesis unavailable"):
        assert part in notices
    assert "remote-as 65001" in answer["summary"] + json.dumps(answer["findings"])


def test_bad_plan_falls_back_to_rule_planner(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    cyclic = PlanOut(reasoning="x", steps=[PlanStepOut(id="a", agent="diagnosis", instruction="x", devices=[], depends_on=["b"]),
                                           PlanStepOut(id="b", agent="security", instruction="y", devices=[], depends_on=["a"])])
    script_happy_path(api, {"planner": [text(cyclic)]})
    answer = run_ask(runner, api, tmp_path, follow_ups=0)
    assert any("Claude plan not usable (plan has a dependency cycle" in n for n in answer["notices"])
    assert answer["plan"]["reason"].startswith("primary diagnosis")


def test_cost_limit_stops_llm_calls(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    answer = run_ask(runner, api, tmp_path, request_cost_limit_usd=0.004)
    assert answer["usage"]["cost_usd"] >= 0.004
    assert len(api.requests) < 9
    assert any("Claude unavailable (request cost limit $0.004 reached)" in n for n in answer["notices"])
    assert answer["status"] == "degraded"


def test_confident_keyword_route_skips_the_claude_router(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api)
    env = {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url}
    path = tmp_path / "noc.yml"
    path.write_text("llm:\n  follow_ups: 0\n")
    question = "is telnet enabled on access-sw-01? audit the vty lines for cis compliance"
    runner.invoke(cli, ["--config", str(path), "ask", question, "-q", "--json"], env=env)
    assert api.requests_for("router") == []
    assert api.requests_for("planner") == []  # the confident route's rule plan is certain (llm.planner: uncertain)
    assert api.requests_for("specialist:security")
    path.write_text("llm:\n  follow_ups: 0\n  planner: always\n")
    runner.invoke(cli, ["--config", str(path), "ask", question, "-q", "--json"], env=env)
    assert api.requests_for("router") == []
    assert api.requests_for("planner")


def test_offline_provider_ignores_the_key(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    path = tmp_path / "noc.yml"
    path.write_text("llm:\n  provider: offline\n")
    result = runner.invoke(cli, ["--config", str(path), "ask", "why is the branch office slow?", "-s", "wan-congestion", "--json", "-q"],
                           env={"ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": api.url})
    assert json.loads(result.stdout)["usage"]["llm_calls"] == 0 and api.requests == []


def api_role(body: dict) -> str:
    return body["system"][0]["text"].split("\n", 1)[0].removeprefix("Role: ")
