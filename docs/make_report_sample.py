"""Regenerate the report sample in this folder: `python docs/make_report_sample.py`.

It builds two daily reports on the embedded lab with an injected clock, the first on the
healthy network (the baseline), the second a day later on the `bgp-peer-down` scenario, after a
week of made-up agent runs, a night-time breaker episode and an expensive day. It writes
`health-report-sample.md` (the Slack message as text, then the full report that is uploaded
into its thread) and `health-report-chart.png` (the chart uploaded next to it). No Slack, no
network, no API key.
"""

from __future__ import annotations

import asyncio
import random
import re
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from agents.config import NetworkConfig
from agents.tools import build_toolbox
from bot.config.settings import AlertsConfig, ReportConfig, Settings, StoreConfig
from bot.report.blocks import render_report
from bot.report.build import ReportSources, build_report
from bot.report.chart import render_chart
from bot.report.text import render_text
from bot.store import Store, schema

HERE = Path(__file__).resolve().parent
TZ = ZoneInfo("Europe/Berlin")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ).timestamp()


async def seed(store: Store, owner: str) -> None:
    rng = random.Random(11)
    runs = []
    for day in range(22, 29):
        for agent, instances, base in (("diagnosis", 3, 2.0), ("performance", 2, 3.0), ("security", 2, 1.5), ("config", 2, 1.2)):
            for i in range(rng.randint(12, 30)):
                worse = agent == "diagnosis" and day >= 27
                failed = rng.random() < (0.2 if worse else 0.03)
                runs.append(dict(request_id=f"{agent}{day}{i}", at=at(day, 8, 0) + i * 1500, agent=agent,
                                 instance=f"{agent}-{1 + i % instances}", status="failed" if failed else "success",
                                 failure_kind=rng.choice(["timeout", "overloaded"]) if failed else None,
                                 duration_s=round(base * (1.8 if worse else 1.0) * rng.uniform(0.5, 2.2), 3),
                                 tokens=rng.randint(2000, 9000), cost_usd=round(rng.uniform(0.01, 0.09), 4)))
    async with store.engine.begin() as conn:
        await conn.execute(insert(schema.agent_runs), runs)
        await conn.execute(insert(schema.requests).values(id="3f9c1a7be210", created_at=at(27, 14), status="answered",
                                                           source="slash", question="-", tokens=1_650_000, cost_usd=231.40))
    for breaker, state_from, state_to, when, reason in (
            ("llm-provider", "closed", "open", at(28, 3, 12), "weighted failures 5 >= 5 within 60s (last: overloaded)"),
            ("llm-provider", "open", "half_open", at(28, 3, 13), "recovery timeout of 30s elapsed"),
            ("llm-provider", "half_open", "closed", at(28, 3, 16), "trial call succeeded"),
            ("diagnosis-2", "closed", "open", at(28, 8, 41), "weighted failures 3 >= 3 within 60s (last: timeout)")):
        await store.record_breaker_transition(f"{breaker}@{owner}", state_from, state_to, reason, at=when)
    await store.record_received("b71d04e9a3c5", question="-", source="mention")
    await store.mark_failed("b71d04e9a3c5", "the analysis failed (TimeoutError)")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(at(27, 9))
        settings = Settings(store=StoreConfig(url=f"sqlite:///{tmp}/noc.db"),
                            report=ReportConfig(channel="C0NOCREPORT", timezone="Europe/Berlin"),
                            alerts=AlertsConfig(channel="C0NOCALERTS"))
        store = await Store(settings.store.url, clock=clock).open()
        try:
            healthy = build_toolbox(NetworkConfig(scenario="healthy"))
            await build_report(ReportSources(settings, store, healthy, clock=clock), kind="daily", day="2026-03-27")
            healthy.gateway.close()
            await seed(store, store.owner)
            clock.t = at(28, 9)
            broken = build_toolbox(NetworkConfig(scenario="bgp-peer-down"))
            report = await build_report(ReportSources(settings, store, broken, clock=clock), kind="daily", day="2026-03-28")
            broken.gateway.close()
        finally:
            await store.close()
    _, blocks = render_report(report)
    slack = []
    for block in blocks:
        if block["type"] == "header":
            slack.append(f"**{block['text']['text']}**")
        elif block["type"] == "divider":
            slack.append("---")
        elif block["type"] == "context":
            slack.append(f"_{block['elements'][0]['text']}_")
        else:
            slack.append(block["text"]["text"])
    (HERE / "health-report-chart.png").write_bytes(render_chart(report.agents))
    (HERE / "health-report-sample.md").write_text(
        "# Sample daily health report\n\n"
        "Made by `docs/make_report_sample.py` on the embedded lab (`bgp-peer-down`, compared with the day before on\n"
        "the healthy network), with made-up agent history. Slack shows the message below; its thread holds the chart\n"
        "and the full report.\n\n## The message in the channel (Block Kit, shown as its mrkdwn text)\n\n```text\n"
        + "\n".join(slack) + "\n```\n\n## In its thread: the chart\n\n![agent health chart](health-report-chart.png)\n\n"
        "## In its thread: the full report (a file)\n\n" + re.sub(r"^#", "###", render_text(report), flags=re.M) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
