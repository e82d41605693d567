"""Answers and plans are kept compressed in the store (issue 27: at most 5 KB a request on disk),
and read back unchanged, including rows written before compression (plain JSON)."""

from __future__ import annotations

from sqlalchemy import select, update

from agents.models import AgentResponse, Answer, Evidence, Specialist, Usage
from agents.severity import Severity
from bot.store import Store, schema
from bot.store.packing import pack, unpack


def _answer(request_id: str) -> Answer:
    evidence = [Evidence(tool="get_interfaces_counters", device=f"branch-rtr-{i:02d}", ok=True,
                         summary=f"Gi0/{i} output drops 1,2{i}4 in 60 s; utilisation 97 %") for i in range(12)]
    responses = [AgentResponse(agent=agent, task="find the congested link", status="success", duration_s=1.2, instance="i1",
                               usage=Usage(llm_calls=1, input_tokens=900, output_tokens=300, cost_usd=0.01), evidence=evidence)
                 for agent in (Specialist.diagnosis, Specialist.performance)]
    return Answer(request_id=request_id, question="why is the branch office slow?", status="ok", primary=Specialist.diagnosis,
                  specialists=[Specialist.diagnosis, Specialist.performance], devices=["branch-rtr-01"],
                  severity=Severity.medium, confidence=0.8, automation="review", summary="WAN congestion on branch-rtr-01",
                  responses=responses, duration_s=2.0)


def test_pack_round_trips_and_leaves_short_or_plain_text_alone() -> None:
    document = _answer("r1").model_dump_json()
    packed = pack(document)
    assert packed.startswith("z1:") and len(packed) < len(document) / 2
    assert unpack(packed) == document
    assert pack('{"a": 1}') == '{"a": 1}'
    assert unpack('{"plain": "json from before compression"}') == '{"plain": "json from before compression"}'
    assert unpack(pack("é ü 中文 " * 100)) == "é ü 中文 " * 100


async def test_answers_are_stored_compressed_and_read_back_whole(store_url) -> None:
    store = await Store(store_url).open()
    try:
        answer = _answer("pack-1")
        await store.record_answer(answer, source="mention", user="U1", channel="C1", thread_ts="1.0")

        async def raw(conn):
            r = schema.requests
            return (await conn.execute(select(r.c.answer_json).where(r.c.id == "pack-1"))).scalar_one()
        stored = await store._write(raw)
        assert stored.startswith("z1:") and len(stored) < len(answer.model_dump_json()) / 2
        read, where = await store.answer("pack-1")  # type: ignore[misc]
        assert read == answer and where["channel"] == "C1"
        assert await store.last_answer_in_thread("C1", "1.0") == answer
    finally:
        await store.close()


async def test_a_row_written_before_compression_still_reads(store_url) -> None:
    store = await Store(store_url).open()
    try:
        answer = _answer("pack-old")
        await store.record_answer(answer, source="mention", user="U1", channel="C2", thread_ts="2.0")

        async def plain(conn):
            r = schema.requests
            await conn.execute(update(r).where(r.c.id == "pack-old").values(answer_json=answer.model_dump_json()))
        await store._write(plain)
        read, _ = await store.answer("pack-old")  # type: ignore[misc]
        assert read == answer
        assert await store.last_answer_in_thread("C2", "2.0") == answer
    finally:
        await store.close()
