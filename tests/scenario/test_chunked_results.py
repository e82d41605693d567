"""Large inputs chunked, not cut (issue 30): a tool result above `llm.tool_result_max_chars` is read
in parts on the cheap tier and merged with its evidence lines; an evidence line the model made
up is dropped; with every part failing it is cut with the marker as before. Through `noc ask`
with Claude (the anthropic SDK against the loopback Anthropic server)."""

from __future__ import annotations

import asyncio
import json

from agents.config import NetworkConfig
from agents.llm.chunking import ChunkDigest, merged_text, result_lines, split
from agents.tools import build_toolbox
from tests.fakes.anthropic_api import dynamic, fake_anthropic, text, tool_use  # noqa: F401
from tests.harness.claude_script import DIAG, run_ask, script_happy_path

INVENTED = "neighbor 203.0.113.99 remote-as 666"


def part_of(body: dict) -> str:
    return body["messages"][0]["content"].split("\n\n", 1)[1]


def digest(body: dict):
    """The cheap model's reading of one part: the BGP lines it holds, and one line it made up."""
    lines = part_of(body).splitlines()
    found = [ln for ln in lines if ln.strip().startswith(("router bgp", "neighbor"))]
    facts = [f"BGP configuration seen ({len(found)} lines)"] if found else []
    return text(ChunkDigest(facts=facts, evidence=found + ([INVENTED] if found else [])),
                usage={"input_tokens": 400, "output_tokens": 40})


def edge_config() -> str:
    toolbox = build_toolbox(NetworkConfig(), scenario="bgp-peer-down")
    try:
        return asyncio.run(toolbox.get_device_config("edge-rtr-01")).running
    finally:
        toolbox.gateway.close()


def test_a_large_config_is_read_in_parts_on_the_cheap_tier_and_merged(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [tool_use(("get_device_config", {"device": "edge-rtr-01"})), text(DIAG)],
                            "chunk:diagnosis": [dynamic(digest)]})
    answer = run_ask(runner, api, tmp_path, tool_result_max_chars=2500, tool_result_max_chunks=4, follow_ups=0)
    assert answer["status"] == "ok"

    parts = api.requests_for("chunk:diagnosis")
    assert 2 <= len(parts) <= 4 and {p["model"] for p in parts} == {"claude-haiku-4-5"}  # the fast tier
    config = edge_config()
    assert len(config) > 2500
    seen = "\n".join(part_of(p) for p in parts)
    missing = [ln for ln in config.splitlines() if ln.strip() and ln not in seen]
    assert missing == []  # every line of the configuration was read by some part: nothing cut

    result = api.requests_for("specialist:diagnosis")[1]["messages"][-1]["content"][0]["content"]
    assert len(result) <= 2500 and "[truncated" not in result
    merged = json.loads(result)
    assert merged["tool"] == "get_device_config" and f"in {len(parts)} parts" in merged["chunked"]
    bgp = [ln for ln in config.splitlines() if ln.strip().startswith(("router bgp", "neighbor"))]
    assert bgp and merged["evidence"] == bgp  # the real lines, in the configuration's order
    assert INVENTED not in result  # quoted by the model but not in its part: dropped
    assert any(f.startswith("BGP configuration seen") for f in merged["facts"])
    assert answer["usage"]["llm_calls"] >= len(parts) + 2  # the parts' calls are billed to the request


def test_when_the_first_part_cannot_be_read_the_result_is_cut_as_before(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    script_happy_path(api, {"specialist:diagnosis": [tool_use(("get_device_config", {"device": "edge-rtr-01"})), text(DIAG)],
                            "chunk:diagnosis": [text("not json at all")]})  # no digest, even after the repair turn
    answer = run_ask(runner, api, tmp_path, tool_result_max_chars=600, follow_ups=0)
    result = api.requests_for("specialist:diagnosis")[1]["messages"][-1]["content"][0]["content"]
    assert "[truncated" in result and len(result) < 800
    assert len(api.requests_for("chunk:diagnosis")) == 2  # the first part and its repair turn; the rest were not sent
    assert answer["status"] == "ok"  # the provider's breaker stayed closed


def test_a_merged_digest_too_large_drops_whole_lines_and_counts_them():
    evidence = [f" neighbor 10.0.0.{i} remote-as 65001" for i in range(60)]
    out = merged_text("get_device_config", 90_000, 8, ["fact"], evidence, [], 1000)
    merged = json.loads(out)
    assert len(out) <= 1000 and merged["evidence"] == evidence[:len(merged["evidence"])]
    assert merged["omitted"].startswith(f"{60 - len(merged['evidence'])} more line(s)")


def test_lines_of_a_result_and_parts_at_line_boundaries():
    data = {"device": "r1", "running": "hostname r1\ninterface Gi1\n ip address 10.0.0.1 255.255.255.0",
            "entries": [{"seq": 1, "message": "BGP down"}, {"seq": 2, "message": "BGP up"}], "ok": True}
    lines = result_lines(data)
    assert lines == ["device: r1", "running:", "hostname r1", "interface Gi1", " ip address 10.0.0.1 255.255.255.0",
                     'entries[0]: {"seq":1,"message":"BGP down"}', 'entries[1]: {"seq":2,"message":"BGP up"}', "ok: True"]
    parts = split(lines, 50)
    assert [ln for p in parts for ln in p] == lines and all(sum(len(ln) + 1 for ln in p) <= 51 for p in parts)
    assert split(["x" * 95], 40) == [["x" * 40], ["x" * 40], ["x" * 15]]
