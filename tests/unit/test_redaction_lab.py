"""No secret in the lab survives the tool layer, in any scenario, through any tool."""

from __future__ import annotations

import pytest
import yaml

from agents.config import NetworkConfig
from agents.lab import scenario_names
from agents.tools.redact import contains_secret
from bot.config.settings import Settings
from tests.harness.paths import DATA

SECRETS = yaml.safe_load((DATA / "lab_secrets.yaml").read_text())


def test_secret_list_covers_every_form_the_issue_names():
    forms = " ".join(sorted({s["form"] for s in SECRETS}))
    for needle in ("enable", "type7", "type9", "sha512", "snmp", "tacacs", "radius", "ike", "ospf", "bgp", "ntp", "key-chain"):
        assert needle in forms, needle


@pytest.mark.parametrize("scenario", scenario_names())
async def test_no_secret_leaves_the_tools(make_toolbox, scenario):
    # a short device timeout keeps the slow-device scenario fast (its slow device just times out)
    tb = make_toolbox(scenario, Settings(network=NetworkConfig(timeout_s=0.5)))
    outputs = []
    for device in tb.inventory.names:
        for result in (
            await tb.get_device_config(device),
            await tb.scan_security_vulnerabilities(device),
            await tb.get_interface_statistics(device),
            await tb.check_routing_protocol(device, "bgp"),
            await tb.analyze_traffic_patterns(device),
        ):
            outputs.append(result.model_dump_json())
    blob = "\n".join(outputs)
    leaked = [s for s in SECRETS if s["value"] in blob]
    assert leaked == []
    assert contains_secret(blob) == []


async def test_redaction_keeps_the_line_readable(make_toolbox):
    cfg = (await make_toolbox("insecure-mgmt").get_device_config("access-sw-01")).running
    assert "snmp-server community <redacted> RO" in cfg
    assert any(line.strip().startswith("username") and "<redacted>" in line for line in cfg.splitlines())
