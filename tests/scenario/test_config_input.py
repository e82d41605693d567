"""Hostile and unlucky configuration input (issue 22): repeated keys, runaway nesting and FIFOs in
the config file and the inventory, a store that is a FIFO or unreachable, and credentials in
error messages. Each ends in exit 2 with one line, at once, and no password on the terminal.

Through the real `noc` process where a hang or a traceback is the failure being guarded against.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from agents.safe_yaml import MAX_DEPTH, YamlInputError, load_yaml
from bot.cli.main import cli
from bot.config.secret_mask import mask_credentials
from bot.config.settings import ConfigError, load_settings
from bot.logs import OneLineFormatter
from tests.harness.paths import ROOT
from tests.harness.processes import SECRET

PASSWORD = "Hunter2-Hunter2"
LAB = os.path.join(ROOT, "agents", "lab", "data", "inventory")


def noc(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOC_"))}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env={**base, **(env or {})},
                          capture_output=True, text=True, timeout=timeout)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


# --- the config file ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("network:\n  timeout_s: 5\nnetwork:\n  timeout_s: 7\n", "line 3, column 1: not valid YAML: duplicate key 'network' (first on line 1)"),
    ("store:\n  url: sqlite:///a.db\n  lease_s: 30\n  url: sqlite:///b.db\n", "line 4, column 3: not valid YAML: duplicate key 'url' (first on line 2)"),
    ("access:\n  operator: {users: [U1], users: [U2]}\n", "line 2, column 27: not valid YAML: duplicate key 'users' (first on line 2)"),
    ("network:\n  scenario: " + "[" * 5000 + "]" * 5000 + "\n", f"not valid YAML: nested deeper than {MAX_DEPTH} levels"),
    ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 400)), f"not valid YAML: nested deeper than {MAX_DEPTH} levels"),
])
def test_config_file_refuses_duplicates_and_runaway_nesting_with_the_line(tmp_path, text, expected):
    path = tmp_path / "noc.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path, environ={})
    assert str(err.value).startswith(str(path)) and expected in str(err.value)


def test_yaml_merge_keys_may_still_override():
    data = load_yaml("base: &b {timeout_s: 5}\nnetwork:\n  <<: *b\n  timeout_s: 9\n", "noc.yml")
    assert data["network"] == {"timeout_s": 9}


def test_real_files_load_as_before():
    """The shipped example config and the lab inventory pass the strict loader unchanged."""
    example = os.path.join(ROOT, "noc.example.yml")
    assert load_settings(example, environ={}).model_dump() == load_settings(None, environ={}).model_dump()
    for name in ("hosts.yaml", "groups.yaml", "defaults.yaml"):
        path = os.path.join(LAB, name)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                load_yaml(handle.read(), path)


def test_config_file_that_is_a_fifo_exits_2_at_once(tmp_path):
    fifo = tmp_path / "noc.yml"
    os.mkfifo(fifo)
    assert "not a regular file (a FIFO)" in one_line_error(noc("--config", str(fifo), "requests"))


def test_deeply_nested_config_exits_2_not_1(tmp_path):
    path = tmp_path / "noc.yml"
    path.write_text("a: " + "[" * 20000 + "]" * 20000 + "\n")
    assert "nested deeper than" in one_line_error(noc("--config", str(path), "requests"))


# --- the inventory -----------------------------------------------------------------------------


def inventory(tmp_path, hosts: str | None) -> str:
    inv = tmp_path / "inv"
    inv.mkdir()
    if hosts is None:
        os.mkfifo(inv / "hosts.yaml")
    else:
        (inv / "hosts.yaml").write_text(hosts)
    (inv / "groups.yaml").write_text("{}\n")
    config = tmp_path / "noc.yml"
    config.write_text("network:\n  inventory: inv\n")
    return str(config)


@pytest.mark.parametrize(("hosts", "expected"), [
    (None, "inv/hosts.yaml: not a regular file"),
    ("r1:\n  hostname: 192.0.2.1\n  platform: ios\nr1:\n  hostname: 192.0.2.2\n  platform: ios\n",
     "hosts.yaml line 4, column 1: not valid YAML: duplicate key 'r1' (first on line 1)"),
    ("r1:\n  hostname: 192.0.2.1\n  platform: ios\n  data:\n    x: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper than"),
])
def test_bad_inventory_exits_2_with_one_line(tmp_path, hosts, expected):
    line = one_line_error(noc("--config", inventory(tmp_path, hosts), "audit", "--all"))
    assert "configuration error: network.inventory:" in line and expected in line


def test_noc_run_with_a_fifo_inventory_exits_2(tmp_path):
    proc = noc("--config", inventory(tmp_path, None), "run", "--port", "0",
               env={"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_SIGNING_SECRET": SECRET})
    assert "inv/hosts.yaml: not a regular file" in one_line_error(proc)


# --- the store ---------------------------------------------------------------------------------


def test_noc_run_with_a_store_that_is_a_fifo_exits_2_instead_of_hanging(tmp_path):
    fifo = tmp_path / "noc.db"
    os.mkfifo(fifo)
    proc = noc("run", "--port", "0", env={"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_SIGNING_SECRET": SECRET,
                                          "NOC_STORE__URL": f"sqlite:///{fifo}"})
    assert "is not a regular file (a FIFO, socket or device)" in one_line_error(proc)
    assert "Unclosed client session" not in proc.stderr


def test_change_list_with_the_store_unreachable_exits_2_with_one_line(tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: postgresql://noc:{PASSWORD}@127.0.0.1:1/noc\n")
    proc = noc("--config", str(config), "change", "list", timeout=120)
    assert "store error: PostgreSQL 127.0.0.1:1/noc: unreachable" in one_line_error(proc)
    assert PASSWORD not in proc.stderr


# --- credentials in messages -------------------------------------------------------------------


def test_config_error_quoting_the_store_url_masks_its_password(runner, tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: mysql://u:{PASSWORD}@db.example.net/noc\n")
    result = runner.invoke(cli, ["--config", str(config), "requests"])
    assert result.exit_code == 2
    assert "store.url" in result.output and "mysql://u:***@db.example.net/noc" in result.output
    assert PASSWORD not in result.output


def test_a_store_url_with_a_bad_port_is_a_config_error_not_a_crash(tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: postgresql://noc:{PASSWORD}@db.example.net:notaport/noc\n")
    line = one_line_error(noc("--config", str(config), "requests"))
    assert "store.url: Value error, not a database URL" in line and PASSWORD not in line


def test_store_error_with_an_unencoded_at_sign_in_the_password_shows_none_of_it(tmp_path):
    config = tmp_path / "noc.yml"
    config.write_text("store:\n  url: postgresql://noc:pass@word@127.0.0.1:1/noc\n")
    proc = noc("--config", str(config), "requests", timeout=120)
    line = one_line_error(proc)
    assert "127.0.0.1:1/noc" in line and "word" not in line and "pass@" not in line


@pytest.mark.parametrize(("text", "masked"), [
    (f"mysql://u:{PASSWORD}@h/db", "mysql://u:***@h/db"),
    (f"(got 'postgresql+asyncpg://noc:{PASSWORD}@db:5432/noc')", "(got 'postgresql+asyncpg://noc:***@db:5432/noc')"),
    (f"redis://:{PASSWORD}@cache/0 and amqp://u:{PASSWORD}@mq//", "redis://:***@cache/0 and amqp://u:***@mq//"),
    (f"postgresql://noc:p@{PASSWORD}@db/noc", "postgresql://noc:***@db/noc"),
    (f"postgresql://noc@db/noc?sslmode=require&password={PASSWORD}", "postgresql://noc@db/noc?sslmode=require&password=***"),
    ("sqlite:///var/lib/noc/noc.db", "sqlite:///var/lib/noc/noc.db"),
    ("https://hooks.example.net/x?a=1", "https://hooks.example.net/x?a=1"),
])
def test_mask_credentials(text, masked):
    assert mask_credentials(text) == masked


def test_log_lines_mask_url_passwords():
    record = logging.LogRecord("bot.store", logging.ERROR, __file__, 1, "cannot reach %s", (f"postgresql://u:{PASSWORD}@h/db",), None)
    try:
        raise OSError(f"connect to postgresql://u:{PASSWORD}@h/db failed")
    except OSError:
        record.exc_info = sys.exc_info()
    text = OneLineFormatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert PASSWORD not in text and "postgresql://u:***@h/db" in text


def test_load_yaml_error_names_source_and_line():
    with pytest.raises(YamlInputError, match=r"^x\.yml line 2, column 1: not valid YAML: duplicate key 'a'"):
        load_yaml("a: 1\na: 2\n", "x.yml")
