"""Pools that mean something (issue 13): an instance is bound to a model tier and an endpoint, so
"retry on another instance" is a real failover, shown on /metrics with each instance's binding and
breaker. Driven through the running bot (a mention over HTTP, loopback Slack) against loopback
Anthropic servers, plus the configuration forms and the timeout rule."""

from __future__ import annotations

import pytest
import yaml

from agents.config import (
    BreakerConfig,
    EndpointConfig,
    EngineConfig,
    InstanceConfig,
    LLMConfig,
    NetworkConfig,
    PoolConfig,
    ResilienceConfig,
    RetryConfig,
)
from agents.llm.client import CALL_SHARE, call_timeout
from agents.models import Request
from agents.network.budget import step_deadline
from agents.resilience.guard import Resilience
from agents.resilience.pool import AgentPool
from bot.config.settings import ConfigError, Settings, SlackConfig, StoreConfig, load_settings
from bot.runtime import Runtime
from bot.server.app import start_bot
from bot.slack.client import web_client
from handlers.app import build_app
from tests.fakes.anthropic_api import FakeAnthropic, fake_anthropic, overloaded, slow, text  # noqa: F401
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.claude_faults import DIAG, PLAN, QUESTION, SYNTH, close, supervisor
from tests.harness.metrics import scrape
from tests.harness.slack_bot import SECRET, Bot

FAST = RetryConfig(backoff_initial_s=0.001, backoff_max_s=0.005, jitter_s=0.0)
SONNET, HAIKU = "claude-sonnet-4-6", "claude-haiku-4-5"


# -- configuration ------------------------------------------------------------------------------


def test_size_form_stays_valid_and_binds_every_instance_to_the_specialists_tier():
    pool = AgentPool("diagnosis", PoolConfig(size=3), BreakerConfig())
    assert [i.binding for i in pool.instances] == [InstanceConfig()] * 3
    assert pool.instances[0].binding.describe() == "the specialist's tier @ default"


async def test_instances_form_sets_the_size_and_a_growing_pool_cycles_through_the_bindings():
    bindings = [InstanceConfig(tier="balanced"), InstanceConfig(tier="fast", endpoint="backup")]
    config = PoolConfig(instances=bindings, max_size=3)
    assert config.size == 2 and config.lower == 2 and config.upper == 3
    pool = AgentPool("diagnosis", config, BreakerConfig())
    held = [await pool.acquire() for _ in range(3)]  # the third finds both busy: the pool grows
    assert [(i.name, i.binding.tier, i.binding.endpoint) for i in held] == [
        ("diagnosis-1", "balanced", None), ("diagnosis-2", "fast", "backup"), ("diagnosis-3", "balanced", None)]


def test_an_instance_names_a_known_endpoint_and_tier(tmp_path):
    with pytest.raises(ValueError, match="names endpoint 'backup', which is not in resilience.endpoints"):
        ResilienceConfig(pools={"diagnosis": PoolConfig(instances=[InstanceConfig(endpoint="backup")])})
    path = tmp_path / "noc.yml"
    path.write_text(yaml.safe_dump({"resilience": {"pools": {"diagnosis": {"instances": [{"tier": "huge"}]}}}}))
    with pytest.raises(ConfigError, match=r"resilience.pools.diagnosis.instances\[0\]: tier 'huge' is not in llm.tiers"):
        load_settings(path)
    path.write_text(yaml.safe_dump({"resilience": {
        "endpoints": {"backup": {"base_url_env": "NOC_BACKUP_URL", "api_key_env": "NOC_BACKUP_KEY"}},
        "pools": {"diagnosis": {"strategy": "round_robin", "instances": [{"tier": "balanced"}, {"model": HAIKU, "endpoint": "backup"}]}}}}))
    loaded = load_settings(path).resilience
    assert loaded.pool_for("diagnosis").size == 2 and loaded.pool_for("config").size == 2  # the others keep their spec's size
    assert loaded.pool_for("diagnosis").binding(2) == InstanceConfig(model=HAIKU, endpoint="backup")


# -- failover through the running bot -----------------------------------------------------------


async def start_with(fake, tmp_path, resilience: ResilienceConfig) -> Bot:
    settings = Settings(llm=LLMConfig(router_confidence=0, follow_ups=0, max_retries=0), network=NetworkConfig(scenario="bgp-peer-down"),
                        resilience=resilience, store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"),
                        slack=SlackConfig(status_update_interval_s=0.2, post_backoff_s=0.01, progress="edit"))
    runtime = await Runtime.create(settings, web_client("xoxb-test", fake.api_url, 3))
    running = await start_bot(build_app(runtime, signing_secret=SECRET), runtime, host="127.0.0.1", port=0, app_token=None)
    return Bot(url=f"http://127.0.0.1:{running.port}", runtime=runtime, running=running)


@pytest.mark.parametrize("failure", ["overloaded", "endpoint_down"])
async def test_a_step_fails_over_to_an_instance_on_another_model_and_endpoint(fake_slack, tmp_path, monkeypatch, failure):
    """Instance 1 (Sonnet) fails: its endpoint answers 529, or is down. The step runs again on
    instance 2, bound to Haiku on another endpoint, and answers; /metrics shows both bindings,
    instance 1's open breaker and the endpoints' provider breakers."""
    with FakeAnthropic() as main, FakeAnthropic() as backup:
        main.script("planner", text(PLAN))
        main.script("synthesis", text(SYNTH))
        main.script("specialist:diagnosis", overloaded())
        backup.script("specialist:diagnosis", text(DIAG))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "key-main")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", main.url)
        monkeypatch.setenv("NOC_BACKUP_URL", backup.url)
        monkeypatch.setenv("NOC_BACKUP_KEY", "key-backup")
        endpoints = {"backup": EndpointConfig(base_url_env="NOC_BACKUP_URL", api_key_env="NOC_BACKUP_KEY")}
        first = InstanceConfig(tier="balanced")
        if failure == "endpoint_down":
            with FakeAnthropic() as gone:
                monkeypatch.setenv("NOC_DOWN_URL", gone.url)  # nothing listens there once it has stopped
            endpoints["down"] = EndpointConfig(base_url_env="NOC_DOWN_URL")
            first = InstanceConfig(tier="balanced", endpoint="down")
        pools = ResilienceConfig().pools | {"diagnosis": PoolConfig(strategy="round_robin", instances=[
            first, InstanceConfig(tier="fast", endpoint="backup")])}
        # one failure of any weight opens an instance's breaker; the provider breakers stay closed
        resilience = ResilienceConfig(pools=pools, endpoints=endpoints, retry=FAST, breaker=BreakerConfig(failure_threshold=0.5))
        bot = await start_with(fake_slack, tmp_path, resilience)
        try:
            event = app_mention_event(QUESTION, channel="C0NOC")
            await bot.post(event)
            await bot.settle()
            body = await scrape(bot.url)
        finally:
            await bot.running.stop(bot.runtime)

    thread = fake_slack.thread("C0NOC", event["event"]["ts"])
    assert any(DIAG.summary in str(m) for m in thread)  # Claude's report, not the offline analyst's
    [on_backup] = backup.requests_for("specialist:diagnosis")
    assert on_backup["model"] == HAIKU
    sent = backup.headers[0]  # the endpoint's own key, from its variable (the SDK sends it either way)
    assert sent.get("x-api-key") == "key-backup" or sent.get("authorization") == "Bearer key-backup"
    on_main = main.requests_for("specialist:diagnosis")
    if failure == "overloaded":
        assert [r["model"] for r in on_main] == [SONNET]
    else:
        assert on_main == []  # the down endpoint was tried instead: nothing reached the main server

    assert 'noc_agent_instance_info{agent="diagnosis",endpoint="backup",model="",pool_instance="diagnosis-2",tier="fast"} 1.0' in body
    first_endpoint = "default" if failure == "overloaded" else "down"
    assert (f'noc_agent_instance_info{{agent="diagnosis",endpoint="{first_endpoint}",model="",pool_instance="diagnosis-1",tier="balanced"}}'
            ' 1.0') in body
    kind = "overloaded" if failure == "overloaded" else "connection"
    assert f'noc_agent_failures_total{{agent="diagnosis",kind="{kind}",pool_instance="diagnosis-1"}} 1.0' in body
    assert 'noc_agent_tasks_total{agent="diagnosis",pool_instance="diagnosis-2",status="success"} 1.0' in body
    assert 'noc_agent_task_duration_seconds_count{agent="diagnosis",pool_instance="diagnosis-1"} 1.0' in body
    assert 'noc_agent_task_duration_seconds_count{agent="diagnosis",pool_instance="diagnosis-2"} 1.0' in body
    assert 'noc_breaker_state{breaker="diagnosis-1"} 2.0' in body and 'noc_breaker_state{breaker="diagnosis-2"} 0.0' in body
    assert 'noc_breaker_transitions_total{breaker="diagnosis-1",to="open"} 1.0' in body
    assert 'noc_breaker_state{breaker="llm-provider@backup"} 0.0' in body and 'noc_breaker_state{breaker="llm-provider"} 0.0' in body


async def test_an_open_endpoint_breaker_moves_the_step_to_another_endpoint(fake_anthropic, monkeypatch):
    """With one endpoint's provider breaker open, a pool on two endpoints still answers with Claude
    (a pool on one endpoint stops at once: test_resilience_claude's provider breaker test)."""
    api = fake_anthropic
    api.script("planner", text(PLAN))
    api.script("specialist:diagnosis", text(DIAG))
    api.script("synthesis", text(SYNTH))
    monkeypatch.setenv("NOC_SECOND_URL", api.url)
    monkeypatch.setenv("NOC_SECOND_KEY", "key-2")
    pools = ResilienceConfig().pools | {"diagnosis": PoolConfig(strategy="round_robin", instances=[
        InstanceConfig(endpoint="first"), InstanceConfig(endpoint="second")])}
    endpoints = {name: EndpointConfig(base_url_env="NOC_SECOND_URL", api_key_env="NOC_SECOND_KEY") for name in ("first", "second")}
    res = Resilience(ResilienceConfig(pools=pools, endpoints=endpoints, retry=FAST))
    res.provider_for("first").record_failure("auth")  # opens at once
    sup = supervisor(api, resilience=res)
    try:
        answer = await sup.run(Request.from_text(QUESTION))
    finally:
        await close(sup)
    diag = answer.responses[0]
    assert answer.status == "ok" and diag.engine == "claude" and diag.instance == "diagnosis-2"
    assert res.pools[diag.agent].instances[0].stats.failures == {"error": 1}  # its endpoint refused it
    assert len(api.requests_for("specialist:diagnosis")) == 1
    # The model's tokens and cost count on the instance that made the call, and only there.
    first, second = res.pools[diag.agent].instances[:2]
    assert second.stats.tokens > 0 and second.stats.cost_usd > 0 and first.stats.tokens == 0


# -- timeouts that fit together -----------------------------------------------------------------


async def test_a_claude_call_is_cut_to_what_is_left_of_its_step():
    assert call_timeout(60.0) == 60.0  # outside a step: llm.timeout_s
    with step_deadline(10.0):
        assert 0 < call_timeout(60.0) <= 10.0 * CALL_SHARE
        assert call_timeout(2.0) == 2.0  # a shorter configured timeout stands
        with step_deadline(100.0):  # a nested step ends with the enclosing one
            assert call_timeout(60.0) <= 10.0 * CALL_SHARE


async def test_a_step_never_times_out_while_its_call_may_still_run(fake_anthropic):
    """Every reply is slower than the step (and llm.timeout_s far longer): each call ends as that
    instance's Claude timeout before the step's own timeout, so no attempt is a step timeout."""
    api = fake_anthropic
    api.script("planner", text(PLAN))
    api.script("specialist:diagnosis", slow(2.0, text(DIAG)))
    api.script("synthesis", text(SYNTH))
    res = Resilience(ResilienceConfig(retry=FAST, provider_breaker=BreakerConfig(failure_threshold=100)))
    sup = supervisor(api, resilience=res, engine=EngineConfig(step_timeout_s=0.3), timeout_s=60.0, max_retries=2)
    try:
        answer = await sup.run(Request.from_text(QUESTION))
    finally:
        await close(sup)
    diag = answer.responses[0]
    assert diag.engine == "offline-fallback" and "all 3 attempt(s) failed" in diag.degraded
    assert diag.degraded.count("specialist:diagnosis: Anthropic API timed out after") == 3
    assert "timed out after 0.3s" not in diag.degraded  # the step's own timeout never fired
    assert all(i.stats.failures == {"timeout": 1} for i in res.pools[diag.agent].instances)


async def test_health_report_lists_each_bound_instance(tmp_path):
    from agents.tools import build_toolbox
    from bot.report.blocks import render_report
    from bot.report.build import ReportSources, build_report
    from bot.report.text import render_text
    from bot.store import Store

    pools = ResilienceConfig().pools | {"diagnosis": PoolConfig(instances=[InstanceConfig(tier="balanced"), InstanceConfig(model=HAIKU)])}
    settings = Settings(store=StoreConfig(url=f"sqlite:///{tmp_path / 'noc.db'}"), resilience=ResilienceConfig(pools=pools))
    store = await Store(settings.store.url).open()
    toolbox = build_toolbox(settings.network)
    try:
        report = await build_report(ReportSources(settings=settings, store=store, toolbox=toolbox, resilience=Resilience(settings.resilience)))
    finally:
        toolbox.gateway.close()
        await store.close()
    text_report = render_text(report)
    assert ("- diagnosis: 2 instance(s), 0 busy (min 2, max 2; grown 0, shrunk 0)\n    - diagnosis-1 tier balanced @ default\n"
            f"    - diagnosis-2 model {HAIKU} @ default") in text_report
    assert "config-1" not in text_report  # a pool of the size: form has nothing to list
    _, blocks = render_report(report)
    assert f"diagnosis-2 model {HAIKU} @ default" in str(blocks)
