"""bench/generalist.py (issue 18) runs end to end against the loopback Anthropic server and prints
the comparison of specialists, complexity tiers and one generalist agent, with the root cause."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.paths import ROOT

pytestmark = pytest.mark.slow  # a bench script end to end (bench/ holds the timings): CI runs it with -m slow


def test_generalist_bench_prints_its_comparison() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "generalist.py"), "--latency", "0"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for engine in ("offline", "specialists", "specialists (tiers)", "generalist (deep)"):
        assert f"total {engine}" in out
    assert "generalist (deep) / specialists: wall time" in out and "2.5x the time, 2.6x the cost" in out
    rows = [line for line in out.splitlines() if line.startswith("bgp-peer-down")]
    assert len(rows) == 4 and all(line.endswith("found") for line in rows)
    # issue 27: the orchestration bench's four-investigator questions, totals split by how many domains a question spans
    assert "single-domain (6 questions):" in out and "multi-domain (3 questions):" in out and "all (9 questions):" in out
    unsure = [line for line in out.splitlines() if line.startswith("multi: 4 needed, router unsure")]
    assert len(unsure) == 4 and all(line.endswith("found") for line in unsure)
    assert "generalist / specialists (tiers): wall time" in out


def test_generalist_bench_runs_under_the_token_latency_model() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "generalist.py"), "--latency-model", "tokens", "--time-scale", "0",
                           "--ttft", "fast=0.4,balanced=0.7,deep=1.2"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("latency proportional to tokens (fast: 0.4s") and "generalist (deep) / specialists: wall time" in done.stdout
