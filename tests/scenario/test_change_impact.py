"""Change impact before approval (issue 30): per change kind, what the change will do to the
traffic and sessions it touches, predicted from the device's current counters, neighbours and
running configuration, and shown beside the diff: in `noc change propose` and in the Slack
approval message. The lab's wan-congestion scenario has branch-rtr-01's WAN link at 96% with
drops and a QoS policy defined but not applied."""

from __future__ import annotations

import asyncio
import json

import pytest
from click.testing import CliRunner

from agents.changes.config import ChangesConfig
from agents.changes.impact import vlans
from agents.changes.pipeline import ChangeEngine
from agents.config import NetworkConfig
from agents.lab.stateful import reset_scenario
from agents.tools import build_toolbox
from bot.cli.main import cli
from bot.slack.change_view import render_proposal


def _propose(tmp_path, device: str, lines: str) -> str:
    config, path = tmp_path / "noc.yml", tmp_path / "lines.txt"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: wan-congestion\n"
                      "access:\n  operator:\n    users: [alice, bob]\n")
    path.write_text(lines)
    result = CliRunner().invoke(cli, ["--config", str(config), "change", "propose", device, "--lines", str(path)], env={"NOC_USER": "alice"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(autouse=True)
def lab():
    reset_scenario("wan-congestion")
    yield
    reset_scenario("wan-congestion")


def impact_of(output: str) -> list[str]:
    block = output.split("impact (predicted from current counters and tables):\n", 1)[1].split("pre-checks:", 1)[0]
    return [line.strip().removeprefix("- ") for line in block.splitlines() if line.strip()]


def test_a_qos_policy_names_each_class_share_of_the_measured_load(tmp_path):
    lines = impact_of(_propose(tmp_path, "branch-rtr-01", "interface GigabitEthernet0/0/0\n service-policy output WAN-EDGE-QOS\n"))
    assert lines[0] == ("GigabitEthernet0/0/0: WAN-EDGE-QOS applied output; 96.1 Mbps of 100 Mbps (96%) output now, "
                        "18,637 discards in the last sample.")
    assert "VOICE (dscp ef): strict priority, policed to 20% = 20 Mbps when the link is congested." in lines
    assert any(line.startswith("BUSINESS-CRITICAL (dscp af31 af32, dscp af21 af22): guaranteed 40% = 40 Mbps") for line in lines)
    assert "class-default (everything else): the remaining 40% = 40 Mbps under congestion." in lines
    assert lines[-1].startswith("At the measured 96%: the link is congested, so these shares take effect at once")


def test_a_static_route_says_which_prefixes_move_and_where(tmp_path):
    out = _propose(tmp_path, "branch-rtr-01", "ip route 198.51.100.0 255.255.255.0 192.0.2.9\nip route 10.0.0.0 255.0.0.0 192.0.2.9 200\n")
    lines = impact_of(out)
    assert lines[0].startswith("198.51.100.0/24: now follows `ip route 0.0.0.0 0.0.0.0 172.16.100.1 250 name WAN-FLOAT track 10`")
    assert lines[0].endswith("sends it to 192.0.2.9 on GigabitEthernet0/0/2 (0.0 Mbps of 1000 Mbps (0%) output now).")
    assert lines[1] == ("10.0.0.0/8: already routed by `ip route 10.0.0.0 255.0.0.0 172.16.100.1 250 name WAN-FLOAT-HQ track 10`; "
                        "this adds 192.0.2.9 at distance 200, which takes the traffic now.")
    assert out.index("diff (redacted") < out.index("impact (predicted")  # beside the diff


def test_a_trunk_says_which_vlans_stop_and_start_and_an_access_port_which_vlan_the_host_leaves(tmp_path):
    trunk = impact_of(_propose(tmp_path, "access-sw-01", "interface TenGigabitEthernet1/1/1\n switchport mode trunk\n"
                                                         " switchport trunk allowed vlan 99,110,130-131\n"))
    assert trunk[0].startswith("TenGigabitEthernet1/1/1: VLAN(s) 120 stop crossing the trunk; VLAN(s) 130-131 start. It carries ")
    access = impact_of(_propose(tmp_path, "access-sw-01",
                                "interface GigabitEthernet1/0/3\n switchport mode access\n switchport access vlan 130\n"))
    assert access[0].startswith("GigabitEthernet1/0/3: the attached host moves from VLAN 110 to VLAN 130: its address and open "
                                "sessions in VLAN 110 end.")


def test_the_slack_approval_message_shows_the_impact_beside_the_diff():
    toolbox = build_toolbox(NetworkConfig(), scenario="wan-congestion")
    engine = ChangeEngine(toolbox, NetworkConfig(), ChangesConfig())
    try:
        proposal = asyncio.run(engine.propose("branch-rtr-01", intent="apply the WAN QoS", source="cli",
                                              lines=["interface GigabitEthernet0/0/0", " service-policy output WAN-EDGE-QOS"]))
    finally:
        engine.close()
        toolbox.gateway.close()
    assert proposal is not None and proposal.state == "pending" and proposal.impact
    _, blocks = render_proposal(proposal)
    text = json.dumps(blocks)
    assert text.index("*Diff* (redacted)") < text.index("*Impact* (predicted from the device's current counters and tables)")
    assert "VOICE (dscp ef): strict priority, policed to 20% = 20 Mbps" in text
    assert text.index("*Impact*") < text.index("*Pre-checks*")


def test_vlan_lists():
    assert vlans("99,110,130-131") == {99, 110, 130, 131}
    assert len(vlans("all")) == 4094
