"""Prometheus metrics, computed at scrape time from the runtime's own bookkeeping.

A custom collector reads the pools, breakers, budget and LLM counters when Prometheus scrapes,
so the numbers on /metrics are by construction the ones the health report and the breakers
use (no second set of counters to drift). Task durations are the pools' own prometheus_client
Histogram (`Resilience.durations`), added to the registry as it is, and so is the answer
confidence histogram (`Resilience.confidence`, `noc_answer_confidence{agent}`). Each runtime has its own
registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from agents.resilience.guard import DEFAULT_ENDPOINT, Resilience

HEALTH_LEVEL = {"healthy": 0, "degraded": 1, "failed": 2}


class NocCollector(Collector):
    def __init__(self, resilience: Resilience) -> None:
        self.resilience = resilience

    def collect(self):
        r = self.resilience
        labels = ["agent", "instance"]
        tasks = CounterMetricFamily("noc_agent_tasks", "Specialist tasks by outcome", labels=labels + ["status"])
        failures = CounterMetricFamily("noc_agent_failures", "Failed specialist tasks by kind", labels=labels + ["kind"])
        binding = GaugeMetricFamily("noc_agent_instance_binding", "1 per instance: its model tier and model (empty: the "
                                    "specialist's tier), and endpoint", labels=labels + ["tier", "model", "endpoint"])
        rate = GaugeMetricFamily("noc_agent_success_rate", "Recent success rate (last 50 tasks)", labels=labels)
        avg = GaugeMetricFamily("noc_agent_latency_avg_seconds", "Average task latency (last 50)", labels=labels)
        p95 = GaugeMetricFamily("noc_agent_latency_p95_seconds", "95th percentile task latency (last 50)", labels=labels)
        health = GaugeMetricFamily("noc_agent_health", "0 healthy, 1 degraded, 2 failed", labels=labels)
        tokens = CounterMetricFamily("noc_agent_llm_tokens", "LLM input+output tokens used by the instance", labels=labels)
        cost = CounterMetricFamily("noc_agent_llm_cost_usd", "LLM cost of the instance in USD", labels=labels)
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

        llm_tokens = CounterMetricFamily("noc_llm_tokens", "LLM tokens by model and type", labels=["model", "type"])
        for (model, kind), n in sorted(r.llm_tokens.items()):
            llm_tokens.add_metric([model, kind], n)
        yield llm_tokens
        llm_cost = CounterMetricFamily("noc_llm_cost_usd", "LLM cost in USD", labels=["model"])
        for model, usd in sorted(r.llm_cost.items()):
            llm_cost.add_metric([model], usd)
        yield llm_cost
        yield GaugeMetricFamily("noc_llm_budget_tokens_used", "Tokens used today against the daily budget", value=r.budget.used)
        yield GaugeMetricFamily("noc_llm_budget_tokens_limit", "Daily token budget (0 = unlimited)", value=r.budget.limit_tokens)
        yield GaugeMetricFamily("noc_requests_in_flight", "Requests being answered", value=r.requests.active)
        yield GaugeMetricFamily("noc_requests_queued", "Requests waiting for a slot", value=r.requests.queued)


def registry_for(resilience: Resilience) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NocCollector(resilience))
    registry.register(resilience.durations)
    registry.register(resilience.confidence)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
