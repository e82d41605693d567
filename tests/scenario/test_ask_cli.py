"""`noc ask`, `noc route` and `noc eval-routing` as a user runs them, including bad input."""

from __future__ import annotations

import json

from bot.cli.main import cli
from tests.harness.paths import DATA

EVAL = DATA / "routing_eval.jsonl"
REQUIRED = {"status", "primary", "specialists", "severity", "confidence", "automation", "summary", "findings",
            "recommendations", "trace", "usage", "duration_s"}


def test_ask_json_has_every_documented_key(runner):
    result = runner.invoke(cli, ["ask", "why is the branch office slow?", "-s", "wan-congestion", "--json", "-q"])
    data = json.loads(result.stdout)
    assert REQUIRED <= set(data)
    assert data["status"] in {"ok", "partial", "degraded", "failed"}
    assert data["automation"] in {"auto", "review", "human"}
    assert all({"agent", "text"} <= set(f) for f in data["findings"])
    assert {"llm_calls", "input_tokens", "output_tokens", "cost_usd"} <= set(data["usage"])
    assert [t["event"] for t in data["trace"]][:2] == ["routed", "planned"] and data["trace"][-1]["event"] == "finished"


def test_ask_prints_live_progress_and_a_readable_answer(runner):
    result = runner.invoke(cli, ["ask", "why is the branch office slow?", "-s", "wan-congestion"])
    assert result.exit_code == 0
    out = result.output
    assert "routed to performance" in out and "plan (parallel)" in out
    assert "s1 performance started" in out and "-> analyze_traffic_patterns(branch-rtr-01) ok" in out
    assert "s1 performance success in" in out
    assert "Summary:" in out and "Recommendations:" in out and "service-policy output WAN-EDGE-QOS" in out


def test_empty_question_is_a_usage_error(runner):
    for args in (["ask"], ["ask", "   "]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2
        assert "ask needs a question" in result.output


def test_unknown_device_is_named_with_the_known_ones(runner):
    result = runner.invoke(cli, ["ask", "why is core-sw-09 dropping packets?", "--json", "-q"])
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["status"] == "failed"
    assert "Unknown device: core-sw-09" in data["summary"] and "core-sw-01" in data["summary"]


def test_unknown_device_beside_a_known_one_still_answers(runner):
    data = json.loads(runner.invoke(cli, ["ask", "compare cpu on edge-rtr-01 and edge-rtr-07", "--json", "-q"]).stdout)
    assert data["status"] == "ok" and data["devices"] == ["edge-rtr-01"]
    assert any("edge-rtr-07" in n for n in data["notices"])


def test_oversize_question_is_cut_with_a_notice(runner):
    question = "why is the branch office slow? " + "x" * 5000
    result = runner.invoke(cli, ["ask", question, "-s", "wan-congestion", "--json", "-q"])
    data = json.loads(result.stdout)
    assert any("cut to its first 4000 characters" in n for n in data["notices"])
    assert data["status"] == "ok"


def test_unknown_scenario_and_bad_mode(runner):
    assert runner.invoke(cli, ["ask", "hi", "-s", "nope"]).exit_code == 2
    assert runner.invoke(cli, ["ask", "hi", "--mode", "turbo"]).exit_code == 2


def test_modes_are_honoured(runner):
    for mode in ("sequential", "parallel", "hybrid"):
        data = json.loads(runner.invoke(cli, ["ask", "write an incident report for the bgp outage", "-s", "bgp-peer-down",
                                              "--mode", mode, "--json", "-q"]).stdout)
        assert data["plan"]["mode"] == mode
        assert data["status"] == "ok"


def test_route_json(runner):
    data = json.loads(runner.invoke(cli, ["route", "is telnet still enabled on access-sw-01?", "--json"]).stdout)
    assert data["primary"] == "security" and data["devices"] == ["access-sw-01"]
    assert set(data) >= {"primary", "specialists", "devices"}


def test_eval_routing_meets_the_bar(runner):
    result = runner.invoke(cli, ["eval-routing", str(EVAL), "--json"])
    data = json.loads(result.stdout)
    assert data["total"] >= 100
    assert data["accuracy"] >= 0.90
    assert sum(n for row in data["confusion"].values() for n in row.values()) == data["total"]
    text = runner.invoke(cli, ["eval-routing", str(EVAL)])
    assert "accuracy" in text.output and "expected \\ got" in text.output


def test_eval_set_is_varied():
    rows = [json.loads(line) for line in EVAL.read_text().splitlines() if line.strip()]
    per_class = {}
    for r in rows:
        per_class[r["expected"]] = per_class.get(r["expected"], 0) + 1
    assert len(per_class) == 5 and min(per_class.values()) >= 20


def test_eval_routing_bad_file(runner, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x", "expected": "plumbing"}\n')
    result = runner.invoke(cli, ["eval-routing", str(bad)])
    assert result.exit_code == 2 and "line 1" in result.output and "expected" in result.output
