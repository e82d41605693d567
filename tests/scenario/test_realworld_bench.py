"""bench/realworld.py runs every tool over the whole corpus: no exception, no leaked secret."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness.paths import ROOT

pytestmark = pytest.mark.slow  # a bench script end to end (bench/ holds the timings): CI runs it with -m slow


def test_bench_over_the_corpus_has_no_exception_and_no_leak() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "realworld.py")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "exceptions: 0" in lines
    assert any(line.startswith("leaked secret values: 0 (of ") for line in lines)
    # 101 before issue 24 added NX-OS, IOS-XR and Junos data; 119 with the two NAPALM ping results of issue 25
    assert any(line.startswith("devices: 119 ") for line in lines)
    # the per-platform table (issue 24): every platform present, none with an exception or a leak
    start = lines.index("per platform:")
    rows = {line.split()[0]: [int(x) for x in line.split()[1:]] for line in lines[start + 2:start + 7]}
    assert set(rows) == {"ios", "eos", "nxos", "iosxr", "junos"}
    for platform, (devices, calls, exceptions, _unparsed, _findings, _secrets, leaked) in rows.items():
        assert devices > 0 and calls >= 10 * devices and exceptions == 0 and leaked == 0, platform
