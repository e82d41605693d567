"""One direction for the audit's risk score (issue 30): 0 is a device with no findings, 100 the
worst, and every view says so ("risk 85/100, higher is worse"): `noc audit` text and JSON, the
Slack audit view, the daily report and the Home tab."""

from __future__ import annotations

import json

from bot.cli.main import cli
from bot.server.app import start_bot
from handlers.app import build_app
from tests.fakes.slack_api import event_callback, fake_slack, next_ts, slash_command  # noqa: F401
from tests.harness.reports import REPORT, Clock, blocks_text, make_runtime, make_settings, utc
from tests.harness.slack_bot import OPERATOR, SECRET, Bot, start, texts


def test_cli_text_and_json_name_the_direction_and_the_worst_device_scores_highest(runner):
    insecure = runner.invoke(cli, ["audit", "branch-rtr-01", "-s", "insecure-mgmt"])
    assert insecure.exit_code == 0
    assert insecure.output.startswith("branch-rtr-01 (ios) risk 100/100, higher is worse - ")
    every = runner.invoke(cli, ["audit", "--all", "-s", "insecure-mgmt"]).output
    assert "highest risk " in every and "/100 (higher is worse)" in every.splitlines()[-1]

    data = json.loads(runner.invoke(cli, ["audit", "--all", "-s", "insecure-mgmt", "--json"]).stdout)
    assert data["risk_scale"] == {"min": 0, "max": 100, "higher_is_worse": True, "direction": "higher is worse"}
    scores = {d["device"]: d["risk_score"] for d in data["devices"]}
    findings = {d["device"]: len(d["findings"]) for d in data["devices"]}
    most, fewest = max(findings, key=findings.get), min(findings, key=findings.get)
    assert scores[most] > scores[fewest]  # more findings, higher score: higher is worse
    clean = json.loads(runner.invoke(cli, ["audit", "core-sw-01", "-s", "healthy", "--json"]).stdout)
    assert clean["devices"][0]["findings"] == [] and clean["devices"][0]["risk_score"] == 0  # nothing found: the lowest


async def test_slack_audit_view_names_the_direction(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, scenario="insecure-mgmt")
    try:
        await bot.post(slash_command("/noc-audit", "all", user=OPERATOR))
        await bot.settle()
    finally:
        await bot.running.stop(bot.runtime)
    roots = [m for m in fake_slack.bot_messages("C0NOC") if not m.get("thread_ts")]
    audit = texts(fake_slack.thread("C0NOC", next(r for r in roots if "audit" in r["text"].lower())["ts"]))
    assert "risk *100/100*, higher is worse" in audit
    assert "/100 (higher is worse)" in audit  # the summary's highest risk


async def test_daily_report_and_home_tab_name_the_direction(fake_slack, tmp_path):
    clock = Clock(utc(2026, 3, 28, 8).timestamp())
    rt = await make_runtime(make_settings(tmp_path, scenario="insecure-mgmt"), fake_slack, clock)
    try:
        report, ts = await rt.reports.publish(REPORT, kind="on-demand")
        rows = {d.device: d for d in report.network.devices}
        assert rows["branch-rtr-01"].audit_risk == 100
        posted = blocks_text(fake_slack.messages[(REPORT, ts)])
        assert "risk 100/100, higher is worse" in posted
        markdown = "".join(f["content"].decode() for f in fake_slack.files.values() if f["filename"].endswith(".md"))
        assert "risk 100/100, higher is worse" in markdown
        running = await start_bot(build_app(rt, signing_secret=SECRET), rt, host="127.0.0.1", port=0, app_token=None)
        bot = Bot(url=f"http://127.0.0.1:{running.port}", runtime=rt, running=running)
        await bot.post(event_callback({"type": "app_home_opened", "user": "UALICE", "channel": "D0NOC", "tab": "home",
                                       "event_ts": next_ts()}))
        await bot.settle()
        await running.stop(rt)
    finally:
        await rt.shutdown()
    [call] = fake_slack.calls_to("views.publish")
    home = json.dumps(call.args["view"]["blocks"])
    assert "Highest config audit risk: `branch-rtr-01` risk 100/100, higher is worse" in home
