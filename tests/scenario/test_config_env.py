"""Configuration from the environment (issue 26): NOC_<SECTION>__<KEY> variables over the YAML
file, secrets as files (*_FILE), and errors that name the variable and never show a secret.

Through the CLI as an operator uses it: click's runner for the commands, and `noc run` as a real
process for start-up (the store URL and the Slack credentials only in files, as Kubernetes
mounts them).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli.main import cli
from bot.config.settings import ConfigError, load_settings
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.processes import SECRET, free_port, stop, wait_healthz

PASSWORD = "Sup3r-S3cret-pw"


def secret_file(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content + "\n")  # as `kubectl create secret` and Docker write them: a trailing newline
    return path


def test_variables_override_the_file_and_nest_like_pydantic_settings(tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text("store:\n  url: sqlite:///from-file.db\n  lease_s: 30\nslack:\n  post_attempts: 2\n")
    env = {"NOC_STORE__URL": "postgresql://noc:pw@db.example.net/noc", "NOC_SLACK__POST_ATTEMPTS": "4",
           "NOC_ACCESS__OPERATOR__USERS": '["U01OPS", "U02OPS"]', "NOC_LLM__PROVIDER": "offline",
           "NOC_LOG_LEVEL": "warning", "NOC_TEST_POSTGRES_URL": "not a setting"}
    s = load_settings(config, environ=env)
    assert s.store.url == "postgresql://noc:pw@db.example.net/noc"
    assert s.store.lease_s == 30  # what the variables do not set still comes from the file
    assert s.slack.post_attempts == 4
    assert s.access.operator.users == ["U01OPS", "U02OPS"]
    assert s.llm.provider == "offline"


def test_a_whole_section_as_json_and_no_file_at_all():
    s = load_settings(None, environ={"NOC_STORE": '{"url": "sqlite:///x.db", "retention_days": 7}'})
    assert (s.store.url, s.store.retention_days) == ("sqlite:///x.db", 7)


def test_secret_file_gives_the_setting_stripped(tmp_path):
    path = secret_file(tmp_path, "store-url", f"postgresql://noc:{PASSWORD}@db/noc")
    s = load_settings(None, environ={"NOC_STORE__URL_FILE": str(path)})
    assert s.store.url == f"postgresql://noc:{PASSWORD}@db/noc"


def test_a_setting_whose_name_ends_in_file_stays_a_path(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules: []\n")
    s = load_settings(None, environ={"NOC_AUDIT__RULES_FILE": str(rules)})
    assert s.audit.rules_file == rules


@pytest.mark.parametrize(("env", "expected"), [
    ({"NOC_STORE__URL": f"mysql://noc:{PASSWORD}@db/noc"}, "NOC_STORE__URL (store.url): String should match pattern"),
    ({"NOC_STORE__URL": f"postgresql://noc:{PASSWORD}@db:notaport/noc"}, "NOC_STORE__URL (store.url): Value error, not a database URL"),
    ({"NOC_SLACK__POST_ATTEMPTS": "many"}, "NOC_SLACK__POST_ATTEMPTS (slack.post_attempts): Input should be a valid integer"),
    ({"NOC_STORE__URLL": "sqlite:///x.db"}, "NOC_STORE__URLL (store.urll): unknown key (allowed here: dead_after_beats, heartbeat_s, journal_dir, lease_s, pool_size, retention_days, url, write_patience_s)"),
    ({"NOC_ACCESS__OPERATOR__USERS": "[U01"}, "NOC_ACCESS__OPERATOR__USERS: not valid JSON"),
    ({"NOC_NETWORK__INVENTORY": "no/such/dir"}, "NOC_NETWORK__INVENTORY: no/such/dir is not a directory"),
    ({"NOC_STORE__URL": ""}, "NOC_STORE__URL is set but empty"),
    ({"NOC_STORE__URL_FILE": "/no/such/secret"}, "NOC_STORE__URL_FILE: file /no/such/secret not found"),
])
def test_a_bad_variable_is_named_and_its_value_never_shown(env, expected):
    with pytest.raises(ConfigError) as err:
        load_settings(None, environ=env)
    assert expected in str(err.value)
    assert PASSWORD not in str(err.value)


def test_a_bad_value_from_a_secret_file_names_the_file_variable(tmp_path):
    path = secret_file(tmp_path, "store-url", f"mysql://noc:{PASSWORD}@db/noc")
    with pytest.raises(ConfigError) as err:
        load_settings(None, environ={"NOC_STORE__URL_FILE": str(path)})
    assert str(err.value).startswith("NOC_STORE__URL_FILE (store.url):")
    assert PASSWORD not in str(err.value)


def test_variable_and_file_with_different_values_are_refused(tmp_path):
    path = secret_file(tmp_path, "store-url", "sqlite:///a.db")
    with pytest.raises(ConfigError, match="both NOC_STORE__URL and NOC_STORE__URL_FILE are set"):
        load_settings(None, environ={"NOC_STORE__URL_FILE": str(path), "NOC_STORE__URL": "sqlite:///b.db"})


def test_secret_file_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "url"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="NOC_STORE__URL_FILE: .*not a regular file"):
        load_settings(None, environ={"NOC_STORE__URL_FILE": str(fifo)})


def test_cli_uses_the_store_named_by_the_variable(runner, tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("NOC_STORE__URL", f"sqlite:///{db}")
    result = runner.invoke(cli, ["requests"])
    assert result.exit_code == 0, result.output
    assert "No requests match" in result.output
    assert db.exists()


def test_cli_bad_variable_exits_2_naming_it(runner, monkeypatch):
    monkeypatch.setenv("NOC_STORE__URL", f"mysql://noc:{PASSWORD}@db/noc")
    result = runner.invoke(cli, ["requests"])
    assert result.exit_code == 2
    assert "configuration error: NOC_STORE__URL (store.url)" in result.output
    assert PASSWORD not in result.output


def test_cli_puts_device_and_slack_secret_files_into_the_environment(runner, tmp_path, monkeypatch):
    """Code that reads os.environ itself (device access, the Slack tokens) sees NAME when NAME_FILE is set."""
    for name in ("NOC_DEVICE_PASSWORD", "SLACK_BOT_TOKEN"):
        monkeypatch.setenv(name, "")  # restored at teardown
    monkeypatch.setenv("NOC_DEVICE_PASSWORD_FILE", str(secret_file(tmp_path, "device-pw", PASSWORD)))
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(secret_file(tmp_path, "bot-token", "xoxb-from-a-file-123")))
    monkeypatch.setenv("NOC_STORE__URL", f"sqlite:///{tmp_path / 'noc.db'}")
    result = runner.invoke(cli, ["requests"])
    assert result.exit_code == 0, result.output
    assert os.environ["NOC_DEVICE_PASSWORD"] == PASSWORD
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-from-a-file-123"


def _env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "NOC_"))}
    return {**base, "NO_PROXY": "*", **extra}


def test_noc_run_starts_from_files_and_variables_only(fake_slack, tmp_path):
    """No config file: the store URL, the bot token and the signing secret are mounted files, the
    port and the scenario are variables."""
    db = tmp_path / "state" / "noc.db"
    port = free_port()
    env = _env(NOC_STORE__URL_FILE=str(secret_file(tmp_path, "store-url", f"sqlite:///{db}")),
               SLACK_BOT_TOKEN_FILE=str(secret_file(tmp_path, "bot-token", "xoxb-test-token-123")),
               SLACK_SIGNING_SECRET_FILE=str(secret_file(tmp_path, "signing-secret", SECRET)),
               SLACK_API_URL=fake_slack.api_url, NOC_SERVER__PORT=str(port), NOC_SERVER__HOST="127.0.0.1",
               NOC_NETWORK__SCENARIO="wan-congestion")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        health = wait_healthz(port, proc, timeout=120)  # a busy machine may still be building the router model
        assert health["mode"] == "http"
        assert db.exists()  # the store named in the file was created
    finally:
        code = stop(proc)
    assert code == 0, proc.stderr.read()


def test_noc_run_with_an_unreachable_store_from_a_variable_never_prints_the_password():
    env = _env(NOC_STORE__URL=f"postgresql://noc:{PASSWORD}@127.0.0.1:1/noc", SLACK_BOT_TOKEN="xoxb-test-token-123",
               SLACK_SIGNING_SECRET=SECRET, NOC_SERVER__PORT="0")
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "store error: PostgreSQL 127.0.0.1:1/noc: unreachable" in proc.stderr
    assert PASSWORD not in proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr


def test_noc_run_with_a_bad_variable_stops_naming_it():
    env = _env(SLACK_BOT_TOKEN="xoxb-test-token-123", SLACK_SIGNING_SECRET=SECRET, NOC_SERVER__PORT="http")
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "run"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "NOC_SERVER__PORT (server.port): Input should be a valid integer" in proc.stderr
    assert "Traceback" not in proc.stderr
