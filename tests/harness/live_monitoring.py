"""Real Prometheus and Alertmanager processes for the scenario tests (issue 28).

Both come from Debian's packages (`prometheus`, `prometheus-alertmanager`; .ci/run installs them).
Each runs on free loopback ports with its data in the test's directory, with short intervals so
a test observes scrapes, rule evaluations, grouping, repeats and resolves in seconds. Readiness
and every later condition are polled, never slept on.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness.paths import ROOT

RULES = ROOT / "deploy" / "prometheus" / "noc-alerts.yml"
PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
needs_monitoring = pytest.mark.skipif(
    PROMETHEUS is None or ALERTMANAGER is None,
    reason="needs Prometheus and Alertmanager (Debian packages prometheus, prometheus-alertmanager; .ci/run installs them)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, timeout: float = 5) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def send_json(url: str, body: Any, method: str = "POST", timeout: float = 5) -> Any:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def wait_until(what: str, check: Callable[[], Any], timeout: float, procs: tuple[subprocess.Popen, ...] = ()) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` (and a process that died)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"{proc.args[0]} exited while waiting for {what}")
        try:
            found = check()
            if found:
                return found
        except (OSError, ValueError, KeyError) as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what} (last error: {last})")


class Service:
    def __init__(self, args: list[str], url: str, log: Path) -> None:
        self.url = url
        self._log = log.open("w")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(f"{Path(args[0]).name} ready", lambda: _ready(url), timeout=60, procs=(self.proc,))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def _ready(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as resp:
        return resp.status == 200


def quick_rules(tmp_path: Path) -> Path:
    """The shipped rules with every `for:` set to 0s, so a test need not wait minutes; the
    expressions, labels and annotations are the shipped ones (promtool tests the `for:`s)."""
    rules = yaml.safe_load(RULES.read_text())
    for group in rules["groups"]:
        for rule in group["rules"]:
            rule["for"] = "0s"
    out = tmp_path / "rules.yml"
    out.write_text(yaml.safe_dump(rules))
    return out


def start_alertmanager(tmp_path: Path, webhook: str, token: str) -> Service:
    port = free_port()
    config = {
        "route": {"receiver": "noc", "group_by": ["alertname", "instance"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "4s"},
        "receivers": [{"name": "noc", "webhook_configs": [{"url": webhook, "send_resolved": True,
                                                           "http_config": {"authorization": {"type": "Bearer", "credentials": token}}}]}],
    }
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    (tmp_path / "am-data").mkdir()
    return Service([str(ALERTMANAGER), f"--config.file={path}", f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                   f"http://127.0.0.1:{port}", tmp_path / "alertmanager.log")


def start_prometheus(tmp_path: Path, target: str, alertmanager: str, rules: Path) -> Service:
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager.removeprefix("http://")]}]}]},
        "scrape_configs": [{"job_name": "noc-chatops", "static_configs": [{"targets": [target]}]}],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return Service([str(PROMETHEUS), f"--config.file={path}", f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                    f"--web.listen-address=127.0.0.1:{port}", "--rules.alert.resend-delay=1s"],
                   f"http://127.0.0.1:{port}", tmp_path / "prometheus.log")


def query(prometheus: str, expr: str) -> dict[str, Any]:
    return get_json(f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))  # type: ignore[no-any-return]
