"""The daily health report: scheduled in local time across DST, exactly once across replicas,
late runs within the grace, every section posted to the loopback Slack with the chart.

Time is an injected clock everywhere (store, resilience, report, scheduler): no sleeps, no
timed assertions. The APScheduler job itself is checked for its trigger and options; the fire
times are APScheduler's own `CronTrigger` computations.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timezone

from sqlalchemy import insert

from bot.config.settings import Settings
from bot.report.alert_items import episodes
from bot.report.changes import drift_summary
from bot.scheduler import DAILY, ReportSchedule
from bot.store import Store, schema
from tests.fakes.slack_api import fake_slack  # noqa: F401
from tests.harness.reports import ALERTS, BERLIN, REPORT, Clock, blocks_text, make_runtime, make_settings, utc


async def seed(store: Store, now: float) -> None:
    """A week of agent runs, a failed and an interrupted request, and yesterday's bill."""
    runs = []
    for day in range(7):
        for i in range(10):
            at = now - day * 86400 - 3600 - i
            runs.append(dict(request_id=f"d{day}-{i}", at=at, agent="diagnosis", instance=f"diagnosis-{1 + i % 2}",
                             status="success" if i < 10 - day % 3 else "failed", failure_kind=None if i < 10 - day % 3 else "timeout",
                             duration_s=0.5 + day * 0.2 + i * 0.05, tokens=1000, cost_usd=0.01))
            runs.append(dict(request_id=f"p{day}-{i}", at=at, agent="performance", instance="performance-1",
                             status="success", failure_kind=None, duration_s=1.0 + i * 0.1, tokens=500, cost_usd=0.005))
    yesterday_noon = now - 86400 + 3 * 3600
    async with store.engine.begin() as conn:
        await conn.execute(insert(schema.agent_runs), runs)
        await conn.execute(insert(schema.requests).values(id="billed000001", created_at=yesterday_noon, status="answered",
                                                           source="slash", question="q", tokens=90_000, cost_usd=250.0))
    await store.record_received("failed000001", question="a DM question that must not reach the channel", source="dm")
    await store.mark_failed("failed000001", "the analysis failed (KeyError)")
    await store.record_received("interr000001", question="q", source="mention")
    await store.mark_interrupted(["interr000001"], "lease expired (process stopped)")


def report_roots(fake) -> list[dict]:
    return [m for m in fake.bot_messages(REPORT) if not m.get("thread_ts")]


async def test_daily_report_fires_at_local_time_across_dst_with_every_section_and_chart(fake_slack, tmp_path):
    clock = Clock(utc(2026, 3, 27, 12).timestamp())
    settings = make_settings(tmp_path)
    rt = await make_runtime(settings, fake_slack, clock)
    try:
        rt.alerts.start()
        await seed(rt.store, utc(2026, 3, 28, 8).timestamp())
        rt.resilience.provider.record_failure("auth")  # the LLM provider breaker opens at once, overnight
        await rt.alerts.drain()

        fired = []
        now = datetime.fromtimestamp(clock.t, timezone.utc)
        for _ in range(2):  # Saturday before the switch to summer time, Sunday after it
            fire = rt.scheduler.schedule.next_fire(now)
            clock.at(fire)
            assert await rt.scheduler.run_daily() == "posted"
            fired.append(fire)
            now = fire.replace(second=1)
        assert [f.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M") for f in fired] == ["2026-03-28 09:00", "2026-03-29 09:00"]
        assert [f.astimezone(timezone.utc).hour for f in fired] == [8, 7]  # UTC+1, then UTC+2
    finally:
        await rt.shutdown()

    roots = report_roots(fake_slack)
    assert [m["blocks"][0]["text"]["text"] for m in roots] == ["NOC daily health report 2026-03-28", "NOC daily health report 2026-03-29"]
    first = roots[0]
    body = blocks_text(first)
    order = [body.index(s) for s in ("Alerts (", "Network health", "What changed", "Agent health")]
    assert order == sorted(order), "alerts first, then network, changes, agents"
    assert "Circuit breaker llm-provider open since" in body and "auth failure opens at once" in body
    assert "LLM cost yesterday $250.00 over the $200.00 alert level" in body
    assert "request(s) failed" in body and "request(s) interrupted" in body and "failed000001" in body
    assert "must not reach the channel" not in body  # ids and errors only, never a question
    assert "branch-rtr-01" in body and "BGP session to 172.16.100.1" in body
    assert "diagnosis-1" in body and "p95" in body
    assert len(first["blocks"]) <= 50 and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in first["blocks"])
    assert first["edits"], "the message showed progress before it became the report"
    assert "(first report: baseline recorded)" in body and "since" in blocks_text(roots[1])

    for root in roots:
        thread_files = [f for f in fake_slack.files.values() if f.get("thread_ts") == root["ts"]]
        by_name = {f["filename"]: f for f in thread_files}
        day = root["blocks"][0]["text"]["text"][-10:]
        assert by_name[f"agent-health-{day}.png"]["content"][:8] == b"\x89PNG\r\n\x1a\n"
        full = by_name[f"noc-health-{day}.md"]["content"].decode()
        assert "## 1. Alerts" in full and "## 5. Chart" in full
    assert len(fake_slack.calls_to("files.completeUploadExternal")) == 4
    runs = await _runs(settings)
    assert [(r["day"], r["status"]) for r in runs] == [("2026-03-28", "posted"), ("2026-03-29", "posted")]


async def _runs(settings: Settings) -> list[dict]:
    store = await Store(settings.store.url).open()
    try:
        return await store.report_runs(DAILY)
    finally:
        await store.close()


def test_cron_is_local_time_on_both_dst_changes():
    schedule = ReportSchedule("0 9 * * *", "Europe/Berlin")
    spring = [schedule.next_fire(utc(2026, 3, 28, 8, 0, 1)), schedule.next_fire(utc(2026, 3, 27, 12))]
    autumn = [schedule.next_fire(utc(2026, 10, 24, 12)), schedule.next_fire(utc(2026, 10, 23, 12))]
    assert sorted(f.astimezone(timezone.utc).isoformat() for f in spring) == ["2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00"]
    assert sorted(f.astimezone(timezone.utc).isoformat() for f in autumn) == ["2026-10-24T07:00:00+00:00", "2026-10-25T08:00:00+00:00"]
    assert schedule.previous_fire(utc(2026, 3, 29, 7)).isoformat() == "2026-03-29T09:00:00+02:00"
    assert schedule.previous_fire(utc(2026, 3, 29, 6, 59)).isoformat() == "2026-03-28T09:00:00+01:00"


async def test_apscheduler_job_uses_the_configured_trigger_grace_and_coalescing(fake_slack, tmp_path):
    settings = make_settings(tmp_path, cron="30 7 * * 1-5", misfire_grace_s=900)
    rt = await make_runtime(settings, fake_slack, Clock(utc(2026, 3, 27, 12).timestamp()))
    rt.scheduler.clock = lambda: utc(2026, 3, 27, 12).timestamp()
    try:
        scheduler = rt.scheduler.start()
        job = scheduler.get_job(DAILY)
        assert job.coalesce is True and job.misfire_grace_time == 900 and job.max_instances == 1
        assert str(job.trigger.timezone) == "Europe/Berlin" and str(job.trigger) == str(rt.scheduler.schedule.trigger)
        local = job.next_run_time.astimezone(BERLIN)
        assert (local.hour, local.minute) == (7, 30) and local.weekday() < 5
        assert {j.id for j in scheduler.get_jobs()} >= {DAILY, "agent-success-check", "housekeeping"}
    finally:
        await rt.shutdown()


async def test_a_second_replica_sharing_the_database_posts_nothing(fake_slack, tmp_path, store_url):
    clock = Clock(utc(2026, 3, 28, 8).timestamp())  # 09:00 in Berlin
    settings = make_settings(tmp_path, scenario="healthy", store_url=store_url)
    first, second = await make_runtime(settings, fake_slack, clock), await make_runtime(settings, fake_slack, clock)
    try:
        results = await asyncio.gather(first.scheduler.run_daily(), second.scheduler.run_daily())
        assert sorted(results) == ["claimed elsewhere", "posted"]
        assert await second.scheduler.run_daily() == "claimed elsewhere"
    finally:
        await first.shutdown()
        await second.shutdown()
    assert len(report_roots(fake_slack)) == 1
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.args.get("channel") == REPORT]) == 1


async def test_missed_run_within_grace_runs_late_once_and_beyond_it_is_skipped_and_logged(fake_slack, tmp_path, caplog):
    clock = Clock(utc(2026, 3, 28, 8, 40).timestamp())  # the bot starts 40 min after 09:00 local
    settings = make_settings(tmp_path, scenario="healthy", misfire_grace_s=3600)
    rt = await make_runtime(settings, fake_slack, clock)
    try:
        assert await rt.scheduler.catch_up() == "posted"
        assert await rt.scheduler.catch_up() is None  # that date is done
        assert await rt.scheduler.run_daily() == "claimed elsewhere"
        assert len(report_roots(fake_slack)) == 1

        clock.at(utc(2026, 3, 29, 9, 30))  # the next one (07:00 UTC) was missed by 2.5 h
        with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
            assert await rt.scheduler.catch_up() == "skipped"
            assert await rt.scheduler.run_daily() == "skipped"
        assert "daily report for 2026-03-29" in caplog.text and "beyond the 3600 s grace: skipped" in caplog.text
    finally:
        await rt.shutdown()
    assert len(report_roots(fake_slack)) == 1
    assert [r["day"] for r in await _runs(settings)] == ["2026-03-28"]


async def test_agent_under_the_success_floor_is_alerted_once_and_recovers(fake_slack, tmp_path):
    clock = Clock(utc(2026, 3, 28, 12).timestamp())
    settings = make_settings(tmp_path, scenario="healthy")
    rt = await make_runtime(settings, fake_slack, clock)
    try:
        async with rt.store.engine.begin() as conn:
            await conn.execute(insert(schema.agent_runs), [
                dict(request_id=f"r{i}", at=clock.t - 60 * i, agent="security", instance="security-1",
                     status="success" if i % 2 else "failed", failure_kind=None if i % 2 else "error", duration_s=1.0)
                for i in range(6)])
        await rt.scheduler.run_watch()
        clock.t += 60
        await rt.scheduler.run_watch()  # still low: no second message
        posted = [m for m in fake_slack.bot_messages(ALERTS)]
        assert len(posted) == 1 and "Agent security is under the success floor" in posted[0]["text"]
        clock.t += 2 * 3600  # an hour with no failing runs
        await rt.scheduler.run_watch()
        (alert,) = fake_slack.bot_messages(ALERTS)
        assert "Agent security recovered after 2 h" in alert["text"] and alert["edits"]
        stored = await rt.store.alerts()
        assert [(a["source"], a["name"], a["status"]) for a in stored] == [("agent-success", "security", "resolved")]
    finally:
        await rt.shutdown()


def test_drift_summary_names_sections_not_lines():
    old = "hostname r1\nsnmp-server community s3cr3t RO\ninterface Gi0/1\n description uplink\n ip address 10.0.0.1 255.255.255.0\n"
    new = "hostname r1\nsnmp-server community n3w RO\ninterface Gi0/1\n description uplink to core\n ip address 10.0.0.1 255.255.255.0\n"
    item = drift_summary("r1", 0.0, old, new)
    assert (item.added, item.removed) == (2, 2)
    assert item.sections == ["snmp-server", "interface Gi0/1"]
    assert "s3cr3t" not in item.model_dump_json() and "uplink" not in item.model_dump_json()


def test_breaker_history_folds_into_episodes_per_replica():
    rows = [dict(at=10.0, breaker="diagnosis-1@a", from_state="closed", to_state="open", reason="3 failures"),
            dict(at=12.0, breaker="diagnosis-1@b", from_state="closed", to_state="open", reason="timeouts"),
            dict(at=40.0, breaker="diagnosis-1@a", from_state="open", to_state="half_open", reason="timeout elapsed"),
            dict(at=41.0, breaker="diagnosis-1@a", from_state="half_open", to_state="open", reason="trial failed"),
            dict(at=90.0, breaker="diagnosis-1@a", from_state="open", to_state="half_open", reason="timeout elapsed"),
            dict(at=91.0, breaker="diagnosis-1@a", from_state="half_open", to_state="closed", reason="trial succeeded")]
    a, b = episodes(rows)
    assert (a.owner, a.opened_at, a.ended_at, a.reopened, a.ended_by) == ("a", 10.0, 91.0, 1, "closed")
    assert (b.owner, b.ended_at, b.state) == ("b", None, "open")


async def test_report_shows_no_configuration_line_and_no_audit_evidence(fake_slack, tmp_path):
    """The channel is readable by viewers: counts, rule titles and section names only."""
    clock = Clock(utc(2026, 3, 28, 8).timestamp())
    settings = make_settings(tmp_path, scenario="insecure-mgmt")
    rt = await make_runtime(settings, fake_slack, clock)
    try:
        tools = rt.toolbox
        configs = {d: (await tools.get_device_config(d)).running for d in tools.inventory.names}
        evidence = [e for d in tools.inventory.names for f in (await tools.scan_security_vulnerabilities(d)).findings
                    for e in f.evidence + f.remediation]
        clock.t -= 86400  # yesterday's snapshot of access-sw-01 differed: drift to summarise
        await rt.store.record_config_snapshot("access-sw-01", "hostname access-sw-01\nsnmp-server community <redacted> RO\n")
        clock.t += 86400
        report, ts = await rt.reports.publish(REPORT, kind="on-demand")
    finally:
        await rt.shutdown()
    assert report.changes.drift and report.network.devices[0].audit_counts
    posted = blocks_text(fake_slack.messages[(REPORT, ts)]) + "".join(
        f["content"].decode() for f in fake_slack.files.values() if f["filename"].endswith(".md")) + report.model_dump_json()
    assert "Telnet accepted on VTY lines" in posted  # a rule title may be named
    lines = {line.strip() for text in configs.values() for line in text.splitlines() if len(line.split()) >= 3}
    leaked = sorted(line for line in lines | {e.strip() for e in evidence if len(e.split()) >= 3} if line in posted)
    assert leaked == []


async def test_report_store_methods_and_the_claim_on_both_backends(store_url):
    clock = Clock(utc(2026, 3, 28, 8).timestamp())
    first, second = await Store(store_url, clock=clock).open(), await Store(store_url, clock=clock).open()
    try:
        claims = await asyncio.gather(*(s.claim_report(DAILY, "2026-03-28") for s in (first, second, first, second)))
        assert sorted(claims) == [False, False, False, True]

        alert = await first.open_alert(source="breaker", name="llm-provider", summary="opened", fingerprint="breaker:x",
                                       payload={"reason": "auth"}, channel=ALERTS, thread_ts="1.2")
        assert [a["id"] for a in await second.open_alerts("breaker")] == [alert]
        await second.update_alert(alert, status="resolved", summary="recovered after 4 min", payload={"duration_s": 240})
        assert await first.open_alerts("breaker") == []
        (row,) = await first.alerts()
        assert (row["status"], row["summary"], row["payload"], row["thread_ts"]) == ("resolved", "recovered after 4 min", {"duration_s": 240}, "1.2")

        async with first.engine.begin() as conn:
            await conn.execute(insert(schema.requests), [
                dict(id=f"r{i}", created_at=clock.t - 3600 * i, status="answered", source="slash", question="q",
                     tokens=1000, cost_usd=0.5) for i in range(1, 4)])
            await conn.execute(insert(schema.agent_runs), [
                dict(request_id="r1", at=clock.t - 60 * i, agent="diagnosis", status="success", duration_s=1.0) for i in range(3)])
        assert await second.request_totals(clock.t - 2.5 * 3600, clock.t) == {"requests": 2, "tokens": 2000, "cost_usd": 1.0}
        assert len(await second.agent_runs_between(clock.t - 90, clock.t + 1)) == 2  # [start, end)

        await first.record_health_sweep({"devices": []}, devices=0, unhealthy=0, request_id="report:daily:2026-03-27")
        clock.t += 10
        await first.record_health_sweep({"devices": [1]}, devices=1, unhealthy=0, request_id="report:on-demand:abc")
        assert (await second.last_health_sweep(before=clock.t + 1, prefix="report:daily:"))["result"] == {"devices": []}
        assert (await second.last_health_sweep(before=clock.t + 1, prefix="report:"))["request_id"] == "report:on-demand:abc"
        assert await second.last_health_sweep(before=clock.t - 100, prefix="report:") is None
    finally:
        await first.close()
        await second.close()


def test_noc_health_json_has_every_section_and_post_sends_the_report(fake_slack, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli.main import cli

    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: bgp-peer-down\n")
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-123")
    result = CliRunner().invoke(cli, ["--config", str(config), "health", "--json", "--post", REPORT, "--progress"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"alerts", "network", "changes", "agents", "chart_filename"} <= set(data)
    assert data["network"]["checked"] == 11 and data["network"]["devices"][0]["severity"] == "high"
    assert {"drift", "neighbors", "findings"} <= set(data["changes"]) and {"rows", "days", "daily"} <= set(data["agents"])
    assert "analysing 11/11 devices" in result.stderr
    (root,) = report_roots(fake_slack)
    assert "Network health" in blocks_text(root)
    assert sorted(f["filename"].rsplit(".", 1)[1] for f in fake_slack.files.values()) == ["md", "png"]

    without_token = CliRunner().invoke(cli, ["--config", str(config), "health", "--post", REPORT], env={"SLACK_BOT_TOKEN": ""})
    assert without_token.exit_code == 2 and "--post needs SLACK_BOT_TOKEN" in without_token.output
