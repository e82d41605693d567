"""The shipped Grafana dashboard only queries metrics the bot exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agents.config import ResilienceConfig
from agents.resilience.guard import Resilience
from bot.metrics import exposition, registry_for

DASHBOARD = Path(__file__).parent.parent / "deploy" / "grafana" / "noc-chatops-dashboard.json"


def exported_names() -> set[str]:
    """Series names from the exposition's TYPE lines (families without samples yet count too)."""
    text = exposition(registry_for(Resilience(ResilienceConfig()))).decode()
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(kind, [""])
            names |= {name.removesuffix("_total") + s if kind == "counter" else name + s for s in suffixes}
    return names


def test_dashboard_queries_only_exported_metrics():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", []) if "expr" in t]
    assert len(exprs) > 10
    used = {m for e in exprs for m in re.findall(r"\bnoc_[a-z0-9_]+", e)}
    assert used and used <= exported_names(), used - exported_names()
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
