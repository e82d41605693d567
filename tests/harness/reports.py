"""The daily report's runtime on an injected clock: every clock (store, resilience, report,
scheduler, alert watcher) is one hand-wound `Clock`, so report tests neither sleep nor time."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from agents.config import NetworkConfig
from agents.engine import build_engine
from agents.resilience.guard import Resilience
from agents.tools import build_toolbox
from bot.config.settings import AlertsConfig, ReportConfig, Settings, SlackConfig, StoreConfig
from bot.runtime import Runtime
from bot.scheduler import Scheduler
from bot.slack.client import web_client
from bot.store import Store

BERLIN = ZoneInfo("Europe/Berlin")
REPORT, ALERTS = "C0NOCREPORT", "C0NOCALERTS"


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def at(self, when: datetime) -> None:
        self.t = when.timestamp()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def make_settings(tmp_path, *, scenario: str = "bgp-peer-down", store_url: str | None = None, **report) -> Settings:
    return Settings(network=NetworkConfig(scenario=scenario), store=StoreConfig(url=store_url or f"sqlite:///{tmp_path / 'noc.db'}"),
                    slack=SlackConfig(status_update_interval_s=0.05, post_backoff_s=0.01),
                    report=ReportConfig(channel=REPORT, timezone="Europe/Berlin", **report),
                    alerts=AlertsConfig(channel=ALERTS, min_runs=3))


async def make_runtime(settings: Settings, fake, clock: Clock, *, resilience: Resilience | None = None, model=None) -> Runtime:
    """A runtime whose every clock is `clock` (the store's, the report's, the breakers' wall clock);
    on Claude through `model` (an SDK client) when one is given, else on the engine the settings call for."""
    store = await Store(settings.store.url, clock=clock).open()
    resilience = resilience or Resilience(settings.resilience, wall_clock=clock)
    toolbox = build_toolbox(settings.network)
    engine = build_engine(settings, toolbox, resilience=resilience, model=model) if model is not None else None
    runtime = Runtime(settings, web_client("xoxb-test", fake.api_url, 3), store, toolbox, resilience, engine)
    runtime.reports.sources.clock = clock
    runtime.alerts.clock = clock
    runtime.scheduler = Scheduler(settings, store, runtime.post_daily_report, watch=runtime.alerts.check_success_rates,
                                  clock=clock)
    return runtime


def blocks_text(message: dict) -> str:
    return json.dumps(message.get("blocks") or [])
