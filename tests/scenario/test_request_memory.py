"""Shared request memory (issue 30): within one request a device read or a sub-question to another
specialist is answered once, every step can read the findings made so far, and the inter-agent
message log is in the trace. Through `noc ask --json` (the offline engine) and the supervisor
against the loopback Anthropic server (the Claude path)."""

from __future__ import annotations

import asyncio
import json

from agents.memory import RequestMemory, answer_key
from agents.models import Finding, QosQuery
from bot.cli.main import cli


def trace_of(answer: dict, event: str) -> list[str]:
    return [t["detail"] for t in answer["trace"] if t["event"] == event]


def test_one_request_reads_a_device_and_asks_a_sub_question_once(runner):
    result = runner.invoke(cli, ["ask", "why is the branch office slow?", "-s", "wan-congestion", "--json", "-q"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    agents = {a["agent"]: a for a in answer["agents"]}
    # performance (a step) read the traffic first; diagnosis, running beside it, got the same read
    first = [e for e in agents["performance"]["evidence"] if e["tool"] == "analyze_traffic_patterns"]
    again = [e for e in agents["diagnosis"]["evidence"] if e["tool"] == "analyze_traffic_patterns"]
    assert [e["reused"] for e in first] == [False] and [e["reused"] for e in again] == [True]
    assert again[0]["summary"] == first[0]["summary"]

    # both performance runs (the step, and diagnosis's sub-question) asked config the same QoS question
    asked = [d for d in trace_of(answer, "agent_asked") if "to_agent=config" in d]
    replied = [d for d in trace_of(answer, "agent_replied") if "from_agent=config" in d]
    assert len(asked) == 2 and all("instruction=QoS check: service-policy on branch-rtr-01" in d for d in asked)
    assert sorted("reused=True" in d for d in replied) == [False, True]
    config_runs = [t for t in trace_of(answer, "step_started") if "agent=config" in t]
    assert len(config_runs) == 1  # config ran once for the whole request
    # the message log names who asked whom what and what came back
    assert any("from_agent=performance, to_agent=diagnosis" in d and "Bottleneck" in d for d in trace_of(answer, "agent_replied"))
    assert "no QoS" in answer["summary"] or "QoS" in answer["summary"]


def test_a_sub_question_in_flight_is_shared_and_a_failure_is_not_kept():
    async def scenario():
        memory = RequestMemory()
        runs = []

        async def slow_answer():
            runs.append(1)
            await asyncio.sleep(0)
            return "config says: no policy"
        key = answer_key("config", "QoS check", ["edge-rtr-01"], QosQuery(device="edge-rtr-01", interfaces=["Gi0/0"]))
        both = await asyncio.gather(*(memory.answer(key, slow_answer, keep=lambda r: True) for _ in range(2)))
        assert [r for r, _ in both] == ["config says: no policy"] * 2 and sorted(reused for _, reused in both) == [False, True]
        assert len(runs) == 1

        async def failing():
            runs.append(2)
            return "failure"
        other = answer_key("security", "audit it", ["edge-rtr-01"], None)
        await memory.answer(other, failing, keep=lambda r: r != "failure")
        await memory.answer(other, failing, keep=lambda r: r != "failure")
        assert runs.count(2) == 2  # a failed sub-answer is asked again, not served from memory

        memory.add_findings([Finding(agent="diagnosis", text="x")] * 2)
        assert len(memory.findings) == 1
    asyncio.run(scenario())


def test_two_chains_waiting_on_each_other_do_not_deadlock():
    """Step A's performance asks config q2 while step B's config asks performance q1, each already
    in flight for the other: the second waiter would close a cycle of waits, so it computes its own
    answer (whose own asks the chain rule stops, as the supervisor's does)."""
    async def scenario():
        memory = RequestMemory()
        perf, conf = answer_key("performance", "q1", [], None), answer_key("config", "q2", [], None)
        runs = []

        async def perf_work(chain):
            runs.append("performance")
            await asyncio.sleep(0)
            if "config" in chain:
                return "perf(leaf)"
            result, _ = await memory.answer(conf, lambda: conf_work(chain + ["config"]), keep=lambda r: True)
            return f"perf({result})"

        async def conf_work(chain):
            runs.append("config")
            await asyncio.sleep(0)
            if "performance" in chain:
                return "conf(leaf)"
            result, _ = await memory.answer(perf, lambda: perf_work(chain + ["performance"]), keep=lambda r: True)
            return f"conf({result})"

        first = asyncio.create_task(memory.answer(perf, lambda: perf_work(["performance"]), keep=lambda r: True))
        second = asyncio.create_task(memory.answer(conf, lambda: conf_work(["config"]), keep=lambda r: True))
        (a, _), (b, _) = await asyncio.wait_for(asyncio.gather(first, second), timeout=10)
        # whichever waiter came second computed its answer apart: three runs, not a hang
        assert {a, b} in ({"perf(conf(perf(leaf)))", "conf(perf(leaf))"}, {"perf(conf(leaf))", "conf(perf(conf(leaf)))"})
        assert sorted([runs.count("performance"), runs.count("config")]) == [1, 2]
    asyncio.run(scenario())
