"""Prometheus metrics, computed at scrape time from the runtime's own bookkeeping.

A custom collector reads the pools, breakers, budget and LLM counters when Prometheus scrapes,
so the numbers on /metrics are by construction the ones the health report and the breakers
use (no second set of counters to drift). Task durations are the pools' own prometheus_client
Histogram (`Resilience.durations`), added to the registry as it is, and so is the answer
confidence histogram (`Resilience.confidence`, `noc_answer_confidence_ratio{agent}`). Each runtime has its own
registry.

Names follow Prometheus' conventions (issue 26): the unit last (`_seconds`, `_tokens`, `_usd`,
`_ratio`), `_total` on counters, `_info` on a metric that carries labels only, and no label
named `instance` or `job` (Prometheus sets those for the scrape target, and renames ours to
`exported_instance`): a specialist's pool instance is `pool_instance`. The bot's own events
(requests, HTTP requests, alerts) are prometheus_client metrics in `BotMetrics`; Slack's answers
and device reads are counted where they happen and read here; the process collector adds
`process_*` (CPU, memory, file descriptors, start time).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from agents.resilience.guard import DEFAULT_ENDPOINT, Resilience

# No `<name>_created` gauge beside every counter and histogram: in the text format they are a
# second series per label set that no query uses (Prometheus itself ignores them there).
disable_created_metrics()  # type: ignore[no-untyped-call]  # prometheus_client leaves this one unannotated

REQUEST_BUCKETS_S = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)  # a question: offline in ms, with Claude in tens of s
HTTP_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)  # Slack wants its ack within 3 s


class BotMetrics:
    """The bot's own event metrics, one set per runtime (tests run several runtimes in a process)."""

    def __init__(self) -> None:
        self.requests = Counter("noc_requests", "Requests answered, by where they came from and outcome "
                                "(ok, partial, degraded, failed, error, cancelled)", ["source", "outcome"], registry=None)
        self.request_duration = Histogram("noc_request_duration_seconds", "Time from starting a request to its answer "
                                          "posted", ["source", "outcome"], buckets=REQUEST_BUCKETS_S, registry=None)
        self.http_requests = Counter("noc_http_requests", "HTTP requests served, by route and status code",
                                     ["route", "code"], registry=None)
        self.http_duration = Histogram("noc_http_request_duration_seconds", "HTTP response time by route (Slack's ack "
                                       "included)", ["route"], buckets=HTTP_BUCKETS_S, registry=None)
        self.alerts = Counter("noc_alerts_received", "Alert notifications received, by endpoint and outcome "
                              "(accepted, rejected)", ["endpoint", "outcome"], registry=None)
        # Set by the heartbeat (bot.durability.heartbeat): 0 after a beat the store took, 2 after one it refused
        # (the levels of noc_agent_health). Alert rule NocStoreUnreachable (deploy/prometheus/) reads it.
        self.store_health = Gauge("noc_store_health", "0 when the store took this process's last heartbeat, 2 when "
                                  "it refused it", registry=None)

    def collectors(self) -> list[Collector]:
        return [self.requests, self.request_duration, self.http_requests, self.http_duration, self.alerts, self.store_health]

    def store_seen(self, ok: bool) -> None:
        self.store_health.set(HEALTH_LEVEL["healthy" if ok else "failed"])

    def request_done(self, source: str, outcome: str, seconds: float) -> None:
        self.requests.labels(source or "unknown", outcome).inc()
        self.request_duration.labels(source or "unknown", outcome).observe(seconds)

HEALTH_LEVEL = {"healthy": 0, "degraded": 1, "failed": 2}


class SlackCounts(Protocol):
    """What the collector reads of bot.slack.client.SlackCallObserver (metrics sits below bot.slack)."""

    @property
    def rate_limited(self) -> Mapping[str, int]: ...

    @property
    def errors(self) -> Mapping[tuple[str, str], int]: ...


class ReadCounts(Protocol):
    """What the collector reads of agents.network.gateway.Gateway: reads by (read, outcome)."""

    @property
    def outcomes(self) -> Mapping[tuple[str, str], int]: ...


class NocCollector(Collector):
    def __init__(self, resilience: Resilience, slack: SlackCounts | None = None,
                 gateway: ReadCounts | None = None) -> None:
        self.resilience = resilience
        self.slack = slack
        self.gateway = gateway

    def collect(self) -> Iterator[Metric]:
        r = self.resilience
        labels = ["agent", "pool_instance"]
        tasks = CounterMetricFamily("noc_agent_tasks", "Specialist tasks by outcome", labels=labels + ["status"])
        failures = CounterMetricFamily("noc_agent_failures", "Failed specialist tasks by kind", labels=labels + ["kind"])
        binding = GaugeMetricFamily("noc_agent_instance_info", "1 per instance: its model tier and model (empty: the "
                                    "specialist's tier), and endpoint", labels=labels + ["tier", "model", "endpoint"])
        rate = GaugeMetricFamily("noc_agent_success_ratio", "Recent success rate, 0-1 (last 50 tasks)", labels=labels)
        avg = GaugeMetricFamily("noc_agent_latency_avg_seconds", "Average task latency (last 50)", labels=labels)
        p95 = GaugeMetricFamily("noc_agent_latency_p95_seconds", "95th percentile task latency (last 50)", labels=labels)
        health = GaugeMetricFamily("noc_agent_health", "0 healthy, 1 degraded, 2 failed", labels=labels)
        tokens = CounterMetricFamily("noc_agent_llm_tokens", "LLM input+output tokens used by the instance", labels=labels, unit="tokens")
        cost = CounterMetricFamily("noc_agent_llm_cost_usd", "LLM cost of the instance in USD", labels=labels, unit="usd")
        in_flight = GaugeMetricFamily("noc_agent_in_flight", "Tasks running on the instance", labels=labels)
        for agent, pool in r.pools.items():
            for inst in pool.instances:
                key = [agent.value, inst.name]
                st = inst.stats
                tasks.add_metric(key + ["success"], st.successes)
                tasks.add_metric(key + ["failure"], st.failed)
                for kind, n in st.failures.items():
                    failures.add_metric(key + [kind], n)
                bound = inst.binding
                binding.add_metric(key + [bound.tier or "", bound.model or "", bound.endpoint or DEFAULT_ENDPOINT], 1)
                rate.add_metric(key, st.success_rate)
                avg.add_metric(key, st.latency_avg)
                p95.add_metric(key, st.latency_p95)
                health.add_metric(key, HEALTH_LEVEL[inst.health])
                tokens.add_metric(key, st.tokens)
                cost.add_metric(key, st.cost_usd)
                in_flight.add_metric(key, inst.in_flight)
        yield from (tasks, failures, binding, rate, avg, p95, health, tokens, cost, in_flight)

        size = GaugeMetricFamily("noc_agent_pool_size", "Instances in the specialist's pool now", labels=["agent"])
        low = GaugeMetricFamily("noc_agent_pool_min_size", "Smallest the pool shrinks to", labels=["agent"])
        high = GaugeMetricFamily("noc_agent_pool_max_size", "Largest the pool grows to", labels=["agent"])
        resizes = CounterMetricFamily("noc_agent_pool_resizes", "Instances added (grow) or removed (shrink)", labels=["agent", "direction"])
        for agent, pool in r.pools.items():
            size.add_metric([agent.value], pool.size)
            low.add_metric([agent.value], pool.min_size)
            high.add_metric([agent.value], pool.max_size)
            for direction in ("grow", "shrink"):
                resizes.add_metric([agent.value, direction], pool.resizes[direction])
        yield from (size, low, high, resizes)

        state = GaugeMetricFamily("noc_breaker_state", "0 closed, 1 half-open, 2 open", labels=["breaker"])
        for b in r.breakers():
            state.add_metric([b.name], b.current_state().level)
        yield state
        transitions = CounterMetricFamily("noc_breaker_transitions", "Breaker state changes", labels=["breaker", "to"])
        for (name, to), n in sorted(r.transitions.items()):
            transitions.add_metric([name, to], n)
        yield transitions

        llm_tokens = CounterMetricFamily("noc_llm_tokens", "LLM tokens by model and type", labels=["model", "type"], unit="tokens")
        for (model, kind), n in sorted(r.llm_tokens.items()):
            llm_tokens.add_metric([model, kind], n)
        yield llm_tokens
        llm_cost = CounterMetricFamily("noc_llm_cost_usd", "LLM cost in USD", labels=["model"], unit="usd")
        for model, usd in sorted(r.llm_cost.items()):
            llm_cost.add_metric([model], usd)
        yield llm_cost
        # The budget is shared by the replicas (kept in the store): every replica reports the same
        # total, so a panel takes max() across replicas, never sum().
        yield GaugeMetricFamily("noc_llm_budget_used_tokens", "Tokens used today against the daily budget (shared by "
                                "all replicas)", value=r.budget.used)
        yield GaugeMetricFamily("noc_llm_budget_limit_tokens", "Daily token budget (0 = unlimited)", value=r.budget.limit_tokens)
        yield GaugeMetricFamily("noc_requests_in_flight", "Requests being answered", value=r.requests.active)
        yield GaugeMetricFamily("noc_requests_queued", "Requests waiting for a slot", value=r.requests.queued)
        yield from self._slack_and_devices()

    def _slack_and_devices(self) -> Iterator[Metric]:
        limited = CounterMetricFamily("noc_slack_api_rate_limited", "Slack Web API answers 429 (each retry counts)",
                                      labels=["method"])
        errors = CounterMetricFamily("noc_slack_api_errors", "Slack Web API errors (ok: false, 5xx, no answer)",
                                     labels=["method", "error"])
        if self.slack is not None:
            for method, n in sorted(self.slack.rate_limited.items()):
                limited.add_metric([method], n)
            for (method, error), n in sorted(self.slack.errors.items()):
                errors.add_metric([method, error], n)
        reads = CounterMetricFamily("noc_device_reads", "Device reads by read and outcome (ok, cached, or the error: "
                                    "timeout, auth, connection, parse, ...)", labels=["read", "outcome"])
        if self.gateway is not None:
            for (read, outcome), n in sorted(self.gateway.outcomes.items()):
                reads.add_metric([read, outcome], n)
        yield from (limited, errors, reads)


def registry_for(resilience: Resilience, *, bot: BotMetrics | None = None, slack: SlackCounts | None = None,
                 gateway: ReadCounts | None = None,
                 process: bool = False) -> CollectorRegistry:
    """The registry /metrics serves: the collector, the task durations, the bot's own metrics and
    (`process`: the running bot) the process and platform collectors."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NocCollector(resilience, slack, gateway))
    registry.register(resilience.durations)
    registry.register(resilience.confidence)
    for collector in (bot or BotMetrics()).collectors():
        registry.register(collector)
    if process:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
