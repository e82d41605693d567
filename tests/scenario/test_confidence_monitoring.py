"""Answer confidence in monitoring (issue 30): a histogram per specialist on /metrics
(`noc_answer_confidence_ratio{agent}`) and its distribution in the daily report, both read after
questions asked through the running bot (mentions over HTTP, loopback Slack)."""

from __future__ import annotations

import statistics

from prometheus_client.parser import text_string_to_metric_families

from bot.cli.metrics_report import rows_from
from bot.report.agent_health import confidence_rows
from tests.fakes.slack_api import app_mention_event, fake_slack  # noqa: F401
from tests.harness.metrics import scrape
from tests.harness.slack_bot import start

REPORT = "C0NOCREPORT"


async def test_confidence_histogram_on_metrics_and_in_the_report(fake_slack, tmp_path):
    bot = await start(fake_slack, tmp_path, progress="edit")
    try:
        for n, question in enumerate(["why is the branch office slow?", "is bgp up on edge-rtr-01?"]):
            await bot.post(app_mention_event(question, ts=f"1700000{n:03d}.000200"))
            await bot.settle()
        body = await scrape(bot.url)
        runs = await bot.runtime.store.agent_runs_between(0)
        report, ts = await bot.runtime.reports.publish(REPORT, kind="on-demand")
    finally:
        await bot.running.stop(bot.runtime)

    answered = [r for r in runs if r["status"] in ("success", "partial")]
    assert answered, "the questions ran specialists"
    stored: dict[str, list[float]] = {}
    for r in answered:
        stored.setdefault(r["agent"], []).append(r["confidence"])

    [family] = [f for f in text_string_to_metric_families(body) if f.name == "noc_answer_confidence_ratio"]
    assert family.type == "histogram"
    samples = family.samples
    assert all(set(s.labels) <= {"agent", "le"} for s in samples)  # no reserved `instance`/`job` label
    counts = {s.labels["agent"]: s.value for s in samples if s.name.endswith("_count")}
    sums = {s.labels["agent"]: s.value for s in samples if s.name.endswith("_sum")}
    # every answer counts, a plan step's or a sub-question another specialist asked: as many as
    # the pools' successful tasks; the store keeps the plan steps, a subset
    successes: dict[str, int] = {}
    for row in rows_from(body):
        successes[row["agent"]] = successes.get(row["agent"], 0) + row.get("successes", 0)
    assert counts == {agent: n for agent, n in successes.items() if n}
    assert all(counts[agent] >= len(v) for agent, v in stored.items())
    matched = []
    for agent, n in counts.items():
        buckets = {float(s.labels["le"]): s.value for s in samples if s.name.endswith("_bucket") and s.labels["agent"] == agent}
        assert sorted(buckets) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, float("inf")]
        assert buckets[1.0] == n and list(buckets.values()) == sorted(buckets.values())
        assert 0 < sums[agent] <= n
        if agent in stored and n == len(stored[agent]):  # only plan steps: the same answers as the store's
            values = stored[agent]
            matched.append(agent)
            assert abs(sums[agent] - sum(values)) < 1e-6 and buckets[0.5] == sum(1 for v in values if v <= 0.5)
    assert "diagnosis" in matched

    rows = {c.agent: c for c in report.agents.confidence}
    assert set(rows) == set(stored)
    for agent, values in stored.items():
        assert rows[agent].answers == len(values) and sum(rows[agent].bands.values()) == len(values)
        assert abs(rows[agent].median - statistics.median(values)) < 1e-3
    posted = str(fake_slack.messages[(REPORT, ts)].get("blocks"))
    assert "Answer confidence (24 h)" in posted and f"median {rows['performance'].median:.2f}" in posted
    markdown = "".join(f["content"].decode() for f in fake_slack.files.values() if f["filename"].endswith(".md"))
    assert "### Answer confidence (24 h, per specialist)" in markdown


def test_confidence_rows_bands_median_and_low_tail():
    now = 1_000_000.0
    runs = [dict(at=now - 10, agent="diagnosis", status="success", confidence=c) for c in (0.2, 0.5, 0.7, 0.9, 0.95)]
    runs += [dict(at=now - 10, agent="diagnosis", status="failed", confidence=0.0),  # a failure has no answer
             dict(at=now - 90_000, agent="diagnosis", status="success", confidence=0.1),  # older than 24 h
             dict(at=now - 10, agent="security", status="partial", confidence=0.6)]
    [diag, sec] = confidence_rows(runs, since=now - 86_400)
    assert (diag.agent, diag.answers, diag.median, diag.low) == ("diagnosis", 5, 0.7, 0.2)
    assert diag.bands == {"under 0.5": 1, "0.5-0.7": 1, "0.7-0.9": 1, "0.9 and up": 2}
    assert (sec.answers, sec.bands["0.5-0.7"]) == (1, 1)
