"""Issue 12 ("real networks on day one"): real device outputs through the real tool code paths.

Getter results recorded by NAPALM's own tests and CLI captures from ntc-templates' tests (see
tests/data/realworld/SOURCES.md) are served by NAPALM's mock driver from one directory per device,
exactly as the lab serves its fixtures; each device is a host in a Nornir inventory written here.
What the samples do not contain (which addresses a device owns, for the BGP/OSPF cross-checks) is
added per test as small, labelled scaffolding next to the real file it completes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.config import NetworkConfig
from agents.network.gateway import DeviceError, _classify
from agents.network.inventory import Device, InventoryError, load_inventory
from agents.network.parsers import parse_config, parse_ospf_table
from agents.tools import build_gateway
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox
from agents.tools.results import DeviceConfig, DeviceHealth, InterfaceStatistics, RoutingStatus
from tests.harness.paths import DATA as TEST_DATA

DATA = TEST_DATA / "realworld"
NAPALM = DATA / "napalm"
CLI = DATA / "cli"
CONFIGS = DATA / "configs"


def napalm_sample(platform: str, getter: str, case: str, name: str = "expected_result.json") -> Any:
    path = NAPALM / platform / getter / case / name
    return json.loads(path.read_text()) if name.endswith(".json") else path.read_text()


def cli_sample(platform: str, command: str, name: str) -> str:
    return (CLI / platform / command / name).read_text()


class Lab:
    """A mock-driver inventory built from samples: `add(name, os, {getter: result})`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hosts: dict[str, Any] = {}

    def add(self, name: str, os_name: str, files: dict[str, Any]) -> None:
        device_dir = self.root / "devices" / name
        device_dir.mkdir(parents=True)
        for getter, result in files.items():
            (device_dir / getter).write_text(result if isinstance(result, str) else json.dumps(result))
        self.hosts[name] = {"hostname": f"{name}.example.net", "platform": "mock", "data": {"os": os_name},
                            "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(device_dir)}}}}}

    def toolbox(self) -> Toolbox:
        inventory = self.root / "inventory"
        inventory.mkdir(exist_ok=True)
        (inventory / "hosts.yaml").write_text(yaml.safe_dump(self.hosts))
        return Toolbox(load_inventory(inventory), build_gateway(NetworkConfig(inventory=inventory)), load_rules())


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return Lab(tmp_path)


def _addresses(*pairs: tuple[str, str]) -> dict[str, Any]:
    """Scaffolding: a get_interfaces_ip result owning the given (interface, address) pairs."""
    out: dict[str, Any] = {}
    for interface, address in pairs:
        out.setdefault(interface, {"ipv4": {}})["ipv4"][address] = {"prefix_length": 30}
    return out


def _config(running: str) -> dict[str, str]:
    return {"running": running, "startup": running, "candidate": ""}

# -- finding 1: duplicate lines after redaction ---------------------------------------------------

# A real IOS config (napalm's get_config test) with the lines real networks repeat added: two
# communities that differ only in their secret, and a repeated ACL entry.
_IOS_REAL = (CONFIGS / "ios" / "napalm-ios-running.cfg")


def _ios_with_repeats() -> str:
    extra = ("snmp-server community Str0ngRO1 RO\nsnmp-server community Str0ngRO2 RO\n"
             "ip access-list extended EDGE-IN\n permit tcp any any eq 22\n permit tcp any any eq 22\n deny ip any any log\n")
    return _IOS_REAL.read_text() + "\n" + extra


async def test_config_tools_tolerate_lines_repeated_by_redaction(lab: Lab) -> None:
    lab.add("rtr", "ios", {"get_config.1": _config(_ios_with_repeats())})
    tb = lab.toolbox()
    try:
        section = await tb.get_device_config("rtr", section="ip access-list")
        snmp = await tb.get_device_config("rtr", section="snmp-server")
        assert isinstance(section, DeviceConfig) and section.ok, section.error
        assert section.running.count("permit tcp any any eq 22") == 1 and "deny ip any any log" in section.running
        assert snmp.ok and "Str0ngRO" not in snmp.running
    finally:
        tb.gateway.close()


@pytest.mark.parametrize("path", sorted(p for p in CONFIGS.glob("*/*.cfg") if p.parent.name in {"ios", "eos", "nxos"}),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_real_config_parses_even_with_each_line_doubled(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doubled = "\n".join(line + ("\n" + line if line.strip() and not line.startswith(" ") else "") for line in text.splitlines())
    assert parse_config(path.parent.name, doubled).children


def test_config_specialist_section_view_survives_repeated_communities() -> None:
    from agents.specialists.config.rules import _show

    shown = _show("ios", "snmp-server community <redacted> RO\nsnmp-server community <redacted> RO\n", [], ["snmp-server"])
    assert shown.count("snmp-server community") == 1


# -- finding 2: OSPF states the template cannot read ----------------------------------------------
@pytest.mark.parametrize(("os_name", "platform", "name", "rows"), [
    ("eos", "arista_eos", "arista_eos_show_ip_ospf_neighbor.raw", 2),
    ("eos", "arista_eos", "arista_eos_show_ip_ospf_neighbor_2.raw", 4),
    ("nxos", "cisco_nxos", "cisco_nxos_show_ip_ospf_neighbor.raw", 3),
    ("ios", "cisco_ios", "four_neighbors.raw", 4),
    ("ios", "cisco_ios", "cisco_ios_show_ip_ospf_neighbor.raw", None),
])
def test_real_ospf_tables_parse_with_nothing_left_over(os_name: str, platform: str, name: str, rows: int | None) -> None:
    table = parse_ospf_table(os_name, "show ip ospf neighbor", cli_sample(platform, "show_ip_ospf_neighbor", name))
    assert table.unparsed == []
    assert rows is None or len(table.neighbors) == rows


def test_eos_port_channel_neighbours_keep_the_eos_spelling() -> None:
    table = parse_ospf_table("eos", "show ip ospf neighbor", cli_sample("arista_eos", "show_ip_ospf_neighbor", "arista_eos_show_ip_ospf_neighbor_2.raw"))
    assert table.neighbors[-1].interface == "Port-Channel100.10"
    nxos = parse_ospf_table("nxos", "show ip ospf neighbor", cli_sample("cisco_nxos", "show_ip_ospf_neighbor", "cisco_nxos_show_ip_ospf_neighbor.raw"))
    assert [n.interface for n in nxos.neighbors][1:] == ["Ethernet1/1", "Ethernet1/2"]  # printed `Eth1/1`


def _eos_ospf_with(state_line: str) -> str:
    """The real EOS capture with one more neighbour row, as EOS prints a stuck or odd neighbour."""
    return cli_sample("arista_eos", "show_ip_ospf_neighbor", "arista_eos_show_ip_ospf_neighbor_2.raw").rstrip("\n") + "\n" + state_line + "\n"


async def test_eos_exch_start_is_a_stuck_neighbour_and_an_odd_row_is_never_dropped(lab: Lab) -> None:
    exch = "192.0.2.18      1        red      1   EXCH START             00:00:33    192.0.2.17      Ethernet21/1"
    odd = "192.0.2.22      1        red      1   GR HELPER RESTART      00:00:33    192.0.2.21      Ethernet22/1"
    lab.add("leaf", "eos", {"cli.1.show_ip_ospf_neighbor.0": _eos_ospf_with(exch + "\n" + odd),
                            "get_interfaces.1": {}, "get_interfaces_ip.1": {}})
    tb = lab.toolbox()
    try:
        status = await tb.check_routing_protocol("leaf", "ospf")
    finally:
        tb.gateway.close()
    assert isinstance(status, RoutingStatus) and status.ok, status.error
    stuck = [n for n in status.neighbors if not n.is_up]
    assert [(n.neighbor_id, n.state) for n in stuck] == [("192.0.2.18", "EXSTART")]
    unparsed = [o for o in status.observations if o.kind == "ospf_unparsed_neighbor"]
    assert len(unparsed) == 1 and "192.0.2.22" in unparsed[0].message
    assert len(status.neighbors) == 5


def test_lab_fixture_prints_what_eos_prints() -> None:
    from agents.lab import DATA_DIR

    text = (DATA_DIR / "scenarios" / "ospf-stuck-exstart" / "devices" / "core-sw-01" / "cli.1.show_ip_ospf_neighbor.0").read_text()
    assert "EXCH START" in text and "EXSTART" not in text


# -- finding 3: interface names per platform ------------------------------------------------------
def _eos_get_interfaces() -> dict[str, Any]:
    """get_interfaces as NAPALM's EOS driver computes it from the real `show interfaces` capture."""
    from napalm.eos.eos import EOSDriver

    raw = napalm_sample("eos", "get_interfaces_counters", "normal", "show_interfaces.json")

    class Eapi:
        def run_commands(self, commands, **kwargs):
            return [raw]

    driver = EOSDriver("eos.example.net", "user", "unused")
    driver.device = Eapi()
    return driver.get_interfaces()


async def test_interface_statistics_find_eos_port_channels_and_nxos_mgmt0(lab: Lab) -> None:
    counters = napalm_sample("eos", "get_interfaces_counters", "normal")
    lab.add("eos-sw", "eos", {"get_interfaces.1": _eos_get_interfaces(), "get_interfaces_counters.1": counters,
                              "get_interfaces_counters.2": counters})
    nx = napalm_sample("nxos", "get_interfaces", "normal")
    nx_counters = {name: dict.fromkeys(("rx_octets", "tx_octets", "rx_errors", "tx_errors", "rx_discards", "tx_discards"), 0) for name in nx}
    lab.add("nx-sw", "nxos", {"get_interfaces.1": nx, "get_interfaces_counters.1": nx_counters, "get_interfaces_counters.2": nx_counters})
    tb = lab.toolbox()
    try:
        for device, asked, expected in [("eos-sw", "Port-Channel1", "Port-Channel1"), ("eos-sw", "Po1", "Port-Channel1"),
                                        ("eos-sw", "port-channel1.20", "Port-Channel1.20"), ("eos-sw", "Et1", "Ethernet1"),
                                        ("nx-sw", "mgmt0", "mgmt0"), ("nx-sw", "Eth2/1", "Ethernet2/1")]:
            stats = await tb.get_interface_statistics(device, interface=asked)
            assert isinstance(stats, InterfaceStatistics) and stats.ok, (asked, stats.error)
            assert [i.name for i in stats.interfaces] == [expected]
        missing = await tb.get_interface_statistics("eos-sw", interface="Port-Channel9")
        assert not missing.ok and "has no interface 'Port-Channel9'" in missing.error.message
    finally:
        tb.gateway.close()


async def test_ospf_mtu_cross_check_matches_eos_port_channels_by_identity(lab: Lab) -> None:
    interfaces = _eos_get_interfaces()
    peer_ifs = {"Port-Channel7": dict(interfaces["Port-Channel1"], mtu=9214)}  # scaffolding: the far end, jumbo MTU
    # The neighbour table names the interface `Po1`: EOS accepts and sometimes prints the short form.
    table = ("Neighbor ID     Instance VRF      Pri State                  Dead Time   Address         Interface\n"
             "192.0.2.66      1        default  1   EXCH START             00:00:33    192.0.2.65      Po1\n")
    lab.add("eos-a", "eos", {"cli.1.show_ip_ospf_neighbor.0": table, "get_interfaces.1": interfaces,
                             "get_interfaces_ip.1": _addresses(("Port-Channel1", "192.0.2.66"))})
    lab.add("eos-b", "eos", {"get_interfaces.1": peer_ifs, "get_interfaces_ip.1": _addresses(("Port-Channel7", "192.0.2.65"))})
    tb = lab.toolbox()
    try:
        status = await tb.check_routing_protocol("eos-a", "ospf")
    finally:
        tb.gateway.close()
    assert status.ok, status.error
    assert status.neighbors[0].interface == "Port-Channel1"
    mtu = next(o for o in status.observations if o.kind == "mtu_mismatch")
    assert (mtu.data["local_mtu"], mtu.data["peer_mtu"], mtu.data["peer_interface"]) == (1500, 9214, "Port-Channel7")


# -- finding 4: BGP cross-checks -----------------------------------------------------------------
async def test_an_established_session_is_never_called_an_as_mismatch(lab: Lab) -> None:
    pe_bgp = napalm_sample("ios", "get_bgp_neighbors", "vrfs_mdt")  # VRF TEST peers are up, remote-as 65221
    ce_bgp = napalm_sample("eos", "get_bgp_neighbors", "normal")  # this device's other sessions use local AS 65001
    lab.add("pe", "ios", {"get_bgp_neighbors.1": pe_bgp, "get_interfaces_ip.1": _addresses(("Gi0/1", "10.124.238.161"))})
    lab.add("ce", "eos", {"get_bgp_neighbors.1": ce_bgp, "get_interfaces_ip.1": _addresses(("Ethernet9", "10.124.238.162"))})
    tb = lab.toolbox()
    try:
        status = await tb.check_routing_protocol("pe", "bgp")
    finally:
        tb.gateway.close()
    assert status.ok, status.error
    peer = next(n for n in status.neighbors if n.address == "10.124.238.162")
    assert peer.is_up and peer.peer_device == "ce"
    assert not [o for o in status.observations if o.kind in {"bgp_as_mismatch", "bgp_down"}]


async def test_duplicated_peer_addresses_are_resolved_by_vrf_or_left_unattributed(lab: Lab) -> None:
    pe_bgp = napalm_sample("ios", "get_bgp_neighbors", "vrfs_mdt")
    # Scaffolding: the same address on two devices, one of them in VRF TEST per its network instances
    # (the real EOS instance table, with that interface added to a TEST instance).
    instances = napalm_sample("eos", "get_network_instances", "normal")
    instances["TEST"] = {"name": "TEST", "type": "L3VRF", "state": {"route_distinguisher": "65221:1"},
                         "interfaces": {"interface": {"Ethernet9": {}}}}
    lab.add("pe", "ios", {"get_bgp_neighbors.1": pe_bgp, "get_interfaces_ip.1": _addresses(("Gi0/1", "10.124.238.161"))})
    lab.add("ce-test", "eos", {"get_interfaces_ip.1": _addresses(("Ethernet9", "10.124.238.162")), "get_network_instances.1": instances,
                               "get_bgp_neighbors.1": {}})
    lab.add("ce-other", "eos", {"get_interfaces_ip.1": _addresses(("Ethernet1", "10.124.238.162"), ("Ethernet2", "10.23.4.1")),
                                "get_network_instances.1": napalm_sample("eos", "get_network_instances", "normal"),
                                "get_bgp_neighbors.1": {}})
    lab.add("ce-third", "ios", {"get_interfaces_ip.1": _addresses(("Gi0/0", "10.23.4.1")), "get_bgp_neighbors.1": {}})
    tb = lab.toolbox()
    try:
        status = await tb.check_routing_protocol("pe", "bgp")
    finally:
        tb.gateway.close()
    owners = {n.address: n.peer_device for n in status.neighbors}
    assert owners["10.124.238.162"] == "ce-test"  # the owner in the session's VRF, not the last one read
    assert owners["10.23.4.1"] is None  # two owners, no VRF to tell them apart: not guessed


# -- finding 7: NAPALM's unknown values ----------------------------------------------------------
async def _health(lab: Lab, os_name: str, env: dict[str, Any], facts: dict[str, Any] | None = None) -> DeviceHealth:
    lab.add("dev", os_name, {"get_environment.1": env, "get_facts.1": facts or {"uptime": -1, "os_version": "", "model": ""}})
    tb = lab.toolbox()
    try:
        result = await tb.get_device_health("dev")
    finally:
        tb.gateway.close()
    assert isinstance(result, DeviceHealth) and result.ok, result.error
    return result


async def test_ios_invalid_sensors_are_unknown_not_healthy(lab: Lab) -> None:
    health = await _health(lab, "ios", napalm_sample("ios", "get_environment", "temp_cmd_fail"))
    assert [(s.name, s.ok, s.value) for s in health.power_supplies] == [("invalid", None, None)]
    assert [(s.name, s.ok) for s in health.fans] == [("invalid", None)]
    assert [(s.name, s.ok, s.value) for s in health.temperatures] == [("invalid", None, None)]
    assert health.uptime_s is None and health.cpu_pct == 6.0
    assert not [o for o in health.observations if o.kind in {"psu_failed", "fan_failed", "temperature"}]


async def test_eos_psu_output_unknown_but_failed_psu_still_reported(lab: Lab) -> None:
    health = await _health(lab, "eos", napalm_sample("eos", "get_environment", "issue810_7010t"))
    assert [(p.name, p.ok, p.value) for p in health.power_supplies] == [("1", True, None), ("2", False, None)]
    assert [o.data["psu"] for o in health.observations if o.kind == "psu_failed"] == ["2"]


async def test_nxos_pre_7_alarm_flags_are_not_four_temperature_alerts(lab: Lab) -> None:
    raw = napalm_sample("nxos", "get_environment", "pre_7.0", "show_environment.json")
    assert {r["alarmstatus"].strip() for r in raw["TABLE_tempinfo"]["ROW_tempinfo"]} == {"ok"}  # the device said ok
    health = await _health(lab, "nxos", napalm_sample("nxos", "get_environment", "pre_7.0"))
    assert not [o for o in health.observations if o.kind in {"temperature", "fan_failed"}]
    assert {t.ok for t in health.temperatures} == {None} and {t.value for t in health.temperatures} == {37.0, 20.0}
    assert any(o.kind == "sensor_flags_unknown" for o in health.observations)


async def test_nxos_7_sensors_keep_their_flags(lab: Lab) -> None:
    health = await _health(lab, "nxos", napalm_sample("nxos", "get_environment", "normal"),
                           napalm_sample("nxos", "get_facts", "normal"))
    assert health.temperatures and all(t.ok is not None for t in health.temperatures)
    assert health.uptime_s == 4066631


# -- finding 8: Nornir inventories written for Netmiko --------------------------------------------
def _inventory(tmp_path: Path, host: dict[str, Any]) -> Path:
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump({"r1": host}))
    return tmp_path


@pytest.mark.parametrize(("host", "driver", "os_name"), [
    ({"hostname": "10.0.0.1", "platform": "cisco_ios", "connection_options": {"napalm": {"platform": "ios"}}}, "ios", "ios"),
    ({"hostname": "10.0.0.1", "platform": "cisco_ios", "data": {"os": "ios"}}, "ios", "ios"),
    ({"hostname": "10.0.0.1", "platform": "arista_eos"}, "eos", "eos"),
    ({"hostname": "10.0.0.1", "platform": "cisco_nxos", "data": {"os": "cisco_nxos"}}, "nxos", "nxos"),
    ({"hostname": "10.0.0.1", "platform": "cisco_xe", "connection_options": {"napalm": {"hostname": "r1.mgmt", "port": 2222, "username": "ops"}}},
     "ios", "ios"),
])
def test_netmiko_style_platforms_are_accepted(tmp_path: Path, host: dict, driver: str, os_name: str) -> None:
    [device] = list(load_inventory(_inventory(tmp_path, host)))
    assert (device.platform, device.os) == (driver, os_name)
    assert device.platform != "ios" or host["platform"] != "cisco_xe" or (device.hostname, device.port, device.username) == ("r1.mgmt", 2222, "ops")


@pytest.mark.parametrize("platform", ["linux", "fortinet"])
def test_unsupported_platforms_fail_with_one_clear_line(tmp_path: Path, platform: str) -> None:
    with pytest.raises(InventoryError) as err:
        load_inventory(_inventory(tmp_path, {"hostname": "10.0.0.1", "platform": platform}))
    assert "\n" not in str(err.value) and platform in str(err.value) and "r1" in str(err.value)


# -- finding 9: errors by cause, no tracebacks ---------------------------------------------------
def _wrapped(cause: BaseException) -> BaseException:
    """As NAPALM drivers raise it: a ConnectionException carrying the transport's error."""
    from napalm.base.exceptions import ConnectionException

    outer = ConnectionException(f"Cannot connect to r1.example.net: {cause}")
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(("exc", "kind"), [
    (_wrapped(ConnectionRefusedError(111, "Connection refused")), "refused"),
    (_wrapped(__import__("socket").gaierror(-2, "Name or service not known")), "dns"),
    (_wrapped(TimeoutError("timed out")), "timeout"),
    (_wrapped(OSError(113, "No route to host")), "unreachable"),
    (_wrapped(Exception("Authentication failed.")), "auth"),
    (FileNotFoundError(2, "No such file or directory: 'ssh_config'"), "failed"),
    (NotImplementedError("get_network_instances"), "unsupported"),
])
def test_connection_errors_are_classified_by_cause(exc: BaseException, kind: str) -> None:
    error = _classify(Device(name="r1", hostname="r1.example.net", platform="ios", os="ios"), exc, 10)
    assert isinstance(error, DeviceError) and error.kind == kind, (error.kind, str(error))


async def test_a_failed_ospf_check_says_ospf(lab: Lab) -> None:
    lab.add("r1", "ios", {})
    tb = lab.toolbox()
    try:
        result = await tb.check_routing_protocol("r1", "ospf")
    finally:
        tb.gateway.close()
    assert not result.ok and result.protocol == "ospf"


def test_noc_tool_prints_no_traceback(tmp_path: Path) -> None:
    """A tool that fails on a device answers with a JSON error and at most one log line, no traceback."""
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "get_config.1").write_text("{ not what the driver expects")  # the getter's parse fails
    (tmp_path / "inv").mkdir()
    inventory = _inventory(tmp_path / "inv", {"hostname": "r1", "platform": "mock", "data": {"os": "ios"},
                            "connection_options": {"napalm": {"extras": {"optional_args": {"path": str(tmp_path / "dev")}}}}})
    config = tmp_path / "noc.yml"
    config.write_text(yaml.safe_dump({"network": {"inventory": str(inventory)}}))
    env = dict(os.environ, NOC_CONFIG=str(config), NOC_LOG_LEVEL="WARNING")
    env.pop("ANTHROPIC_API_KEY", None)
    for argv in (["tool", "get_device_config", "device=r1", "section=snmp-server"], ["tool", "get_device_health", "device=r1"]):
        proc = subprocess.run([sys.executable, "-c", "from bot.cli.main import main; main()", *argv],
                              capture_output=True, text=True, env=env, timeout=60)
        assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
        result = json.loads(proc.stdout)
        assert proc.returncode == 1 and result["ok"] is False and result["error"]["kind"] in {"parse", "unsupported"}
        assert len(proc.stderr.strip().splitlines()) <= 1
