"""The `noc` process ends right after printing (bot.cli.main._exit_now skips the interpreter's
finalisation) without losing what finalisation did for us: the exit status, the printed answer,
the atexit handlers (the lab's temporary directory removed) and a clean end when stdout closes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.harness.paths import ROOT


def _noc(args: list[str], tmp_path: Path, **kwargs) -> subprocess.CompletedProcess:
    env = os.environ | {"TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("NOC_LAB_DIR", None)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=tmp_path, timeout=180, **kwargs)


def test_ask_prints_its_answer_exits_zero_and_removes_the_lab_dir(tmp_path):
    done = _noc(["ask", "why is the branch office slow?", "-s", "wan-congestion", "--json", "-q"], tmp_path,
                capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] in {"ok", "partial", "degraded"}
    assert not list(tmp_path.glob("noc-lab-*"))  # the atexit handler ran before the process ended


def test_usage_errors_keep_their_status(tmp_path):
    done = _noc(["ask", "   "], tmp_path, capture_output=True, text=True)
    assert done.returncode == 2 and "ask needs a question" in done.stderr
    done = _noc(["--no-such-option"], tmp_path, capture_output=True, text=True)
    assert done.returncode == 2 and "No such option" in done.stderr


def test_a_reader_that_goes_away_ends_the_process_without_a_traceback(tmp_path):
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "ask", "why is the branch office slow?", "-q"],
                               env=os.environ | {"TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)}, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # as `noc ask ... | head -0`
    _, err = process.communicate(timeout=180)
    assert "Traceback" not in err.decode()
    assert process.returncode == 1  # as before the fast exit: the answer could not be delivered
