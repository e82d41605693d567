"""`noc run`'s logs as an operator and a log pipeline read them (issue 26): JSON lines with the
request id, user, channel and specialist, one access line per Slack request and alert, a start-up
line saying what was loaded, and no library chatter; `noc --version`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

from bot.cli.main import cli
from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
)
from tests.harness.processes import answered, free_port, wait_healthz

ALERT_TOKEN = "alert-token-for-the-test"


def run_bot(fake, tmp_path, *args: str, **env_extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: wan-congestion\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_", "NOC_LOG"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_APP_TOKEN": "xapp-1-A0NOC-test-token", "SLACK_API_URL": fake.api_url,
                "NOC_CONFIG": str(config), "NO_PROXY": "*", "NOC_ALERT_TOKEN": ALERT_TOKEN, **env_extra})
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", *args, "run", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def exercise(fake, proc, port) -> list[str]:
    """A mention answered and an alert accepted, then SIGTERM; the stderr lines."""
    try:
        wait_healthz(port, proc)
        fake.wait_for_socket()
        event = app_mention_event("why is the branch office slow?")
        fake.socket_send_event(event)
        fake.wait_for(lambda s: answered(s, event["event"]["ts"]), timeout=30)
        alert = json.dumps({"device": "edge-rtr-01", "summary": "CPU above 90% for 5 minutes", "severity": "high"}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/alerts/generic", data=alert, method="POST",
                                         headers={"Authorization": f"Bearer {ALERT_TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 202
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return err.splitlines()


def test_json_logs_carry_request_user_channel_and_specialist(fake_slack, tmp_path):
    proc, port = run_bot(fake_slack, tmp_path, "--log-format", "json")
    records = [json.loads(line) for line in exercise(fake_slack, proc, port)]  # every line is one JSON object

    (ready,) = [r for r in records if r["message"].startswith("noc-chatops ready")]
    assert ready["inventory"] == "lab" and ready["devices"] == 11 and ready["engine"] == "offline" and ready["slack_mode"] == "socket"
    assert ready["store"].startswith("SQLite database") and "router model" in ready["message"]

    (mention,) = [r for r in records if r.get("access") == "slack"]
    assert (mention["kind"], mention["subject"], mention["status"], mention["user"], mention["channel"]) == \
        ("event", "app_mention", 200, "U123", "C0NOC")
    (alert,) = [r for r in records if r.get("access") == "alert"]
    assert (alert["endpoint"], alert["status"]) == ("generic", 202)

    steps = [r for r in records if r["logger"] == "agents.supervisor" and r["message"].startswith("step ")]
    assert {r["specialist"] for r in steps} >= {"performance", "diagnosis"}
    assert all(r["request_id"] and r["user"] == "U123" and r["channel"] == "C0NOC" for r in steps)
    (done,) = [r for r in records if r["logger"] == "bot.runtime" and r["message"].startswith("request ")]
    assert done["request_id"] == steps[0]["request_id"] and " from mention: ok in " in done["message"]

    # the libraries' own narration stays below the default level; Bolt's spurious warning is gone
    chatty = [r for r in records if r["logger"].split(".")[0] in ("alembic", "apscheduler", "slack_bolt", "slack_sdk")]
    assert chatty == [], chatty


def test_text_logs_from_the_environment_name_the_request_too(fake_slack, tmp_path):
    proc, port = run_bot(fake_slack, tmp_path, NOC_LOG__FORMAT="text")
    lines = exercise(fake_slack, proc, port)
    assert not any(line.lstrip().startswith("{") for line in lines)
    steps = [line for line in lines if " INFO agents.supervisor: step " in line]
    assert steps and all("[request_id=" in line and " user=U123 channel=C0NOC specialist=" in line for line in steps), steps
    assert any(" INFO noc.access: slack event app_mention status=200 " in line for line in lines)
    assert any(" INFO noc.access: alert generic status=202 " in line for line in lines)
    assert not any("token` will be unused" in line or "alembic" in line for line in lines)


def test_an_unknown_log_format_is_one_clear_line(runner, monkeypatch):
    monkeypatch.setenv("NOC_LOG__FORMAT", "xml")
    result = runner.invoke(cli, ["lab", "scenarios"])
    assert result.exit_code == 2 and "Invalid value for '--log-format'" in result.output and "'xml'" in result.output


def test_version(runner):
    from importlib.metadata import version

    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"noc {version('noc-chatops')}\n"
