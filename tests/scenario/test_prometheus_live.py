"""A real Prometheus scrapes a running `noc run`, evaluates the shipped alert rules, and a real
Alertmanager delivers them to the bot's /alerts/alertmanager with the bearer token (issue 28).

The conditions are real: the LLM provider (the loopback Anthropic fake) answers 529 until the
provider breaker opens, and the shared token budget was nearly spent by another replica (its
tokens are in the store before the bot starts). The bot triages each group in one thread of the
loopback Slack, Alertmanager's repeats post nothing new, and the breaker's recovery timeout
resolves its alert in the same thread. The Grafana dashboard's queries run against this
Prometheus without error.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone

import pytest

from bot.store import Store
from tests.fakes.anthropic_api import fake_anthropic, overloaded  # noqa: F401
from tests.fakes.slack_api import app_mention_event, fake_slack, post_signed  # noqa: F401
from tests.harness.live_monitoring import (
    get_json,
    needs_monitoring,
    query,
    quick_rules,
    start_alertmanager,
    start_prometheus,
    wait_until,
)
from tests.harness.metrics import exprs
from tests.harness.processes import free_port, stop, wait_healthz

pytestmark = [pytest.mark.slow, needs_monitoring]
SECRET = "0123456789abcdef0123456789abcdef"
TOKEN = "alert-token-for-the-live-test"
ALERTS = "C0ALERTS"


def seed_budget(url: str, tokens: int) -> None:
    """Another replica spent `tokens` of today's shared budget (the store is the ledger)."""
    async def run() -> None:
        store = await Store(url).open()
        try:
            await store.add_tokens(datetime.now(timezone.utc).date().isoformat(), tokens)
        finally:
            await store.close()
    asyncio.run(run())


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def roots(fake, name: str) -> list[dict]:
    return [m for m in fake.bot_messages(ALERTS) if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]
            if f"*{name}*" in (m.get("text") or "")]


def test_prometheus_and_alertmanager_drive_triage(fake_slack, fake_anthropic, tmp_path):
    url = f"sqlite:///{tmp_path / 'noc.db'}"
    seed_budget(url, 950)
    fake_anthropic.script(None, overloaded())
    port = free_port()
    config = tmp_path / "noc.yml"
    config.write_text(json.dumps({
        "store": {"url": url}, "network": {"scenario": "wan-congestion"}, "alerts": {"channel": ALERTS},
        "resilience": {"daily_token_budget": 1000,
                       "provider_breaker": {"failure_threshold": 2, "recovery_timeout_s": 20}},
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ANTHROPIC_"))}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token-123", "SLACK_API_URL": fake_slack.api_url, "SLACK_SIGNING_SECRET": SECRET,
                "NOC_CONFIG": str(config), "NO_PROXY": "*", "NOC_ALERT_TOKEN": TOKEN, **fake_anthropic.env()})
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", "--host", "127.0.0.1", "--port", str(port)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    services = []
    try:
        wait_healthz(port, bot, timeout=120)
        am = start_alertmanager(tmp_path, f"http://127.0.0.1:{port}/alerts/alertmanager", TOKEN)
        services.append(am)
        prom = start_prometheus(tmp_path, f"127.0.0.1:{port}", am.url, quick_rules(tmp_path))
        services.append(prom)
        procs = (bot, am.proc, prom.proc)

        def scrape() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                return resp.read().decode()

        # Questions while the provider answers 529: the provider breaker opens.
        def breaker_open() -> bool:
            if metric(scrape(), "noc_breaker_state", breaker="llm-provider") == 2:
                return True
            event = app_mention_event("why is the branch office slow?")
            assert post_signed(f"http://127.0.0.1:{port}/slack/events", event, SECRET)[0] == 200
            return False
        wait_until("the llm-provider breaker to open", breaker_open, timeout=120, procs=procs)

        # Prometheus fires both rules; Alertmanager groups and delivers them; one thread each.
        wait_until("NocBreakerOpen and NocLLMBudgetNearlySpent threads",
                   lambda: roots(fake_slack, "NocBreakerOpen") and roots(fake_slack, "NocLLMBudgetNearlySpent"),
                   timeout=90, procs=procs)
        [budget] = roots(fake_slack, "NocLLMBudgetNearlySpent")
        assert "95%" in budget["text"] and "(warning)" in budget["text"]
        [breaker] = roots(fake_slack, "NocBreakerOpen")
        assert "llm-provider" in breaker["text"] and "(high)" in breaker["text"]
        # The investigation's answer lands in each thread (the triage ran).
        wait_until("an investigation answer in the budget thread",
                   lambda: len(fake_slack.thread(ALERTS, budget["ts"])) >= 2, timeout=90, procs=procs)

        # Alertmanager repeats the still-firing group every 4 s: accepted, and nothing new is posted.
        accepted = metric(scrape(), "noc_alerts_received_total", endpoint="alertmanager", outcome="accepted")
        wait_until("two repeats", lambda: metric(scrape(), "noc_alerts_received_total", endpoint="alertmanager",
                                                 outcome="accepted") >= accepted + 2, timeout=60, procs=procs)
        assert len(roots(fake_slack, "NocLLMBudgetNearlySpent")) == 1 and len(roots(fake_slack, "NocBreakerOpen")) == 1
        assert metric(scrape(), "noc_alerts_received_total", endpoint="alertmanager", outcome="rejected") == 0

        # The breaker goes half-open after its recovery timeout: Prometheus resolves, the thread says so.
        wait_until("the breaker alert resolved in its thread",
                   lambda: any("*Resolved*: NocBreakerOpen" in (m.get("text") or "") for m in fake_slack.thread(ALERTS, breaker["ts"])),
                   timeout=90, procs=procs)
        assert not any("Resolved" in (m.get("text") or "") for m in fake_slack.thread(ALERTS, budget["ts"]))

        # Every query of the Grafana dashboard runs on the real Prometheus without error.
        used_ranges = {"$__range": "1h", "$__rate_interval": "1m", "$__interval": "15s", "$agent": ".+"}
        for expr in exprs():
            for var, value in used_ranges.items():
                expr = expr.replace(var, value)
            assert "$" not in expr, expr
            answer = query(prom.url, expr)
            assert answer["status"] == "success", (expr, answer)
        agents = get_json(f"{prom.url}/api/v1/label/agent/values?match[]=noc_agent_tasks_total")
        assert agents["status"] == "success" and agents["data"], "the dashboard's agent variable lists no agent"
        assert query(prom.url, "max by (breaker) (noc_breaker_state)")["data"]["result"]
        percent = query(prom.url, "max(noc_llm_budget_used_tokens) / max(noc_llm_budget_limit_tokens) * 100")
        assert float(percent["data"]["result"][0]["value"][1]) >= 95
    finally:
        for service in reversed(services):
            service.stop()
        code = stop(bot)
    stderr = bot.stderr.read()
    assert code == 0, stderr
    assert TOKEN not in stderr

