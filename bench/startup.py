"""Start-up on a fresh install (issue 26): how long `noc run` takes to be ready, and `noc ask` to answer.

"Fresh" means what a new container or pod has: an empty cache directory ($NOC_CACHE_DIR) and an
empty SQLite store, so nothing built by an earlier run helps. For each of N runs it starts
`noc run` in Socket Mode against the loopback Slack (tests/fakes, started here in a thread), polls
`/readyz` every 20 ms and prints the seconds from the process start to the first 200 (store
migrated, router loaded, websocket up) and to the first answer of `/healthz`, and the CPU
seconds the process had used when it was ready (Linux: /proc; a figure a busy machine moves less
than wall time); then it times `noc ask` on a question that routes to two specialists, start to
exit. Medians, min and max.

Run: python bench/startup.py [--runs 5]
Targets (issue 26): `noc run` ready in under 5 s, the first `noc ask` answered in under 3 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlack  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def fresh_env(work: Path, fake: FakeSlack) -> dict[str, str]:
    config = work / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{work / 'noc.db'}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "NOC_"))}
    env.update({"NOC_CONFIG": str(config), "NOC_CACHE_DIR": str(work / "cache"), "SLACK_BOT_TOKEN": "xoxb-bench-token",
                "SLACK_APP_TOKEN": "xapp-1-A0NOC-bench-token", "SLACK_API_URL": fake.api_url, "NO_PROXY": "*",
                "PYTHONPATH": str(ROOT),
                "NOC_ASK_SERVER": "off"})  # a fresh process's start-up is measured here, not the warm ask server (bot.cli.launch)
    return env


def time_run(fake: FakeSlack) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env, port = fresh_env(Path(tmp), fake), free_port()
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        live = ready = cpu = None
        try:
            while ready is None and time.monotonic() - t0 < 120:
                if proc.poll() is not None:
                    raise SystemExit(f"noc run exited: {proc.stderr.read() if proc.stderr else ''}")
                if live is None and status(f"http://127.0.0.1:{port}/healthz") == 200:
                    live = time.monotonic() - t0
                if live is not None and status(f"http://127.0.0.1:{port}/readyz") == 200:
                    ready = time.monotonic() - t0
                    cpu = cpu_seconds(proc.pid)
                time.sleep(0.02)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        if ready is None or live is None or cpu is None:
            raise SystemExit("noc run was not ready within 120 s")
        return live, ready, cpu


def time_ask(fake: FakeSlack) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = fresh_env(Path(tmp), fake)
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-m", "bot.cli", "ask", "why is the branch office slow?"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    fake = FakeSlack().start()
    try:
        runs = [time_run(fake) for _ in range(args.runs)]
        asks = [time_ask(fake) for _ in range(args.runs)]
    finally:
        fake.stop()
    for name, values in (("noc run: /healthz answers", [r[0] for r in runs]), ("noc run: /readyz 200", [r[1] for r in runs]),
                         ("noc run: CPU s when ready", [r[2] for r in runs]),
                         ("noc ask: answered (exit)", asks)):
        print(f"{name:28s} median {statistics.median(values):5.2f} s   min {min(values):5.2f}   max {max(values):5.2f}   (n={len(values)})")


if __name__ == "__main__":
    main()
