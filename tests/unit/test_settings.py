"""The config file: defaults, and one clear message (exit 2, no traceback) for each kind of mistake."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli.main import cli
from bot.config.settings import ConfigError, load_settings
from tests.harness.paths import ROOT


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "noc.yml"
    p.write_text(text)
    return p


def test_defaults_use_the_lab():
    s = load_settings(None)
    assert s.network.inventory is None
    assert s.network.scenario == "healthy"
    assert s.network.timeout_s == 30


def test_example_file_is_valid_and_equals_defaults():
    example = ROOT / "noc.example.yml"
    assert load_settings(example).model_dump() == load_settings(None).model_dump()


def test_empty_file_gives_defaults(tmp_path):
    assert load_settings(write(tmp_path, "")).network.scenario == "healthy"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("network:\n  scenario: a: b\n", "line 2, column 14: not valid YAML: mapping values are not allowed here"),
        ("network:\n  timeout: 5\n", "network.timeout: unknown key (allowed here: cache_ttl_s, credentials"),
        ("netwrk: {}\n", "netwrk: unknown key (allowed here: access, alertmanager, alerts, audit, changes, engine, inventory, jira, llm, "
                          "mcp, mcp_servers, network, pagerduty, report, resilience, server, servicenow, slack, store, thresholds)"),
        ("network:\n  timeout_s: soon\n", "network.timeout_s: Input should be a valid number"),
        ("network:\n  timeout_s: -1\n", "network.timeout_s: Input should be greater than 0 (got -1)"),
        ("network:\n  credentials:\n    password: hunter2\n", "network.credentials.password: unknown key"),
        ("network:\n  scenario: meltdown\n", "network.scenario: unknown scenario 'meltdown' (known: healthy"),
        ("- just\n- a list\n", "top level must be a mapping"),
        ("network:\n  inventory: no/such/dir\n", "network.inventory:"),
    ],
)
def test_bad_file_names_the_field_and_problem(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text))
    assert expected in str(err.value)
    assert str(tmp_path / "noc.yml") in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.yml")


def test_cli_bad_config_exits_2_with_one_message(runner, tmp_path):
    path = write(tmp_path, "network:\n  timeout_s: -1\n")
    result = runner.invoke(cli, ["--config", str(path), "audit", "--all"])
    assert result.exit_code == 2
    assert "configuration error" in result.output
    assert "network.timeout_s" in result.output
    assert "Traceback" not in result.output


def test_noc_config_env_is_read(runner, tmp_path, monkeypatch):
    path = write(tmp_path, "network:\n  scenario: nope\n")
    monkeypatch.setenv("NOC_CONFIG", str(path))
    result = runner.invoke(cli, ["audit", "--all"])
    assert result.exit_code == 2
    assert "network.scenario" in result.output


def test_relative_inventory_is_relative_to_the_file(tmp_path):
    (tmp_path / "inv").mkdir()
    s = load_settings(write(tmp_path, "network:\n  inventory: inv\n"))
    assert s.network.inventory == tmp_path / "inv"


def test_console_script_broken_yaml_no_traceback(tmp_path):
    path = write(tmp_path, "network: {scenario: [\n")
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(path), "lab", "scenarios"],
        capture_output=True, text=True, timeout=60,
    )
    # `lab scenarios` needs no config, so it must still work; audits must fail cleanly
    assert proc.returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(path), "audit", "--all"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert "not valid YAML" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(("text", "expected"), [
    ("changes:\n  require_record: servicenow\n", "changes.require_record: servicenow needs servicenow.url and servicenow.user"),
    ("changes:\n  silence: required\n", "changes.silence: required needs alertmanager.url"),
    ("alertmanager:\n  silence_matchers: {device: serial}\n", "unknown inventory field(s) ['serial']"),
    ("pagerduty:\n  severities: [P7]\n", "pagerduty.severities"),
])
def test_integration_settings_that_cannot_work_are_refused(tmp_path, text, expected):
    path = tmp_path / "noc.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert expected in str(err.value)
