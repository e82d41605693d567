"""bench/orchestration.py (issue 14) runs end to end against the loopback Anthropic server and prints
every section: modes per plan with their bound, the speedups, answers/s and the provider-faults run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.paths import ROOT

pytestmark = pytest.mark.slow  # a bench script end to end (bench/ holds the timings): CI runs it with -m slow


def test_orchestration_bench_prints_every_section() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "orchestration.py"), "--latency", "0", "--repeat", "1", "--deadline", "2"],
                          capture_output=True, text=True, cwd=ROOT, check=False, timeout=170)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    plans = ("2 independent", "3 independent", "4 independent", "5: 4 + documentation", "hybrid plan (Claude)", "4 needed, router unsure")
    lines = out.splitlines()
    for plan in plans:
        for mode in ("sequential", "parallel", "hybrid"):
            assert any(line.startswith(plan) and f" {mode} " in line for line in lines), (plan, mode)
        assert any(line.startswith(plan) and "sequential/parallel" in line for line in lines), plan
    assert "answers/s" in out and "peak LLM calls in flight at the server" in out
    assert "answers 20/20" in out and "seconds from receipt" in out


def test_orchestration_bench_runs_under_the_token_latency_model() -> None:
    """--latency-model tokens (time scaled to 0: no waiting) on the unsure four-specialist plan: the
    candidates start while Claude routes, so no role call is before the steps (depth 6 of 19: the
    longest step's five calls, then synthesis)."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "orchestration.py"), "--latency-model", "tokens", "--time-scale", "0",
                           "--repeat", "1", "--only-plans", "--plan", "4 needed, router unsure"],
                          capture_output=True, text=True, cwd=ROOT, check=False, timeout=170)
    assert done.returncode == 0, done.stderr
    assert "latency proportional to tokens" in done.stdout
    rows = {line.split()[4]: line.split()[6:8] for line in done.stdout.splitlines()
            if line.startswith("4 needed, router unsure  ") and "/" not in line}
    assert rows == {"sequential": ["19", "19"], "parallel": ["19", "6"], "hybrid": ["19", "6"]}
    assert "answers/s" not in done.stdout  # --only-plans


def test_ask_claude_process_bench_runs_noc_ask_in_both_modes() -> None:
    """bench/ask_claude_process.py (issue 27) drives `noc ask` processes against the loopback
    Anthropic server (no waiting at latency 0) and prints both modes, the overhead and the x-factors."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "ask_claude_process.py"), "--latency", "0", "--repeat", "1"],
                          capture_output=True, text=True, cwd=ROOT, check=False, timeout=170)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("sequential ") for line in lines) and any(line.startswith("parallel ") for line in lines)
    assert "sequential/parallel: first model call to the printed answer" in done.stdout and "whole process" in done.stdout
