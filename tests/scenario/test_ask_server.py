"""The warm `noc ask` server (bot.cli.launch, bot.cli.askserver) through real `noc` processes: an
answer through it is the ordinary path's, with the client's exit status, environment and
signals; a server of other code, a dead one or the off switch each mean the ordinary path.

Every other test runs with the server off (tests/conftest.py); these turn it on with a private
cache directory (so a private server) and stop it at teardown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bot.cli import launch
from tests.harness.paths import ROOT
from tests.harness.waiting import wait_until

QUESTION = "why is the branch office slow?"
VOLATILE = {"request_id", "duration_s", "trace", "usage", "agents"}  # ids and timings differ per run


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"  # reaped by whoever adopted it, or about to be
    except FileNotFoundError:
        return True


@pytest.fixture
def warm(monkeypatch, tmp_path):
    """The server on, in a short private cache directory (a socket path has ~100 bytes at most);
    yields the environment `noc` runs with. Teardown stops every server it started."""
    cache = tempfile.mkdtemp(prefix="noc-as-")
    env = os.environ | {launch.SWITCH_ENV: "on", "NOC_CACHE_DIR": cache, launch.IDLE_ENV: "120", "PYTHONPATH": str(ROOT),
                        "TMPDIR": str(tmp_path)}
    env.pop("NOC_CONFIG", None)
    monkeypatch.setenv("NOC_CACHE_DIR", cache)  # launch.control in this process finds the same server
    pids: list[int] = []
    yield env, pids
    info = launch.control("stop")
    if info is not None:
        pids.append(int(info["pid"]))  # type: ignore[call-overload]
    for pid in pids:
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda pid=pid: _gone(pid), timeout=30, what=f"ask server {pid} to exit")
    shutil.rmtree(cache, ignore_errors=True)


def noc(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=env["TMPDIR"], capture_output=True, text=True,
                          timeout=180, **kwargs)


def status() -> dict | None:
    return launch.control("status")


def started(pids: list[int], served: int = 0) -> dict:
    """The server's status once it listens (started by an ask that found none)."""
    info = wait_until(status, timeout=120, what="the ask server to listen")
    pids.append(info["pid"])
    assert info["served"] == served
    return info


def stable(answer: str) -> dict:
    return {k: v for k, v in json.loads(answer).items() if k not in VOLATILE}


def test_an_answer_through_the_server_is_the_ordinary_one_and_so_is_its_status(warm):
    env, pids = warm
    ordinary = noc(env, "ask", QUESTION, "-s", "wan-congestion", "--json", "-q")  # finds no server, starts one
    assert ordinary.returncode == 0, ordinary.stderr
    server = started(pids)
    through = noc(env, "ask", QUESTION, "-s", "wan-congestion", "--json", "-q")
    assert through.returncode == 0, through.stderr
    assert status()["served"] == 1 and status()["pid"] == server["pid"]
    assert stable(through.stdout) == stable(ordinary.stdout) and stable(through.stdout)["status"] == "ok"
    assert not list(Path(env["TMPDIR"]).glob("noc-lab-*"))  # the child's lab went to the client's TMPDIR, and was removed

    failed = noc(env, "ask", "why is core-sw-09 dropping packets?", "--json", "-q")
    assert failed.returncode == 1 and json.loads(failed.stdout)["status"] == "failed"
    usage = noc(env, "ask", "   ")
    assert usage.returncode == 2 and "ask needs a question" in usage.stderr and "Traceback" not in usage.stderr
    readable = noc(env, "ask", QUESTION, "-s", "wan-congestion")  # the terminal rendering and its live progress on stderr
    assert readable.returncode == 0 and "Summary:" in readable.stdout and "routed to performance" in readable.stderr
    assert status()["served"] == 4


def test_the_clients_environment_is_the_childs(warm):
    env, pids = warm
    noc(env, "ask", QUESTION, "-q")
    started(pids)
    plain = json.loads(noc(env, "ask", QUESTION, "--json", "-q").stdout)
    moded = noc(env | {"NOC_ENGINE__DEFAULT_MODE": "sequential"}, "ask", QUESTION, "--json", "-q")  # a setting only this client has
    assert json.loads(moded.stdout)["plan"]["mode"] == "sequential" != plain["plan"]["mode"]
    bad = noc(env | {"NOC_ENGINE__DEFAULT_MODE": "sideways"}, "ask", QUESTION, "-q")
    assert bad.returncode == 2 and "NOC_ENGINE__DEFAULT_MODE" in bad.stderr
    assert status()["served"] == 3


def test_concurrent_asks_each_get_a_child_and_signals_reach_their_own(warm):
    """Two asks held on edge-rtr-01's 45 s session (device and step timeouts above it) are running
    while a third, which gives up on it after 4 s, answers beside them; then each held one gets
    its own signal. Nothing here depends on how fast the machine is: the held asks end only after
    the device's 45 s or a signal, and the test waits on the server's own count of running children."""
    env, pids = warm
    noc(env, "ask", QUESTION, "-q")
    started(pids)
    args = [sys.executable, "-m", "bot.cli", "ask", "is the internet edge ok?", "-s", "slow-device", "--json", "-q"]

    def ask(timeouts: dict[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(args, env=env | timeouts, cwd=env["TMPDIR"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    held = {"NOC_NETWORK__TIMEOUT_S": "600", "NOC_ENGINE__STEP_TIMEOUT_S": "600"}
    first, third = ask(held), ask(held)
    wait_until(lambda: status()["running"] == 2, timeout=60, what="two children running at once")
    second = ask({"NOC_NETWORK__TIMEOUT_S": "4"})  # edge-rtr-01 answers in 45 s: this ask waits out 4 s on it
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    assert any(e["device"] == "edge-rtr-01" and "(timeout)" in e["summary"]
               for a in json.loads(out)["agents"] for e in a["evidence"])
    assert first.poll() is None and third.poll() is None and status()["served"] == 3  # the first ask started the server
    first.send_signal(signal.SIGTERM)  # forwarded: the child ends as the ordinary process would, killed by it
    assert first.wait(timeout=60) == -signal.SIGTERM
    third.send_signal(signal.SIGINT)  # Ctrl-C: click's "Aborted!" and status 1, as without the server
    _, err = third.communicate(timeout=60)
    assert third.returncode == 1 and "Aborted!" in err and "Traceback" not in err


def test_a_server_of_other_code_exits_and_the_client_answers_the_ordinary_way(warm, tmp_path):
    env, pids = warm
    noc(env, "ask", QUESTION, "-q")
    old = started(pids)
    other = env | {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}  # another sys.path: another installation's fingerprint
    done = noc(other, "ask", QUESTION, "-s", "wan-congestion", "--json", "-q")
    assert done.returncode == 0 and stable(done.stdout)["status"] == "ok"
    wait_until(lambda: _gone(old["pid"]), timeout=60, what="the stale server to exit")
    new = wait_until(lambda: (s := status()) and s["pid"] != old["pid"] and s, timeout=120, what="a server of the new code")
    pids.append(new["pid"])
    assert noc(other, "ask", QUESTION, "-q").returncode == 0
    assert status()["served"] == 1  # the new server serves the new code's clients


def test_a_dead_server_means_the_ordinary_path_and_a_new_server(warm):
    env, pids = warm
    noc(env, "ask", QUESTION, "-q")
    old = started(pids)
    os.kill(old["pid"], signal.SIGKILL)  # its socket file stays behind
    wait_until(lambda: _gone(old["pid"]), timeout=30, what="the killed server to go")
    done = noc(env, "ask", QUESTION, "-s", "wan-congestion", "--json", "-q")
    assert done.returncode == 0 and stable(done.stdout)["status"] == "ok" and "Traceback" not in done.stderr
    new = wait_until(lambda: (s := status()) and s["pid"] != old["pid"] and s, timeout=120, what="a new server")
    pids.append(new["pid"])


def test_the_off_switch_and_the_operators_commands(warm):
    env, pids = warm
    off = env | {launch.SWITCH_ENV: "off"}
    assert noc(off, "ask", QUESTION, "-q").returncode == 0
    assert status() is None and noc(off, "ask-server", "status").returncode == 3  # off: no server was started
    noc(env, "ask", QUESTION, "-q")
    started(pids)
    assert noc(off, "ask", QUESTION, "-q").returncode == 0
    assert status()["served"] == 0  # off: the running server is not used either
    shown = noc(env, "ask-server", "status")
    assert shown.returncode == 0 and f"pid: {pids[-1]}" in shown.stdout
    assert "stopping" in noc(env, "ask-server", "stop").stdout
    wait_until(lambda: _gone(pids[-1]), timeout=60, what="the stopped server to exit")
    assert noc(env, "ask-server", "status").returncode == 3


def test_an_idle_server_exits_by_itself(warm):
    env, pids = warm
    noc(env | {launch.IDLE_ENV: "3"}, "ask", QUESTION, "-q")  # the server it starts idles out after 3 s
    server = started(pids)
    assert server["idle_timeout_s"] == 3.0
    wait_until(lambda: _gone(server["pid"]), timeout=60, what="the idle server to exit")
    assert status() is None
