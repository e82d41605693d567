"""/metrics on the running bot (HTTP and Socket Mode) and `noc metrics` reading it."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli.main import cli
from bot.cli.metrics_report import rows_from
from tests.fakes.slack_api import (
    app_mention_event,
    fake_slack,  # noqa: F401
)
from tests.harness.metrics import scrape
from tests.harness.slack_bot import start

NAMES = ["noc_agent_tasks_total", "noc_agent_task_duration_seconds_bucket", "noc_agent_failures_total", "noc_agent_success_ratio",
         "noc_agent_latency_p95_seconds", "noc_agent_health", "noc_llm_tokens_total", "noc_llm_cost_usd_total", "noc_breaker_state",
         "noc_llm_budget_used_tokens", "noc_requests_in_flight"]


@pytest.mark.parametrize("app_token", [None, "xapp-test"], ids=["http", "socket"])
async def test_metrics_served_in_both_modes(fake_slack, tmp_path, app_token, runner):
    bot = await start(fake_slack, tmp_path, app_token=app_token, progress="edit")  # counts the status message posts
    try:
        if app_token is None:
            await bot.post(app_mention_event("why is the branch office slow?"))
        else:
            await fake_slack.wait_for_socket_async()
            fake_slack.socket_send_event(app_mention_event("why is the branch office slow?"))
        await fake_slack.wait_for_async(lambda s: len(s.calls_to("chat.postMessage")) >= 2, timeout=20)
        await bot.settle()
        body = await scrape(bot.url)
        for name in NAMES:
            assert name in body, name
        rows = rows_from(body)
        by_agent = {a: [r for r in rows if r["agent"] == a] for a in {r["agent"] for r in rows}}
        # performance ran as a step and again when diagnosis asked it; both asked config the same QoS
        # question, which the request's memory answered once (agents/memory.py, issue 30)
        assert sum(r["successes"] for r in by_agent["performance"]) == 2
        assert sum(r["successes"] for r in by_agent["config"]) == 1
        assert sum(r["successes"] for r in by_agent["diagnosis"]) == 1
        assert all(r["failures"] == 0 and r["total"] == r["successes"] for r in rows)
        assert 'noc_breaker_state{breaker="llm-provider"} 0.0' in body

        # the CLI blocks on HTTP while this loop serves the bot: run it in a thread
        table = await asyncio.to_thread(runner.invoke, cli, ["metrics", "--url", f"{bot.url}/metrics"])
        assert table.exit_code == 0
        assert table.stdout.splitlines()[0].split()[:5] == ["agent", "instance", "total", "successes", "failures"]
        perf = [line.split() for line in table.stdout.splitlines() if line.startswith("performance ")]
        assert len(perf) == 2 and sum(int(p[3]) for p in perf) == 2
        assert all("healthy" in p and "closed" in p for p in perf)
        csv_out = (await asyncio.to_thread(runner.invoke, cli, ["metrics", "--url", f"{bot.url}/metrics", "--csv"])).stdout.splitlines()
        assert csv_out[0].startswith("agent,instance,total,successes,failures,failures_by_kind,success_rate")
        assert len(csv_out) == 1 + 10  # one row per instance: 3 + 2 + 2 + 2 + 1
    finally:
        await bot.running.stop(bot.runtime)


def test_metrics_cli_without_a_bot(runner):
    result = runner.invoke(cli, ["metrics", "--url", "http://127.0.0.1:9/metrics"])
    assert result.exit_code == 1 and "cannot read http://127.0.0.1:9/metrics" in result.output and "noc run" in result.output
