"""bench/realworld.py runs every tool over the whole corpus: no exception, no leaked secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_over_the_corpus_has_no_exception_and_no_leak() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "realworld.py")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "exceptions: 0" in lines
    assert any(line.startswith("leaked secret values: 0 (of ") for line in lines)
    assert any(line.startswith("devices: 107 ") for line in lines)  # 101 before issue 24 added whole NX-OS, IOS-XR and Junos configurations
