"""`noc eval --judge` (issue 25): each answer graded by a model through the official anthropic SDK,
against the loopback fake Anthropic API (no network), beside the rule scores; without a key it
says plainly that it skipped the judge."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.cli.main import cli
from tests.fakes.anthropic_api import dynamic, error, fake_anthropic, role_of, text  # noqa: F401

CASES = ["latency-branch-hq", "wan-slow"]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "noc.yml"
    # The engine stays offline (llm.provider) while the model grades it: a run judges the rules' answers.
    path.write_text(yaml.safe_dump({"llm": {"provider": "offline", "max_retries": 0, "timeout_s": 10}}))
    return path


def _eval(runner, tmp_path: Path, env: dict[str, str], *extra: str):
    args = ["--config", str(_config(tmp_path)), "eval", "--judge", *[a for c in CASES for a in ("--case", c)], *extra]
    return runner.invoke(cli, args, env=env)


def _user_text(body: dict) -> str:
    return "\n".join(m["content"] if isinstance(m["content"], str) else "" for m in body["messages"])


def test_the_judge_grades_each_answer_beside_the_rule_scores(runner, tmp_path, fake_anthropic):
    api = fake_anthropic

    def grade(body: dict):
        prompt = _user_text(body)
        answer = prompt.split("<answer>", 1)[1]
        if "should be 20 ms" in answer and "latency from the branch" in prompt:  # grades what it was shown
            return text({"answers_question": True, "root_cause_right": True, "evidence_supports": True, "commands_fit": True,
                         "score": 5, "reason": "161 ms against a 20 ms baseline with the circuit at its usual load: the path."})
        return text({"answers_question": True, "root_cause_right": False, "evidence_supports": True, "commands_fit": True,
                     "score": 2, "reason": "leads with the missing QoS policy; the question was why it is slow"})

    api.script("eval-judge", dynamic(grade))
    result = _eval(runner, tmp_path, {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url}, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["engine"] == "offline"  # only the judge called Claude
    calls = api.requests_for("eval-judge")
    assert len(calls) == 2 and {role_of(b) for b in api.requests} == {"eval-judge"}
    assert all(b["model"] == "claude-sonnet-4-6" for b in calls)
    branch = next(b for b in calls if "latency from the branch" in _user_text(b))
    assert "161.2 ms, should be 20 ms (+706%)" in _user_text(branch)  # the whole answer, as the engineer reads it
    assert '"root_cause"' in _user_text(branch)  # and the case's expectations
    grades = report["grades"]
    assert grades["latency-branch-hq"]["score"] == 5 and grades["wan-slow"]["score"] == 2
    rules = {c["id"]: all(v is not False for v in c["scores"].values()) for c in report["cases"]}
    assert rules == {"latency-branch-hq": True, "wan-slow": True}
    assert report["judge"] == {"judged": 2, "not_judged": 0, "right": 0.5, "mean_score": 3.5, "agreement": 0.5,
                               "disagreements": ["wan-slow"]}

    table = _eval(runner, tmp_path, {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url})
    assert "judge: 5/5 right: 161 ms against a 20 ms baseline" in table.stdout
    assert "model as judge: 2 graded, 0 not graded" in table.stdout and "disagrees on wan-slow" in table.stdout


def test_a_judge_that_cannot_answer_leaves_the_rule_scores_whole(runner, tmp_path, fake_anthropic):
    api = fake_anthropic
    api.script("eval-judge", error(529))
    result = _eval(runner, tmp_path, {"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url}, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["judge"]["judged"] == 0 and report["judge"]["not_judged"] == 2 and report["judge"]["right"] is None
    assert all(g.startswith("not judged: eval-judge: Anthropic API answered 529") for g in report["grades"].values())
    assert report["halves"]["all"]["passed"] == 2  # the rules still scored every case


def test_without_a_key_the_judge_is_skipped_and_says_so(runner, tmp_path):
    result = _eval(runner, tmp_path, {})
    assert result.exit_code == 0, result.output
    assert "model as judge skipped: ANTHROPIC_API_KEY is not set" in result.stderr
    assert "model as judge:" not in result.stdout and "judge:" not in result.stdout
    assert "latency-branch-hq" in result.stdout  # the rule scores are there
