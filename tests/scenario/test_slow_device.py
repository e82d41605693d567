"""The lab's slow-device fault: device timeouts become tool errors inside the step that read the
device (never step timeouts, so never retried on another instance), and a device that timed out
is not waited for again by the request's later steps."""

from __future__ import annotations

import json

from agents.network.budget import device_timeout, step_deadline
from bot.cli.main import cli


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


def test_a_device_read_ends_inside_its_step_so_the_step_answers_and_is_not_retried(runner, tmp_path):
    """A step timeout (0.3 s) shorter than the device timeout (30 s): the read of the slow device is
    cut to the step's budget, so the step answers naming the device instead of timing out, and no
    other instance is tried (it would wait for the same device). Agent timeouts that are not the
    device's (a slow model) are still retried on other instances: tests/unit/test_resilience_claude.py."""
    config = write(tmp_path, "engine:\n  step_timeout_s: 0.3\nresilience:\n  retry: {backoff_initial_s: 0.01, backoff_max_s: 0.02, jitter_s: 0}\n")
    result = runner.invoke(cli, ["--config", config, "ask", "is the internet edge ok?", "-s", "slow-device", "--json", "-q"])
    answer = json.loads(result.stdout)
    diag = next(a for a in answer["agents"] if a["agent"] == "diagnosis")
    assert diag["status"] in {"success", "partial"} and diag["error"] is None
    assert answer["failed_agents"] == []
    slow_reads = [e for e in diag["evidence"] if e["device"] == "edge-rtr-01"]
    assert slow_reads and all(not e["ok"] and "(timeout)" in e["summary"] for e in slow_reads)
    assert "edge-rtr-01" in answer["summary"] and "did not answer" in answer["summary"]
    assert "timed out after" not in json.dumps(answer)  # no step timed out, so none was retried


def test_a_device_that_timed_out_is_not_waited_for_again_by_later_steps(runner, tmp_path):
    """Sequential steps that all need the slow device: the first waits out the device timeout, the
    later ones are told at once that it did not answer (one timeout per request, not one per step)."""
    config = write(tmp_path, "network:\n  timeout_s: 0.3\n")
    question = "edge-rtr-01 is slow: check its bandwidth, audit its security and review its config"
    result = runner.invoke(cli, ["--config", config, "ask", question, "-s", "slow-device", "--mode", "sequential", "--json", "-q"])
    answer = json.loads(result.stdout)
    steps = [a for a in answer["agents"] if any(e["device"] == "edge-rtr-01" for e in a["evidence"])]
    assert len(steps) >= 2, [a["agent"] for a in answer["agents"]]
    first, *later = steps
    assert all("did not answer within 0.3s" in e["summary"] for e in first["evidence"] if e["device"] == "edge-rtr-01")
    later_reads = [e for a in later for e in a["evidence"] if e["device"] == "edge-rtr-01"]
    assert later_reads and all("not asked again" in e["summary"] for e in later_reads)
    assert answer["status"] == "partial"
    assert any(f["device"] == "edge-rtr-01" and "did not answer" in f["text"] for f in answer["findings"])


async def test_a_specialist_asked_by_another_reads_devices_within_the_askers_step():
    """The asked specialist's step runs inside the asker's: its device reads end before the asker's
    step does, whatever its own step timeout, so the asker is never timed out by them."""
    assert device_timeout(30.0) == 30.0  # outside a step: the configured timeout
    with step_deadline(1.0):
        with step_deadline(30.0):
            assert device_timeout(30.0) <= 0.8
        with step_deadline(0.5):
            assert device_timeout(30.0) <= 0.4
