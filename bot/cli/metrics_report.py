"""`noc metrics`: read a running bot's /metrics and print one row per agent instance."""

from __future__ import annotations

import csv
import io
import urllib.request
from collections import defaultdict
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

COLUMNS = ["agent", "instance", "total", "successes", "failures", "failures_by_kind", "success_rate", "latency_avg_s",
           "latency_p95_s", "tokens", "cost_usd", "health", "breaker", "binding"]
_HEALTH = {0: "healthy", 1: "degraded", 2: "failed"}
_BREAKER = {0: "closed", 1: "half_open", 2: "open"}


class MetricsUnavailable(Exception):
    pass


def fetch(url: str, timeout: float = 5.0) -> str:
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as resp:
            body: bytes = resp.read()  # urllib types the opened response as Any
            return body.decode("utf-8")
    except OSError as exc:
        raise MetricsUnavailable(f"cannot read {url}: {exc} (is `noc run` running, and is --url right?)") from None


def rows_from(text: str) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"failures_by_kind": {}})
    breakers: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if family.name == "noc_breaker_state":
                breakers[labels["breaker"]] = int(sample.value)
                continue
            if "agent" not in labels or "pool_instance" not in labels:
                continue
            row = rows[(labels["agent"], labels["pool_instance"])]
            row.update(agent=labels["agent"], instance=labels["pool_instance"])
            name, value = sample.name, sample.value
            if name == "noc_agent_tasks_total":
                row["successes" if labels["status"] == "success" else "failures"] = int(value)
            elif name == "noc_agent_failures_total":
                row["failures_by_kind"][labels["kind"]] = int(value)
            elif name == "noc_agent_success_ratio":
                row["success_rate"] = round(value, 3)
            elif name == "noc_agent_latency_avg_seconds":
                row["latency_avg_s"] = round(value, 3)
            elif name == "noc_agent_latency_p95_seconds":
                row["latency_p95_s"] = round(value, 3)
            elif name == "noc_agent_llm_tokens_total":
                row["tokens"] = int(value)
            elif name == "noc_agent_llm_cost_usd_total":
                row["cost_usd"] = round(value, 4)
            elif name == "noc_agent_health":
                row["health"] = _HEALTH.get(int(value), str(value))
            elif name == "noc_agent_instance_info":
                row["binding"] = ("/".join(v for v in (labels["tier"], labels["model"]) if v) or "specialist") + f"@{labels['endpoint']}"
    out = []
    for (_agent, instance), row in rows.items():
        row["total"] = row.get("successes", 0) + row.get("failures", 0)
        row["breaker"] = _BREAKER.get(breakers.get(instance, 0), "?")
        out.append({c: row.get(c, 0) for c in COLUMNS})
    return out


def render_table(rows: list[dict[str, Any]]) -> str:
    shown = [c for c in COLUMNS if c != "failures_by_kind"]
    cells = [[str(r[c]) for c in shown] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c) for i, c in enumerate(shown)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=False))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=False)) for row in cells]
    return "\n".join(lines)


def render_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow({**r, "failures_by_kind": ";".join(f"{k}={v}" for k, v in sorted(r["failures_by_kind"].items()))})
    return buf.getvalue().rstrip("\n")
