"""The `noc` entry (bot.cli.launch) decides before importing click or the project: only `noc ask`
may go to the warm ask server, and deciding costs standard-library imports only. One subprocess,
a fresh interpreter, so what other tests imported does not count."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.cli.launch import command_of, enabled, server_environment
from tests.harness.paths import ROOT


def test_only_ask_is_found_past_the_groups_options():
    assert command_of(["ask", "why?"]) == "ask"
    assert command_of(["--config", "ask", "route", "x"]) == "route"  # a config file named ask
    assert command_of(["--config=noc.yml", "--log-format", "json", "ask", "-q", "x"]) == "ask"
    assert command_of(["--version"]) is None and command_of([]) is None
    assert command_of(["--", "ask"]) is None
    assert command_of(["run"]) == "run"


def test_the_off_switch():
    assert enabled({}) and enabled({"NOC_ASK_SERVER": "on"})
    assert not any(enabled({"NOC_ASK_SERVER": v}) for v in ("off", "0", "false", "No", " OFF "))


def test_the_server_keeps_no_secret_or_setting_of_the_client_that_started_it():
    env = server_environment({"ANTHROPIC_API_KEY": "sk-ant-x", "NOC_STORE__URL": "postgresql://u:p@h/db", "SLACK_BOT_TOKEN": "xoxb-1",
                              "PATH": "/bin", "LANG": "C.UTF-8", "ANTHROPIC_LOG": "debug", "PYTHONPATH": "rel", "NOC_CACHE_DIR": "c"})
    assert env == {"PATH": "/bin", "LANG": "C.UTF-8", "ANTHROPIC_LOG": "debug", "PYTHONPATH": os.path.abspath("rel"),
                   "NOC_CACHE_DIR": os.path.abspath("c")}


def test_deciding_imports_nothing_of_the_project_or_click():
    probe = "import sys; import bot.cli.launch; print(__import__('json').dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    ours = [m for m in loaded if m.split(".")[0] in ("agents", "bot", "handlers")]
    assert ours == ["bot", "bot.cli", "bot.cli.launch"]
    assert not [m for m in loaded if m.split(".")[0] in ("click", "pydantic", "yaml", "napalm", "anthropic")]


def test_the_server_lives_in_the_cache_directory_the_project_uses(monkeypatch, tmp_path):
    """launch.cache_dir repeats agents.router.cache.cache_dir (deciding imports nothing of the
    project); they must name the same directory for every way it is configured."""
    from agents.router.cache import cache_dir as project_cache_dir
    from bot.cli.launch import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for cache, xdg in ((None, None), (None, str(tmp_path / "xdg")), (str(tmp_path / "noc"), str(tmp_path / "xdg"))):
        for name, value in (("NOC_CACHE_DIR", cache), ("XDG_CACHE_HOME", xdg)):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        assert cache_dir() == project_cache_dir()
