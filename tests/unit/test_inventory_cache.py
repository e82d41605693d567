"""The inventory is loaded once per content of its files (issue 14): the same files give the same
devices without being parsed again, an edited hosts.yaml is read again, and every caller gets
devices of its own."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from agents.network.inventory import load_inventory
from bot.cli.main import cli


def host(address: str, role: str) -> dict:
    return {"hostname": address, "platform": "mock", "data": {"os": "ios", "role": role}}


def inventory(tmp_path: Path, hosts: dict) -> tuple[Path, str]:
    directory = tmp_path / "inventory"
    directory.mkdir(exist_ok=True)
    (directory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    (directory / "groups.yaml").write_text("{}\n")
    (directory / "defaults.yaml").write_text("{}\n")
    config = tmp_path / "noc.yml"
    config.write_text(yaml.safe_dump({"network": {"inventory": str(directory)}}))
    return directory, str(config)


def devices(runner, config: str) -> list[dict]:
    result = runner.invoke(cli, ["--config", config, "tool", "list_devices"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["devices"]


def test_an_edited_inventory_is_read_again(runner, tmp_path):
    _, config = inventory(tmp_path, {"rtr-a": host("192.0.2.1", "wan-edge")})
    first = devices(runner, config)
    assert [d["name"] for d in first] == ["rtr-a"]
    assert devices(runner, config) == first
    inventory(tmp_path, {"rtr-a": host("192.0.2.1", "core"), "rtr-b": host("192.0.2.2", "access")})
    edited = devices(runner, config)
    assert [(d["name"], d["role"]) for d in edited] == [("rtr-a", "core"), ("rtr-b", "access")]


def test_each_caller_gets_devices_of_its_own(tmp_path):
    directory, _ = inventory(tmp_path, {"rtr-a": host("192.0.2.1", "wan-edge")})
    mine = load_inventory(directory, extra_data={"rtr-a": {"lab_delay_s": 5}})
    mine.get("rtr-a").data["lab_delay_s"] = 99  # as bench/ask_latency.py slows its copy down
    mine.get("rtr-a").optional_args["path"] = "elsewhere"
    theirs = load_inventory(directory, extra_data={"rtr-a": {"lab_delay_s": 5}})
    assert theirs.get("rtr-a").data["lab_delay_s"] == 5
    assert "path" not in theirs.get("rtr-a").optional_args
    plain = load_inventory(directory)
    assert "lab_delay_s" not in plain.get("rtr-a").data  # the extras are part of what was loaded
