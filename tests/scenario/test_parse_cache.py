"""Parse results are cached by content (issue 14): the same configuration gives the same answer
without being parsed again, and a changed configuration is parsed afresh.

Driven through `noc tool` over a Nornir inventory of one mock-driver device whose recorded
configuration the test rewrites between calls, as a device whose configuration changed would
answer its next read.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
from pathlib import Path

import yaml

from agents.lab import DATA_DIR
from agents.network.parse_cache import PARSES, ParseCache, content_key
from bot.cli.main import cli

DEVICE = "edge-rtr-01"


def network(tmp_path: Path) -> tuple[str, Path]:
    """A config file pointing at an inventory of one lab router, and that router's config file."""
    device_dir = tmp_path / "devices" / DEVICE
    shutil.copytree(DATA_DIR / "devices" / DEVICE, device_dir)
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    host = {"hostname": "192.0.2.41", "platform": "mock", "data": {"os": "ios"},
            "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device_dir)}}}}}
    (inventory / "hosts.yaml").write_text(yaml.safe_dump({DEVICE: host}))
    (inventory / "groups.yaml").write_text("{}\n")
    (inventory / "defaults.yaml").write_text("{}\n")
    config = tmp_path / "noc.yml"
    config.write_text(yaml.safe_dump({"network": {"inventory": str(inventory)}}))
    return str(config), device_dir / "get_config.1"


def scan(runner, config: str, *extra: str) -> dict:
    result = runner.invoke(cli, ["--config", config, "tool", "scan_security_vulnerabilities", f"device={DEVICE}", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rule_ids(report: dict) -> set[str]:
    return {f["rule_id"] for f in report["findings"]}


def test_an_unchanged_config_gives_the_same_audit_without_a_new_parse(runner, tmp_path):
    config, _ = network(tmp_path)
    first = scan(runner, config)
    audits_parsed, hits = PARSES.misses["audit"], PARSES.hits["audit"]
    second = scan(runner, config)
    assert second == first
    assert PARSES.misses["audit"] == audits_parsed  # nothing was parsed or evaluated again
    assert PARSES.hits["audit"] == hits + 1


def test_a_changed_config_is_parsed_again(runner, tmp_path):
    config, config_file = network(tmp_path)
    before = scan(runner, config)
    assert "ios-vty-telnet" not in rule_ids(before)
    recorded = json.loads(config_file.read_text())
    recorded["running"] = recorded["running"].replace(" transport input ssh", " transport input telnet ssh")
    assert recorded["running"] != json.loads(config_file.read_text())["running"]
    config_file.write_text(json.dumps(recorded))
    after = scan(runner, config)
    assert rule_ids(after) - rule_ids(before), "the telnet change must produce a new finding"
    assert after["risk_score"] > before["risk_score"]
    # and back: the original text is the original answer
    recorded["running"] = recorded["running"].replace(" transport input telnet ssh", " transport input ssh")
    config_file.write_text(json.dumps(recorded))
    assert scan(runner, config) == before


def test_a_tag_filter_is_part_of_what_is_cached(runner, tmp_path):
    config, _ = network(tmp_path)
    everything = scan(runner, config)
    soc2 = scan(runner, config, "tags=soc2")
    assert soc2["rules_evaluated"] < everything["rules_evaluated"]
    assert scan(runner, config) == everything


async def test_concurrent_misses_share_one_parse_and_a_cancelled_caller_does_not_cancel_it():
    """Twenty requests that miss at once cost one parse; a step that times out while waiting for
    it leaves the parse to the others."""
    cache = ParseCache()
    release = threading.Event()
    parsed: list[str] = []

    def parse(text: str) -> str:
        parsed.append(text)
        release.wait(10)  # held until every caller waits on it
        return text.upper()

    key = content_key("interface Gi0/1")
    callers = [asyncio.create_task(cache.get("demo", key, parse, "interface Gi0/1")) for _ in range(3)]
    await asyncio.sleep(0)
    callers[0].cancel()
    release.set()
    assert await asyncio.gather(*callers[1:]) == ["INTERFACE GI0/1", "INTERFACE GI0/1"]
    assert await cache.get("demo", key, parse, "interface Gi0/1") == "INTERFACE GI0/1"
    assert parsed == ["interface Gi0/1"]
    assert await cache.get("demo", content_key("interface Gi0/2"), parse, "interface Gi0/2") == "INTERFACE GI0/2"
    assert parsed == ["interface Gi0/1", "interface Gi0/2"]
