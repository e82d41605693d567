"""The embedded lab: inventory, fixtures valid against NAPALM's own models, scenarios as data."""

from __future__ import annotations

import json
import os

import napalm
import pytest
from napalm.base import models
from napalm.base.test import helpers

from agents.lab import DATA_DIR, device_fixture_dir, lab_inventory, list_scenarios, merge_fixtures, scenario_names
from agents.network.gateway import ospf_command
from agents.network.parsers import parse_ospf_neighbors
from tests.harness.paths import ROOT

SCENARIOS = scenario_names()
HOSTS = lab_inventory().names


def test_inventory_has_the_roles_a_real_network_has():
    inv = lab_inventory()
    assert len(inv) >= 11
    roles = {d.role for d in inv}
    assert {"core", "distribution", "access", "wan-edge", "branch-router", "dc-switch", "pe-router", "internet-edge"} <= roles
    assert {d.os for d in inv} == {"ios", "eos", "nxos", "iosxr", "junos"}  # the multi-vendor edge (issue 24)
    assert all(d.platform == "mock" for d in inv)


def test_required_scenarios_exist_with_descriptions():
    required = {"healthy", "bgp-peer-down", "ospf-stuck-exstart", "wan-congestion", "interface-errors", "high-cpu", "insecure-mgmt"}
    assert required <= set(SCENARIOS)
    assert SCENARIOS[0] == "healthy"
    for s in list_scenarios():
        assert 20 < len(s.description) < 200, s.name
        assert set(s.affected) <= set(HOSTS), s.name


def test_scenarios_only_override_existing_fixture_files():
    """A scenario changes data, never adds getters or devices that the base lab lacks."""
    for s in list_scenarios():
        overrides = s.directory / "devices"
        if not overrides.exists():
            continue
        for f in overrides.rglob("*"):
            if f.is_file():
                rel = f.relative_to(overrides)
                assert (DATA_DIR / "devices" / rel).is_file(), f"{s.name}: {rel} has no base fixture"


def _driver(scenario: str, host: str):
    driver = napalm.get_network_driver("mock")(host, "lab", "", optional_args={"path": str(device_fixture_dir(scenario, host))})
    driver.open()
    return driver


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_fixture_passes_napalm_model_checks(scenario):
    for host in HOSTS:
        d = _driver(scenario, host)
        facts = d.get_facts()
        assert helpers.test_model(models.FactsDict, facts)
        interfaces = d.get_interfaces()
        assert interfaces and all(helpers.test_model(models.InterfaceDict, v) for v in interfaces.values())
        assert sorted(facts["interface_list"]) == sorted(interfaces)
        for sample in (d.get_interfaces_counters(), d.get_interfaces_counters()):
            assert set(sample) == set(interfaces)
            assert all(helpers.test_model(models.InterfaceCounterDict, v) for v in sample.values())
        env = d.get_environment()
        for key, model in (("fans", models.FanDict), ("power", models.PowerDict), ("temperature", models.TemperatureDict), ("cpu", models.CPUDict)):
            assert all(helpers.test_model(model, v) for v in env[key].values()), (host, key)
        assert helpers.test_model(models.MemoryDict, env["memory"])
        bgp = d.get_bgp_neighbors()
        for vrf in bgp.values():
            assert isinstance(vrf["router_id"], str)
            for peer in vrf["peers"].values():
                assert helpers.test_model(models.PeerDict, peer)
                assert all(helpers.test_model(models.AFDict, af) for af in peer["address_family"].values())
        ips = d.get_interfaces_ip()
        assert set(ips) <= set(interfaces)
        assert helpers.test_model(models.ConfigDict, d.get_config())
        d.close()


def test_counter_samples_are_monotonic():
    for scenario in SCENARIOS:
        for host in HOSTS:
            d = _driver(scenario, host)
            first, second = d.get_interfaces_counters(), d.get_interfaces_counters()
            for name, c in first.items():
                for key, value in c.items():
                    assert second[name][key] >= value, (scenario, host, name, key)


@pytest.mark.parametrize("host", HOSTS)
def test_ospf_text_parses_with_ntc_templates(host):
    inv = lab_inventory()
    device = inv.get(host)
    command = ospf_command(device.os)  # the platform's own command (`show ospf neighbor` on IOS-XR and Junos)
    text = _driver("healthy", host).cli([command])[command]
    neighbors = parse_ospf_neighbors(device.os, command, text)
    if device.role in {"access", "branch-router"}:
        assert neighbors == []
    else:
        assert neighbors and all(n.state == "FULL" for n in neighbors)


def test_configs_look_like_real_device_configs():
    inv = lab_inventory()
    for host in HOSTS:
        running = json.loads((DATA_DIR / "devices" / host / "get_config.1").read_text())["running"]
        junos = inv.get(host).os == "junos"  # brace form: `host-name x;` and `protocols { ospf {`
        assert (f"host-name {host};" if junos else f"hostname {host}") in running
        assert len(running.splitlines()) >= 100
        assert ("    ospf {" if junos else "router ospf") in running or host in {"access-sw-01", "branch-rtr-01"}


def test_both_ends_of_every_new_link_agree():
    """The multi-vendor edge is wired in: every OSPF neighbour of a new device names an address the
    far end owns, and the far end lists the new device back (so the cross-checks hold)."""
    inv = lab_inventory()
    owners = {}
    for host in HOSTS:
        for fams in _driver("healthy", host).get_interfaces_ip().values():
            for address in fams.get("ipv4", {}):
                owners[address] = host
    for host in ("dc-leaf-02", "pe-rtr-01", "peer-rtr-01"):
        device = inv.get(host)
        command = ospf_command(device.os)
        neighbors = parse_ospf_neighbors(device.os, command, _driver("healthy", host).cli([command])[command])
        assert neighbors, host
        for n in neighbors:
            far = owners[n.address]
            far_dev = inv.get(far)
            far_cmd = ospf_command(far_dev.os)
            back = parse_ospf_neighbors(far_dev.os, far_cmd, _driver("healthy", far).cli([far_cmd])[far_cmd])
            assert any(owners.get(b.address) == host and b.is_up for b in back), (host, far)


def test_fixtures_ship_as_package_data():
    """pyproject must include every fixture file, or `pip install .` gives an empty lab."""
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["agents"]
    assert "lab/data/**/*" in patterns


def _tree(root, files, when=1_700_000_000):
    """Files {relative path: text} under `root`, all with one modification time (as a `git archive` leaves them)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (when, when))


def test_a_scenario_file_wins_even_with_the_base_files_size_and_time(tmp_path):
    """A reset (merge again) after lab writes gives back the scenario's version of an overridden
    file and the base's of the rest, although base and scenario files share size and mtime."""
    base, override, target = tmp_path / "base", tmp_path / "scenario", tmp_path / "lab"
    _tree(base, {"get_facts.1": "healthy", "cli.1/show_ip_ospf_neighbor": "FULL/DR", "get_config.1": "hostname r1"})
    _tree(override, {"cli.1/show_ip_ospf_neighbor": "EXSTART"})
    merge_fixtures(base, override, target)
    assert (target / "cli.1" / "show_ip_ospf_neighbor").read_text() == "EXSTART"
    assert (target / "get_facts.1").read_text() == "healthy"

    (target / "cli.1" / "show_ip_ospf_neighbor").write_text("written")  # lab writes: new mtimes
    (target / "get_config.1").write_text("hostname changed")
    merge_fixtures(base, override, target)
    assert (target / "cli.1" / "show_ip_ospf_neighbor").read_text() == "EXSTART"
    assert (target / "get_config.1").read_text() == "hostname r1"


def test_every_scenario_file_is_what_its_device_reads():
    """Through the lab's own materialisation: each override file of each scenario is the file the
    mock driver reads for that device."""
    for scenario in list_scenarios():
        devices = scenario.directory / "devices"
        for path in devices.rglob("*") if devices.is_dir() else ():
            if path.is_file():
                rel = path.relative_to(devices)
                merged = device_fixture_dir(scenario.name, rel.parts[0]).joinpath(*rel.parts[1:])
                assert merged.read_bytes() == path.read_bytes(), (scenario.name, rel)
