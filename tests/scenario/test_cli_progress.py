"""Progress of every-device work on a terminal (issue 26/27): `noc audit --all` and `noc health`
show devices done, the total and the time elapsed on stderr when stderr is a terminal (a real
pseudo-terminal around the real CLI), and nothing extra when it is not: piped output unchanged."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

from bot.cli.progress import DeviceProgress


def run(argv: list[str], *, tty: bool) -> tuple[int, str, str]:
    """`noc ARGV` in a subprocess, stderr on a pseudo-terminal (tty) or a pipe; (code, stdout, stderr)."""
    env = {**os.environ, "NOC_LOG_LEVEL": "ERROR", "COLUMNS": "120"}
    cmd = [sys.executable, "-m", "bot.cli", *argv]
    if not tty:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, done.stdout, done.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last writer exited
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    stdout = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=300)
    return code, stdout, b"".join(chunks).decode()


def test_audit_all_shows_progress_on_a_terminal_and_nothing_extra_in_a_pipe():
    argv = ["audit", "--all", "-s", "insecure-mgmt", "--json"]
    code, out, err = run(argv, tty=True)
    lines = err.replace("\r\n", "\n").split("\r")
    final = re.search(r"auditing (\d+)/(\d+) devices, (\d+\.\d)s", lines[-1] if lines else "")
    assert final and final.group(1) == final.group(2) == str(len(json.loads(out)["devices"])), err
    piped_code, piped_out, piped_err = run(argv, tty=False)
    assert piped_code == code and piped_out == out  # the answer itself is unchanged
    assert "auditing" not in piped_err and "devices," not in piped_err


def test_health_shows_both_phases_on_a_terminal_and_nothing_extra_in_a_pipe(tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\n")
    argv = ["--config", str(config), "health", "-s", "bgp-peer-down", "--json"]
    code, out, err = run(argv, tty=True)
    total = json.loads(out)["network"]["checked"]
    for phase in ("reading", "analysing"):
        assert re.search(rf"{phase} {total}/{total} devices, \d+\.\ds", err), err
    piped_code, piped_out, piped_err = run(argv, tty=False)
    assert piped_code == code and json.loads(piped_out)["network"]["checked"] == total
    assert "reading" not in piped_err and "analysing" not in piped_err and "devices," not in piped_err


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class FakeTerminal:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


def test_the_line_is_redrawn_at_most_ten_times_a_second_and_ends_each_phase():
    clock, term = Clock(), FakeTerminal()
    progress = DeviceProgress(term, clock=clock)
    for done in range(1, 5001):
        clock.t = done * 0.001  # 5 s for 5,000 devices
        progress("reading", done, 5000)
    progress("analysing", 1, 2)
    clock.t = 7.25
    progress("analysing", 2, 2)
    draws = term.text.count("\r")
    assert 45 <= draws <= 55, draws  # 50 redraws for 5 s, not 5,000
    assert "reading 5000/5000 devices, 5.0s\n" in term.text
    assert term.text.endswith("\ranalysing 2/2 devices, 7.2s\n") or term.text.endswith("\ranalysing 2/2 devices, 7.3s\n")
