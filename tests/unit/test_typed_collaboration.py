"""Specialists ask each other in typed form: the answering specialist reads the query's fields,
not the asker's words, and the asker reads a typed reply (agents/specialists/replies.py)."""

from __future__ import annotations

from agents.models import QosQuery, Request, Specialist
from agents.specialists.base import AnalystOutput
from agents.specialists.replies import CongestionReply, QosReply, reply
from agents.supervisor import OFFLINE_ANALYSTS, Supervisor

P, C = Specialist.performance, Specialist.config


async def test_config_answers_a_qos_query_from_its_fields_whatever_the_words(make_toolbox):
    """The instruction names no device or interface; the query does. Config answers for exactly
    the queried interface (prose parsing would have found none and listed every interface)."""
    got = {}

    async def asker(ctx):
        response = await ctx.ask(C, "please have a look", ["branch-rtr-01"],
                                 query=QosQuery(device="branch-rtr-01", interfaces=["Gi0/0/0"]))
        got["reply"] = reply(response, QosReply)
        return AnalystOutput(summary="asked", confidence=0.5)

    sup = Supervisor(make_toolbox("wan-congestion"), analysts={**OFFLINE_ANALYSTS, P: asker})
    await sup.run(Request(question="how busy is the branch wan link", role="operator"))
    answer = got["reply"]
    assert answer is not None
    assert [(q.device, q.interface, q.output_policy) for q in answer.qos] == [("branch-rtr-01", "GigabitEthernet0/0/0", None)]
    assert answer.unused_policies["branch-rtr-01"] == ["WAN-EDGE-QOS"]


async def test_performance_and_diagnosis_read_typed_replies_in_the_congestion_scenario(make_toolbox):
    answer = await Supervisor(make_toolbox("wan-congestion")).run(
        Request(question="why is the branch office slow?", role="operator"))
    perf = next(r for r in answer.responses if r.agent == P)
    congestion = CongestionReply.model_validate(perf.result)
    hot = next(b for b in congestion.bottlenecks if b.device == "branch-rtr-01")
    assert hot.qos_checked and hot.qos_policy is None and hot.unused_policies == ["WAN-EDGE-QOS"]
    assert any(r.to_agent == "config" and r.outcome == "answered" for r in perf.requests)
    assert "no QoS" in answer.summary or any("no QoS" in f.text for f in answer.findings)


def test_a_failed_or_foreign_answer_reads_as_none():
    from agents.models import AgentResponse

    assert reply(None, QosReply) is None
    assert reply(AgentResponse(agent=C, task="t", status="failure", error="x", confidence=0), QosReply) is None
    assert reply(AgentResponse(agent=C, task="t", status="success", confidence=1, result={"qos": "not a list"}), QosReply) is None
