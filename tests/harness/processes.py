"""`noc run` as a real process against the loopback Slack fake: free ports, start, readiness
(/healthz), a clean stop, and what an answer in a thread looks like."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request

from tests.fakes.slack_api import BOT_ID
from tests.harness.slack_bot import SECRET
from tests.harness.waiting import wait_until

__all__ = ["SECRET", "Stderr", "answered", "answers", "free_port", "launch", "stop", "wait_healthz"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthz(port: int, proc: subprocess.Popen, timeout: float = 60) -> dict:
    """The /healthz document of `noc run` on `port`, once it answers (fails at once if it exited)."""

    def health() -> dict | None:
        if proc.poll() is not None:
            raise AssertionError(f"noc run exited early: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                return json.loads(resp.read())
        except OSError:
            return None

    return wait_until(health, timeout=timeout, what="noc run to answer /healthz")


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise


def answered(fake, ts: str) -> bool:
    return any(any(b.get("type") == "actions" for b in (m.get("blocks") or [])) for m in fake.thread("C0NOC", ts))


def launch(fake, tmp_path, name: str, port: int, store_url: str) -> subprocess.Popen:
    """A replica: `noc run` in HTTP mode on `store_url`, its journal shared with its siblings."""
    config = tmp_path / f"{name}.yml"
    config.write_text(f"store:\n  url: {store_url}\n  journal_dir: {tmp_path / 'journal'}\nnetwork:\n  scenario: wan-congestion\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake.api_url, "NOC_CONFIG": str(config),
                "SLACK_SIGNING_SECRET": SECRET, "NO_PROXY": "*"})
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def answers(fake, ts: str) -> list[dict]:
    return [m for m in fake.thread("C0NOC", ts)
            if m.get("bot_id") == BOT_ID and any(b.get("type") == "actions" for b in (m.get("blocks") or []))]


class Stderr:
    """A process's stderr read line by line in a thread: a test waits for a line the process logs
    (an observable end state, where it would otherwise sleep and hope), and the pipe never fills."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self._reader.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        return wait_until(lambda: next((line for line in self.lines if text in line), None), timeout, what=f"{text!r} on stderr")

    def __str__(self) -> str:
        return "".join(self.lines)
