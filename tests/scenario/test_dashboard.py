"""The shipped Grafana dashboard queries exactly what a running bot's /metrics exports, and the
metrics follow Prometheus' naming conventions (issue 26)."""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.slack_api import (
    fake_slack,  # noqa: F401
)
from tests.harness.metrics import METRIC, exported, exprs, scrape_running_bot


async def test_every_dashboard_query_uses_metrics_a_running_bot_exports(fake_slack, tmp_path):
    text = await scrape_running_bot(fake_slack, tmp_path)
    names, _ = exported(text)
    queries = exprs()
    assert len(queries) > 20
    used = {m for e in queries for m in METRIC.findall(e)}
    assert used <= names, sorted(used - names)
    # the panels added for issue 26 have data after one request
    samples = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples["noc_requests_total"].labels == {"source": "mention", "outcome": "ok"}
    assert any(s.name == "noc_device_reads_total" and s.labels["outcome"] == "ok"
               for f in text_string_to_metric_families(text) for s in f.samples)
    assert 'noc_alerts_received_total{endpoint="generic",outcome="rejected"} 1.0' in text
    assert 'noc_http_requests_total{code="200",route="/slack/events"} 1.0' in text
    assert samples["process_resident_memory_bytes"].value > 0


async def test_metrics_follow_prometheus_conventions(fake_slack, tmp_path):
    text = await scrape_running_bot(fake_slack, tmp_path)
    _, kinds = exported(text)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            # Prometheus sets instance and job for the scrape target: ours would be renamed exported_*
            assert not {"instance", "job"} & set(sample.labels), (sample.name, sample.labels)
    for name, kind in kinds.items():
        if kind == "counter":
            assert name.endswith("_total"), name
        if kind == "histogram":  # the unit last: durations in seconds, shares (confidence) as a ratio
            assert name.endswith(("_seconds", "_ratio")), name
        if name.startswith("noc_") and kind == "gauge":  # a unit, or a count / state / info gauge named as such
            assert re.search(r"_(seconds|bytes|tokens|usd|ratio|info|size|state|health|in_flight|queued)$", name), name


def test_budget_panels_do_not_add_up_the_replicas():
    """Every replica reports the shared budget's total: summing them counts it once per replica."""
    budget = [e for e in exprs() if "noc_llm_budget" in e]
    assert budget and all(not re.search(r"sum\s*(by\s*\([^)]*\)\s*)?\(\s*noc_llm_budget", e) for e in budget), budget
