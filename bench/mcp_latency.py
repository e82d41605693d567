"""MCP both ways, timed: `noc mcp serve` over stdio driven by the SDK's client (start and listing,
one network tool, one `noc_ask`), and a team's MCP server used as a toolset (the CMDB fake of the
tests over stdio, on its kept session).

Run from the repository root: python bench/mcp_latency.py [--calls 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.tools.mcp_config import McpServerConfig  # noqa: E402
from agents.tools.mcp_toolsets import McpToolsets  # noqa: E402


async def serve_side(calls: int, store: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NOC_STORE__URL": f"sqlite:///{store}"}
    params = StdioServerParameters(command=sys.executable, args=["-m", "bot.cli", "mcp", "serve"], env=env, cwd=str(ROOT))
    t0 = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        started = time.perf_counter() - t0
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            await client.call_tool("get_device_health", {"device": "core-sw-01"})
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        await client.call_tool("noc_ask", {"question": "why is the branch office slow?"})
        ask = time.perf_counter() - t
    print(f"noc mcp serve (stdio): start and list {started:.2f} s; get_device_health median {statistics.median(times) * 1000:.1f} ms "
          f"over {calls}; noc_ask (offline, lab) {ask:.2f} s")


async def toolset_side(calls: int) -> None:
    config = McpServerConfig(name="cmdb", command=[sys.executable, "-m", "tests.fakes.mcp_cmdb"], env=["PYTHONPATH"],
                             tools=["*"], specialists=["diagnosis"], role="viewer")
    toolsets = McpToolsets([config], {**os.environ, "PYTHONPATH": str(ROOT)})
    t0 = time.perf_counter()
    await toolsets.ensure_listed()
    listed = time.perf_counter() - t0
    times = []
    for _ in range(calls):
        t = time.perf_counter()
        await toolsets.call("cmdb__device_owner", {"device": "edge-rtr-01"})
        times.append(time.perf_counter() - t)
    await toolsets.aclose()
    print(f"toolset over stdio: start and list {listed:.2f} s; call median {statistics.median(times) * 1000:.1f} ms over {calls}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(serve_side(args.calls, str(Path(tmp) / "noc.db")))
    asyncio.run(toolset_side(args.calls))


if __name__ == "__main__":
    main()
