"""The lab's slow-device fault: device timeouts become tool errors; agent timeouts are retried
on other instances and then reported, never waited on past the deadline."""

from __future__ import annotations

import json

from bot.cli import cli


def write(tmp_path, text: str):
    path = tmp_path / "noc.yml"
    path.write_text(text)
    return str(path)


def test_device_timeout_is_reported_and_the_rest_answers(runner, tmp_path):
    config = write(tmp_path, "network:\n  timeout_s: 0.3\n")
    result = runner.invoke(cli, ["--config", config, "ask", "is the internet edge ok?", "-s", "slow-device", "--json", "-q"])
    answer = json.loads(result.stdout)
    assert answer["status"] in {"ok", "partial"}
    text = answer["summary"] + json.dumps(answer["findings"])
    assert "edge-rtr-01 is unreachable" in text or "did not answer within 0.3s" in text


def test_agent_timeout_retries_on_other_instances_then_names_the_failure(runner, tmp_path):
    config = write(tmp_path, "engine:\n  step_timeout_s: 0.3\nresilience:\n  retry: {backoff_initial_s: 0.01, backoff_max_s: 0.02, jitter_s: 0}\n")
    result = runner.invoke(cli, ["--config", config, "ask", "is the internet edge ok?", "-s", "slow-device", "--json", "-q"])
    answer = json.loads(result.stdout)
    diag = next(a for a in answer["agents"] if a["agent"] == "diagnosis")
    assert diag["status"] == "failure"
    assert all(f"diagnosis-{i} timed out after 0.3s" in diag["error"] for i in (1, 2, 3))
    assert "diagnosis" in answer["failed_agents"]
    assert answer["duration_s"] < 10
