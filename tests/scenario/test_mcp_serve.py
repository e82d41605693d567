"""`noc mcp serve` driven by the MCP SDK's own client, as an IDE agent or desktop assistant would:
over stdio (the `noc` process as a subprocess) and over streamable HTTP (the server in this
process on a free port, bearer tokens mapped to roles)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx2
import pytest
import yaml
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from agents.tools.registry import TOOL_SPECS, tool_definition
from agents.tools.results import DeviceHealth
from agents.tools.roles import DEFAULT_TOOL_ROLES
from bot.cli.mcp import running_service, serve_http_until
from bot.config.settings import load_settings
from bot.mcp_server.auth import RoleTokens
from bot.store import Store
from tests.harness.paths import ROOT

VIEWER_TOOLS = {n for n, r in DEFAULT_TOOL_ROLES.items() if r == "viewer"}
SECRETS = ("Hm4xWp8Jc2Qs", "S3aUth8kWq2Zr5", "S3pRiv6mTx9Jn4")  # edge-rtr-01's SNMP community and SNMPv3 keys in the lab
TOKENS = {"NOC_MCP_TEST_VIEWER": "viewer-token-0123456789", "NOC_MCP_TEST_OPERATOR": "operator-token-0123456789"}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "noc.yaml"
    path.write_text(f"""
store:
  url: sqlite:///{tmp_path / 'noc.db'}
mcp:
  tokens:
    - {{name: ide-viewer, env: NOC_MCP_TEST_VIEWER, role: viewer}}
    - {{name: ide-operator, env: NOC_MCP_TEST_OPERATOR, role: operator}}
""")
    return path


def _stdio(config: Path, *extra: str) -> StdioServerParameters:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return StdioServerParameters(command=sys.executable, args=["-m", "bot.cli", "--config", str(config), "mcp", "serve", *extra],
                                 env=env, cwd=str(ROOT))


async def _audit(config: Path) -> list[dict]:
    store = await Store.from_config(load_settings(config).store).open()
    try:
        return await store.audit_events()
    finally:
        await store.close()


def _text(result) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


async def test_stdio_viewer_lists_its_tools_calls_them_and_is_refused_the_rest(tmp_path):
    config = _config(tmp_path)
    async with Client(_stdio(config, "-s", "high-cpu"), read_timeout_seconds=120) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == VIEWER_TOOLS | {"noc_ask"}  # operator tools are not offered to a viewer
        health = tools["get_device_health"]
        assert health.input_schema == tool_definition("get_device_health")["input_schema"]  # one declaration, not a copy
        assert health.output_schema["properties"] == DeviceHealth.model_json_schema()["properties"]  # the typed result
        assert health.annotations.read_only_hint

        result = await client.call_tool("get_device_health", {"device": "edge-rtr-01"})
        assert not result.is_error and result.structured_content["tool"] == "get_device_health"
        assert any(o["kind"].startswith("high_cpu") or "cpu" in o["kind"] for o in result.structured_content["observations"])

        refused = await client.call_tool("get_device_config", {"device": "edge-rtr-01"})
        assert refused.is_error and "needs the operator role" in _text(refused) and "viewer" in _text(refused)
        assert not any(s in _text(refused) for s in SECRETS)

        unknown = await client.call_tool("apply_change", {"change": "1"})
        assert unknown.is_error and "unknown tool 'apply_change'" in _text(unknown)

        malformed = await client.call_tool("get_device_health", {"devise": "edge-rtr-01"})
        assert malformed.is_error and "device: Field required" in _text(malformed)
        assert malformed.structured_content["error"]["kind"] == "bad_arguments"
        no_such = await client.call_tool("get_device_health", {"device": "core-sw-09"})
        assert no_such.is_error and no_such.structured_content["error"]["kind"] == "unknown_device"
        bad_ask = await client.call_tool("noc_ask", {"question": 42})
        assert bad_ask.is_error and "question" in _text(bad_ask)

        answer = await client.call_tool("noc_ask", {"question": "why is edge-rtr-01 cpu high?"})
        data = answer.structured_content
        assert not answer.is_error and data["status"] in {"ok", "partial", "degraded"}
        assert data["findings"] and {"agent", "text", "severity"} <= set(data["findings"][0])
        assert data["severity"] in {"high", "critical"} and 0 < data["confidence"] <= 1
        assert [t["event"] for t in data["trace"]][0] == "routed" and data["trace"][-1]["event"] == "finished"

    events = await _audit(config)
    seen = {(e["user_id"], e["channel"], e["command"], e["outcome"]) for e in events}
    assert ("stdio", "mcp-stdio", "mcp:get_device_health", "allowed") in seen
    assert ("stdio", "mcp-stdio", "mcp:get_device_config", "denied") in seen
    assert ("stdio", "mcp-stdio", "mcp:apply_change", "denied") in seen
    assert ("stdio", "mcp-stdio", "mcp:noc_ask", "allowed") in seen
    assert len(events) == 7  # every call, refused or not


async def test_stdio_operator_reads_configs_and_audits_with_every_lab_secret_redacted(tmp_path):
    lab_secrets = [s["value"] for s in yaml.safe_load((ROOT / "tests" / "data" / "lab_secrets.yaml").read_text())]
    seen = []
    async with Client(_stdio(_config(tmp_path), "--role", "operator", "-s", "insecure-mgmt"), read_timeout_seconds=120) as client:
        assert set(TOOL_SPECS) | {"noc_ask"} == {t.name for t in (await client.list_tools()).tools}
        devices = (await client.call_tool("list_devices", {})).structured_content["devices"]
        for device in [d["name"] for d in devices]:
            for tool in ("get_device_config", "scan_security_vulnerabilities", "search_logs"):
                result = await client.call_tool(tool, {"device": device})
                assert not result.is_error, (tool, device, _text(result))
                seen.append(_text(result) + json.dumps(result.structured_content))
        config = await client.call_tool("get_device_config", {"device": "edge-rtr-01"})
        assert "snmp-server community" in config.structured_content["running"]
        answer = await client.call_tool("noc_ask", {"question": "audit the management plane of every device"})
        seen.append(_text(answer))
    blob = "\n".join(seen)
    assert len(devices) >= 8 and [s for s in lab_secrets if s in blob] == []


def test_http_without_tokens_is_a_usage_error(runner, tmp_path):
    from bot.cli.main import cli

    config = tmp_path / "noc.yaml"
    config.write_text("mcp:\n  tokens:\n    - {name: someone, env: NOC_MCP_TEST_UNSET, role: admin}\n")
    result = runner.invoke(cli, ["--config", str(config), "mcp", "serve", "--http"])
    assert result.exit_code == 2 and "NOC_MCP_TEST_UNSET is not set (token 'someone'" in result.output
    config.write_text("store: {url: 'sqlite:///x.db'}\n")
    result = runner.invoke(cli, ["--config", str(config), "mcp", "serve", "--http"])
    assert result.exit_code == 2 and "needs at least one token" in result.output


@pytest.fixture
async def http_server(tmp_path, make_toolbox):
    """The HTTP transport in this process on a free port; yields (url, config path)."""
    config = _config(tmp_path)
    settings = load_settings(config)
    tokens = RoleTokens(settings.mcp.tokens, TOKENS)
    bound: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def ready(port: int) -> None:
        bound.set_result(port)

    async def serve() -> None:
        async with running_service(settings, make_toolbox("slow-device")) as service:
            await serve_http_until(service, tokens, "127.0.0.1", 0, ready)

    task = asyncio.create_task(serve())
    port = await asyncio.wait_for(asyncio.shield(bound), 60)
    yield f"http://127.0.0.1:{port}/mcp", config
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _http(url: str, token: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client(streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=60)), read_timeout_seconds=120)


async def test_http_tokens_map_to_roles_and_everything_is_audited(http_server):
    url, config = http_server
    async with _http(url, TOKENS["NOC_MCP_TEST_VIEWER"]) as viewer:
        assert "get_device_config" not in {t.name for t in (await viewer.list_tools()).tools}
        refused = await viewer.call_tool("scan_security_vulnerabilities", {"device": "core-sw-01"})
        assert refused.is_error and "needs the operator role" in _text(refused)
        devices = await viewer.call_tool("list_devices", {"role": "core"})
        assert {d["name"] for d in devices.structured_content["devices"]} == {"core-sw-01", "core-sw-02"}
        answer = await viewer.call_tool("noc_ask", {"question": "is telnet enabled on core-sw-01? audit its security"})
        assert any(n.startswith("needs operator: skipped") for n in answer.structured_content["notices"])  # the role travels into noc_ask
    async with _http(url, TOKENS["NOC_MCP_TEST_OPERATOR"]) as operator:
        scan = await operator.call_tool("scan_security_vulnerabilities", {"device": "core-sw-01"})
        assert not scan.is_error and 0 <= scan.structured_content["risk_score"] <= 100
    events = await _audit(config)
    assert [(e["user_id"], e["command"], e["outcome"]) for e in events] == [
        ("ide-viewer", "mcp:scan_security_vulnerabilities", "denied"),
        ("ide-viewer", "mcp:list_devices", "allowed"),
        ("ide-viewer", "mcp:noc_ask", "allowed"),
        ("ide-operator", "mcp:scan_security_vulnerabilities", "allowed"),
    ]
    assert all(e["channel"] == "mcp-http" for e in events)


async def test_http_refuses_a_missing_or_wrong_token(http_server):
    url, _ = http_server
    for token in (None, "not-a-configured-token-at-all"):
        async with httpx2.AsyncClient() as http:
            headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            response = await http.post(url, headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert response.status_code == 401


async def _call_on_record(config, polls: int) -> None:
    """Wait until the call is running: its audit event is written before the tool runs."""
    for _ in range(polls):
        if any(e["command"] == "mcp:get_device_health" for e in await _audit(config)):
            return
        await asyncio.sleep(0.05)
    pytest.fail("the call never reached the server")


async def test_http_client_that_disconnects_mid_call_leaves_the_server_serving(http_server):
    """edge-rtr-01 takes 45 s to answer in the slow-device scenario: the client gives up and
    closes while the call runs; the call is on record and the next client is served."""
    url, config = http_server
    client = _http(url, TOKENS["NOC_MCP_TEST_VIEWER"])
    await client.__aenter__()
    call = asyncio.create_task(client.call_tool("get_device_health", {"device": "edge-rtr-01"}))
    await _call_on_record(config, polls=600)
    call.cancel()
    await asyncio.gather(call, return_exceptions=True)
    await client.__aexit__(None, None, None)

    async with _http(url, TOKENS["NOC_MCP_TEST_VIEWER"]) as again:
        result = await again.call_tool("get_device_health", {"device": "core-sw-01"})
        assert not result.is_error and result.structured_content["device"] == "core-sw-01"


async def test_http_malformed_messages_get_protocol_errors_and_the_server_keeps_serving(http_server):
    url, _ = http_server
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "Authorization": f"Bearer {TOKENS['NOC_MCP_TEST_VIEWER']}"}
    async with httpx2.AsyncClient() as http:
        broken = await http.post(url, headers=headers, content=b'{"jsonrpc": "2.0", "id": 1, "method": ')
        not_rpc = await http.post(url, headers=headers, json={"hello": "world"})
    assert broken.status_code == 400 and "Parse error" in broken.text
    assert 400 <= not_rpc.status_code < 500
    async with _http(url, TOKENS["NOC_MCP_TEST_VIEWER"]) as client:
        assert "noc_ask" in {t.name for t in (await client.list_tools()).tools}


async def test_stdio_client_that_disconnects_mid_call_leaves_no_traceback(tmp_path):
    """The client goes away while edge-rtr-01 (45 s to answer in slow-device) is being read: the
    call is on record, and the server ends without a traceback on the client's stderr."""
    from mcp.client.stdio import stdio_client

    config = _config(tmp_path)
    errors = tmp_path / "server-stderr.txt"
    with errors.open("w") as errlog:
        client = Client(stdio_client(_stdio(config, "-s", "slow-device"), errlog=errlog), read_timeout_seconds=120)
        await client.__aenter__()
        call = asyncio.create_task(client.call_tool("get_device_health", {"device": "edge-rtr-01"}))
        await _call_on_record(config, polls=1200)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        await client.__aexit__(None, None, None)
    assert [(e["command"], e["outcome"]) for e in await _audit(config)] == [("mcp:get_device_health", "allowed")]
    assert "Traceback" not in errors.read_text()
