"""Building the health report: sweep, compare, read the store, in the order the report reads.

The same builder serves the daily job, `/noc-health` and `noc health`, so all three show the
same sections. Every report stores its sweep and the devices' redacted configs; the next
report compares with the last *daily* sweep (an on-demand report in between does not move the
baseline the morning report is compared with).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agents.models import new_id
from agents.tools.network import Toolbox
from bot.report.agent_health import DAY_S, agents_section
from bot.report.alert_items import alert_items
from bot.report.changes import compare, drift_summary, triaged_alerts
from bot.report.model import HealthReport, PoolSize
from bot.report.sweep import Progress, sweep_network

DAILY_PREFIX = "report:daily:"


@dataclass
class ReportSources:
    """What a report reads: settings, the store, the network; the live breakers when in `noc run`."""

    settings: Any
    store: Any
    toolbox: Toolbox
    resilience: Any = None
    clock: Callable[[], float] = time.time


async def build_report(src: ReportSources, *, kind: str = "on-demand", day: str | None = None,
                       progress: Progress | None = None) -> HealthReport:
    now = src.clock()
    tz = ZoneInfo(src.settings.report.timezone)
    day = day or datetime.fromtimestamp(now, tz).date().isoformat()
    store = src.store

    network, configs = await sweep_network(src.toolbox, src.settings.network, progress)
    previous = (await store.last_health_sweep(before=now, prefix=DAILY_PREFIX)
                or await store.last_health_sweep(before=now, prefix="report:"))
    await store.record_config_snapshots(configs)
    since = previous["at"] if previous else now - DAY_S
    drift = [drift_summary(d["device"], d["at"], d["old_text"], d["new_text"]) for d in await store.config_drift(since)]
    changes = compare(previous, network.devices, drift)
    changes.alerts = await triaged_alerts(store, since=now - DAY_S)
    run_id = f"{DAILY_PREFIX}{day}" if kind == "daily" else f"report:on-demand:{new_id()}"
    await store.record_health_sweep({"devices": [r.model_dump(mode="json") for r in network.devices]},
                                    devices=network.checked, unhealthy=len(network.attention), request_id=run_id)

    agents = await agents_section(store, now, tz)
    if src.resilience is not None:
        bound = {agent.value: [f"{i.name} {i.binding.describe()}" for i in pool.instances] if pool.config.instances else []
                 for agent, pool in src.resilience.pools.items()}
        agents.pools = [PoolSize(agent=name, bindings=bound.get(name, []), **sizes)
                        for name, sizes in src.resilience.snapshot()["pools"].items()]
    alerts = await alert_items(store, src.settings, now, agents.rows, resilience=src.resilience)
    return HealthReport(kind=kind, day=day, timezone=str(tz), generated_at=now,
                        generated_local=datetime.fromtimestamp(now, tz).strftime("%Y-%m-%d %H:%M %Z"),
                        alerts=alerts, network=network, changes=changes, agents=agents,
                        chart_filename=f"agent-health-{day}.png")
