"""A team's MCP servers as toolsets: a small MCP server written with the SDK (tests/fakes/mcp_cmdb.py)
serves CMDB tools that the specialists use through `noc ask`, on the Claude path (the loopback
Anthropic fake scripts a tool_use of the MCP tool) and on the offline path; a server that is down
degrades only its tools and is named in the answer."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest
import yaml

from agents.config import ResilienceConfig
from agents.llm.schemas import DiagnosisReport, FindingOut, GapList, PlanOut, PlanStepOut, RouteOut, SynthesisOut
from agents.resilience.guard import Resilience
from agents.tools.mcp_config import McpServerConfig
from agents.tools.mcp_toolsets import McpToolsets
from bot.cli.main import cli
from tests.fakes.anthropic_api import fake_anthropic, text, tool_use  # noqa: F401
from tests.harness.paths import ROOT
from tests.harness.waiting import until

SECRET = "Hm4xWp8Jc2Qs"  # the SNMP community pasted into a CMDB note
CMDB = {"name": "cmdb", "command": [sys.executable, "-m", "tests.fakes.mcp_cmdb"], "env": ["PYTHONPATH"],
        "tools": ["device_owner", "change_freeze"], "specialists": ["diagnosis", "performance"], "role": "viewer"}
GONE = {"name": "tickets", "url": "http://127.0.0.1:9/mcp", "tools": ["*"], "specialists": ["diagnosis", "performance"],
        "role": "viewer", "timeout_s": 5}


def _ask(runner, tmp_path, question: str, *, servers: list[dict], env: dict | None = None, role: str = "admin", scenario="high-cpu",
         llm: dict | None = None) -> dict:
    config = tmp_path / "noc.yaml"
    config.write_text(yaml.safe_dump({"mcp_servers": servers, "llm": {"router_margin": 100, **(llm or {})},
                                      "resilience": {"retry": {"backoff_initial_s": 0.01, "backoff_max_s": 0.02, "jitter_s": 0.0}}}))
    result = runner.invoke(cli, ["--config", str(config), "ask", question, "-s", scenario, "--json", "-q", "--role", role],
                           env={"PYTHONPATH": str(ROOT), **(env or {})})
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _evidence(answer: dict, agent: str) -> set[tuple[str, str | None, bool]]:
    return {(e["tool"], e["device"], e["ok"]) for r in answer["agents"] if r["agent"] == agent for e in r["evidence"]}


def test_claude_calls_the_mcp_tool_its_specialist_was_given(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis"], devices=["edge-rtr-01"], reasoning="cpu")))
    api.script("planner", text(PlanOut(reasoning="one step", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="why is the cpu high", devices=["edge-rtr-01"], depends_on=[])])))
    api.script("specialist:diagnosis", tool_use(("cmdb__device_owner", {"device": "edge-rtr-01"})), text(DiagnosisReport(
        summary="edge-rtr-01 belongs to team-wan; its CPU is high.", confidence=0.8, root_cause="control plane load", affected_layer="device",
        findings=[FindingOut(text="edge-rtr-01 CPU high; owner team-wan", severity="high", device="edge-rtr-01")], recommendations=[])))
    api.script("coordinator", text(GapList(gaps=[])))
    api.script("synthesis", text(SynthesisOut(summary="edge-rtr-01 CPU is high (owner team-wan).", conflicts=[])))

    answer = _ask(runner, tmp_path, "why is edge-rtr-01 cpu high?", servers=[CMDB, GONE],
                  env={"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url})

    first, second = api.requests_for("specialist:diagnosis")[:2]
    offered = {t["name"]: t for t in first["tools"]}
    assert {"cmdb__device_owner", "cmdb__change_freeze"} <= set(offered) and "cmdb__full_dump" not in offered  # only the listed tools
    assert offered["cmdb__device_owner"]["input_schema"]["required"] == ["device"]  # the server's own schema
    assert not any(name.startswith("tickets__") for name in offered)
    result = next(b for m in second["messages"] if m["role"] == "user" and isinstance(m["content"], list)
                  for b in m["content"] if b.get("type") == "tool_result")
    assert "team-wan" in result["content"] and "snmp-server community <redacted>" in result["content"] and not result["is_error"]
    assert SECRET not in json.dumps(api.requests)
    assert ("cmdb__device_owner", "edge-rtr-01", True) in _evidence(answer, "diagnosis")
    assert answer["status"] in {"ok", "partial"} and any("MCP server 'tickets'" in n for n in answer["notices"])


def test_the_role_gate_hides_an_mcp_tool_from_claude(runner, fake_anthropic, tmp_path):
    api = fake_anthropic
    api.script("router", text(RouteOut(primary="diagnosis", specialists=["diagnosis"], devices=["edge-rtr-01"], reasoning="cpu")))
    api.script("planner", text(PlanOut(reasoning="one step", steps=[
        PlanStepOut(id="s1", agent="diagnosis", instruction="why is the cpu high", devices=["edge-rtr-01"], depends_on=[])])))
    api.script("specialist:diagnosis", tool_use(("cmdb__device_owner", {"device": "edge-rtr-01"})), text(DiagnosisReport(
        summary="CPU high.", confidence=0.5, root_cause="load", affected_layer="device", findings=[], recommendations=[])))
    api.script("coordinator", text(GapList(gaps=[])))
    api.script("synthesis", text(SynthesisOut(summary="CPU high.", conflicts=[])))
    guarded = {**CMDB, "tool_roles": {"device_owner": "operator"}}
    answer = _ask(runner, tmp_path, "why is edge-rtr-01 cpu high?", servers=[guarded], role="viewer",
                  env={"ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": api.url})
    first, second = api.requests_for("specialist:diagnosis")[:2]
    assert "cmdb__device_owner" not in {t["name"] for t in first["tools"]} and "cmdb__change_freeze" in {t["name"] for t in first["tools"]}
    result = next(b for m in second["messages"] if m["role"] == "user" and isinstance(m["content"], list)
                  for b in m["content"] if b.get("type") == "tool_result")
    assert result["is_error"] and "needs operator" in result["content"]  # a call the model makes anyway is refused
    assert "team-wan" not in json.dumps(api.requests)
    assert any("needs operator: skipped the cmdb__device_owner tool" in n for n in answer["notices"])


def test_offline_specialists_read_their_mcp_tools_and_name_a_down_server(runner, tmp_path):
    answer = _ask(runner, tmp_path, "why is edge-rtr-01 cpu high?", servers=[CMDB, GONE])
    agent = answer["primary"]
    evidence = _evidence(answer, agent)
    assert ("cmdb__device_owner", "edge-rtr-01", True) in evidence and ("cmdb__change_freeze", None, True) in evidence
    texts = [f["text"] for f in answer["findings"] if f["agent"] == agent]
    assert any(t.startswith("cmdb__device_owner: device: edge-rtr-01; owner: team-wan") for t in texts)
    assert any("change freeze in force" in t for t in texts)
    assert SECRET not in json.dumps(answer)
    assert any(n.startswith("MCP server 'tickets' cannot list its tools") for n in answer["notices"])
    assert answer["severity"] in {"high", "critical"}  # the specialist's own findings stand beside the MCP ones


async def test_timeouts_caps_and_the_breaker_of_one_server(tmp_path):
    import uvicorn
    from mcp.server.mcpserver import MCPServer  # noqa: F401 (the fake is an MCPServer)

    from tests.fakes.mcp_cmdb import server as cmdb

    app = cmdb.streamable_http_app()
    web = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(web.serve())
    await until(lambda: web.started, what="the MCP server to start")
    port = web.servers[0].sockets[0].getsockname()[1]
    config = McpServerConfig(name="cmdb", url=f"http://127.0.0.1:{port}/mcp", tools=["*"], specialists=["diagnosis"], role="viewer",
                             timeout_s=1.0, max_output_chars=500, breaker={"failure_threshold": 1.5, "recovery_timeout_s": 600})
    toolsets = McpToolsets([config])
    resilience = Resilience(ResilienceConfig())
    resilience.adopt(toolsets.breakers["cmdb"])  # as the supervisor does: the breaker shows in metrics and notices
    try:
        big = await toolsets.call("cmdb__full_dump", {})
        assert big.ok and big.truncated and len(big.text) < 600 and "[truncated: cmdb returned" in big.text
        slow = await toolsets.call("cmdb__slow_lookup", {"seconds": 30})
        assert not slow.ok and slow.error.kind == "timeout" and "did not answer within 1 s" in slow.error.message
        bad = await toolsets.call("cmdb__device_owner", {"device": "nope"})
        assert not bad.ok and bad.error.kind == "failed" and "no CMDB record for nope" in bad.error.message  # a tool error: server is fine
    finally:
        web.should_exit = True
        await serving
    down = await toolsets.call("cmdb__device_owner", {"device": "edge-rtr-01"})
    assert not down.ok and down.error.kind == "unreachable" and "MCP server 'cmdb' is down" in down.error.message
    opened = await toolsets.call("cmdb__device_owner", {"device": "edge-rtr-01"})  # a timeout (0.5) and a lost connection (1.0): open
    assert not opened.ok and "circuit open" in opened.error.message
    assert resilience.transitions[("mcp:cmdb", "open")] == 1 and toolsets.breakers["cmdb"] in resilience.breakers()
    await toolsets.aclose()


def test_a_spec_naming_an_mcp_tool_grants_it_and_nothing_else_does():
    config = McpServerConfig(name="cmdb", command=["cmdb-mcp"], tools=["device_owner"], specialists=["security"], role="viewer",
                             tool_roles={"device_owner": "operator"})
    toolsets = McpToolsets([config])
    assert toolsets.granted("security", "cmdb__device_owner")
    assert not toolsets.granted("diagnosis", "cmdb__device_owner")
    assert toolsets.granted("diagnosis", "cmdb__device_owner", named=("list_devices", "cmdb__device_owner"))
    assert not toolsets.granted("diagnosis", "other__device_owner", named=("other__device_owner",))  # no such server
    assert toolsets.needed("cmdb__device_owner") == "operator" and toolsets.needed("cmdb__anything") == "viewer"


def test_mcp_server_config_refuses_secrets_in_the_file_and_two_transports():
    with pytest.raises(ValueError, match=r"headers.Authorization must name an environment variable") as caught:
        McpServerConfig(name="x", url="https://mcp.example.net/mcp", headers={"Authorization": "Bearer s3cr3t-value"},
                        tools=["*"], specialists=["diagnosis"])
    assert "s3cr3t" not in str(caught.value)
    with pytest.raises(ValueError, match="either command"):
        McpServerConfig(name="x", url="https://mcp.example.net/mcp", command=["x"], tools=["*"], specialists=["diagnosis"])
