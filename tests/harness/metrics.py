"""/metrics as Prometheus reads it: scraping a running bot, the series names a query may use, and
the shipped Grafana dashboard's queries."""

from __future__ import annotations

import json
import re

import aiohttp

from tests.fakes.slack_api import app_mention_event
from tests.harness.paths import ROOT
from tests.harness.slack_bot import start


async def scrape(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


DASHBOARD = ROOT / "deploy" / "grafana" / "noc-chatops-dashboard.json"
METRIC = re.compile(r"\b(?:noc|process|python)_[a-z0-9_]+")


def exprs() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if "expr" in t]


def exported(text: str) -> tuple[set[str], dict[str, str]]:
    """Series names a query can use (from the TYPE lines, so families without samples yet count),
    and each family's type."""
    names, kinds = set(), {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            kinds[name] = kind
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(kind, [""])
            names |= {name.removesuffix("_total") + s if kind == "counter" else name + s for s in suffixes}
    return names, kinds


async def scrape_running_bot(fake_slack, tmp_path) -> str:
    bot = await start(fake_slack, tmp_path)
    try:
        await bot.post(app_mention_event("why is the branch office slow?"))  # a request, device reads, Slack calls
        await bot.settle()
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{bot.url}/alerts/generic", json={}) as resp:  # closed without NOC_ALERT_TOKEN
                assert resp.status == 401
            async with session.get(f"{bot.url}/metrics") as resp:
                return await resp.text()
    finally:
        await bot.running.stop(bot.runtime)
