"""Live cost alerts (issue 30): the moment the day's model cost crosses
`report.daily_cost_alert_usd`, one message goes to the alerts channel with the top spenders by
specialist and by requester; a second one when the day's tokens reach the hard budget. Once per
day for the whole replica set (a claim in `report_runs`, like the daily report's date).

Driven through the running bot: mentions over HTTP (loopback Slack), Claude through the anthropic
SDK against the loopback Anthropic server, whose replies carry the usage that is billed."""

from __future__ import annotations

import pytest

from agents.config import LLMConfig, NetworkConfig, ResilienceConfig
from bot.config.settings import AlertsConfig, ReportConfig, Settings, SlackConfig, StoreConfig
from bot.report.cost_alerts import BUDGET, COST, CostWatch
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from bot.store import Store
from handlers.app import build_app
from tests.fakes.anthropic_api import FakeAnthropic, text
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.claude_faults import DIAG, PLAN, QUESTION, SYNTH
from tests.harness.slack_bot import SECRET, Bot

ALERTS = "C0NOCALERTS"
SMALL = {"input_tokens": 1_000, "output_tokens": 100, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
LARGE = {"input_tokens": 300_000, "output_tokens": 100, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}


async def start(fake, tmp_path, *, level_usd: float, budget: int) -> Bot:
    settings = Settings(llm=LLMConfig(router_confidence=0, follow_ups=0, max_retries=0), network=NetworkConfig(scenario="bgp-peer-down"),
                        resilience=ResilienceConfig(daily_token_budget=budget),
                        store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
                        report=ReportConfig(daily_cost_alert_usd=level_usd), alerts=AlertsConfig(channel=ALERTS),
                        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="edit"))
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    return Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)


@pytest.fixture
def claude(monkeypatch):
    with FakeAnthropic() as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "key-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        # the first request's calls are small; from the second request on, every call is large
        api.script("planner", text(PLAN, usage=SMALL), text(PLAN, usage=LARGE))
        api.script("specialist:diagnosis", text(DIAG, usage=SMALL), text(DIAG, usage=LARGE))
        api.script("synthesis", text(SYNTH, usage=SMALL), text(SYNTH, usage=LARGE))
        yield api


async def ask(bot: Bot, user: str, n: int) -> None:
    await bot.post(app_mention_event(QUESTION, user=user, ts=f"1700000{n:03d}.000300"))
    await bot.settle()


async def test_cost_and_budget_alerts_fire_once_each_with_the_top_spenders(fake_slack, tmp_path, claude):
    bot = await start(fake_slack, tmp_path, level_usd=0.001, budget=250_000)
    try:
        await ask(bot, "UALICE", 1)  # a few cents: over the tiny cost level, far under the token budget
        [cost_alert] = fake_slack.bot_messages(ALERTS)
        day_total = await bot.runtime.store.request_totals(0, bot.runtime.costs.clock() + 1)
        assert 0.001 <= day_total["cost_usd"] and day_total["tokens"] < 250_000
        body = str(cost_alert["blocks"])
        assert f"LLM cost today ${day_total['cost_usd']:,.2f}" in body and "$0.00 alert level" in body
        assert "Top specialists: diagnosis $" in body and "Top requesters: `UALICE` $" in body
        assert "<@UALICE>" not in body  # listed, not pinged

        await ask(bot, "UBOB", 2)  # large calls: the token budget is reached during this request
        messages = fake_slack.bot_messages(ALERTS)
        assert len(messages) == 2, [m["text"] for m in messages]  # no second cost alert the same day
        budget_alert = str(messages[1]["blocks"])
        assert "Daily token budget spent" in budget_alert and "of 250,000 tokens" in budget_alert
        assert "`UBOB` $" in budget_alert and "`UALICE` $" in budget_alert
        assert budget_alert.index("`UBOB`") < budget_alert.index("`UALICE`")  # the bigger spender first

        await ask(bot, "UALICE", 3)
        assert len(fake_slack.bot_messages(ALERTS)) == 2  # both levels already alerted today

        runs = {(r["report"], r["status"]) for r in await bot.runtime.store.report_runs()}
        assert {(COST, "posted"), (BUDGET, "posted")} <= runs
        stored = {a["name"] for src in (COST, BUDGET) for a in await bot.runtime.store.open_alerts(src)}
        assert len(stored) == 1  # both alerts for the same day

        # another replica sharing the database has nothing left to post today
        other = await Store(bot.runtime.settings.store.url).open()
        try:
            replica = CostWatch(bot.runtime.settings, bot.runtime.client, other, bot.runtime.resilience)
            assert await replica.check() == []
        finally:
            await other.close()
        assert len(fake_slack.bot_messages(ALERTS)) == 2
    finally:
        await bot.running.stop(bot.runtime)


async def test_under_the_level_nothing_is_posted_and_zero_disables(fake_slack, tmp_path, claude):
    bot = await start(fake_slack, tmp_path, level_usd=0.0, budget=0)  # both off
    try:
        await ask(bot, "UALICE", 1)
        await ask(bot, "UALICE", 2)
        assert fake_slack.bot_messages(ALERTS) == []
        assert await bot.runtime.store.report_runs() == []
    finally:
        await bot.running.stop(bot.runtime)


async def test_top_spenders_and_the_claim_on_both_backends(store_url):
    from sqlalchemy import insert

    from bot.store import schema
    store = await Store(store_url, clock=lambda: 10_000.0).open()
    try:
        async with store.engine.begin() as conn:
            await conn.execute(insert(schema.requests), [
                dict(id=f"r{i}", created_at=9_000.0 + i, status="answered", source="mention" if user else "triage", question="q",
                     user_id=user, tokens=100, cost_usd=cost)
                for i, (user, cost) in enumerate([("UALICE", 1.0), ("UBOB", 3.0), ("UALICE", 1.5), (None, 0.25), ("UOLD", 0.0)])])
            await conn.execute(insert(schema.agent_runs), [
                dict(request_id="r1", at=9_500.0, agent=agent, status="success", tokens=10, cost_usd=cost)
                for agent, cost in [("diagnosis", 2.0), ("performance", 0.5), ("diagnosis", 1.0), ("config", 0.1), ("security", 0.05)]])
        top = await store.top_spenders(9_000.0, 10_001.0)
        assert [(r["name"], round(r["cost_usd"], 2)) for r in top["specialists"]] == [("diagnosis", 3.0), ("performance", 0.5), ("config", 0.1)]
        assert [(r["name"], round(r["cost_usd"], 2), r["requests"]) for r in top["requesters"]] == [
            ("UBOB", 3.0, 1), ("UALICE", 2.5, 2), ("triage", 0.25, 1)]
        assert [await store.claim_report(COST, "2026-03-28") for _ in range(2)] == [True, False]
    finally:
        await store.close()
