"""Lint and layering, checked on every test run so README's test command (and CI) fails on a
violation rather than leaving it to whoever reads the code next.

* import-linter: handlers -> bot -> agents, the engine imports no Slack library, and no import
  cycles between packages inside agents (contracts in pyproject.toml).
* ruff: pyflakes, pycodestyle, isort and bugbear over the code and the tests.
* mypy is not a test: strict on agents/, bot/ and handlers/, it runs as its own step of `.ci/run`
  (`python -m mypy`; the files are listed in pyproject.toml), which takes a minute on its own.
* size: no module under agents/, bot/ or handlers/ over 400 lines, so each stays readable as one
  piece and a module that grows past it is split by purpose (issue 13).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.harness.paths import ROOT

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept() -> None:
    proc = run(str(BIN / "lint-imports"), "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_finds_nothing() -> None:
    proc = run(sys.executable, "-m", "ruff", "check", "--no-cache", "agents", "bot", "handlers", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr


MAX_MODULE_LINES = 400


def test_no_module_over_400_lines() -> None:
    modules = sorted(path for package in ("agents", "bot", "handlers") for path in (ROOT / package).rglob("*.py"))
    assert len(modules) > 50, "the packages were not found"
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines()) for path in modules}
    too_long = {name: lines for name, lines in sizes.items() if lines > MAX_MODULE_LINES}
    assert not too_long, f"split these by purpose (at most {MAX_MODULE_LINES} lines each): {too_long}"
