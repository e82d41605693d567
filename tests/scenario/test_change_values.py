"""The change grammar validates values as what they are (issue 22): addresses, masks, next hops,
VLANs and interfaces that exist on the device, and rates routes over the management network or
the default route critical.

Through `noc change propose` (the CLI a person uses) on the lab, and over corpora the checks were
not tuned on: routes built from a seeded random generator and judged by an integer oracle written
here independently of `ipaddress`, and every interface of the public real-world configurations in
tests/data/realworld (batfish, AVD, napalm, netutils, hier_config; see SOURCES.md there).
"""

from __future__ import annotations

import ipaddress
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.changes.candidate import from_drafted
from agents.changes.values import canonical, device_interfaces, risk_reasons, value_problems
from agents.lab import DATA_DIR
from agents.lab.stateful import reset_scenario
from bot.cli.main import cli
from tests.harness.paths import DATA

REALWORLD = DATA / "realworld" / "configs"
KINDS = ["qos_policy", "access_port", "trunk", "static_route"]


def lab_running(device: str) -> str:
    return json.loads((DATA_DIR / "devices" / device / "get_config.1").read_text())["running"]


def propose(tmp_path: Path, device: str, text: str):
    config, lines = tmp_path / "noc.yml", tmp_path / "lines.txt"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: healthy\n"
                      "access:\n  operator:\n    users: [alice, bob]\n")
    lines.write_text(text)
    return CliRunner().invoke(cli, ["--config", str(config), "change", "propose", device, "--lines", str(lines)],
                              env={"NOC_USER": "alice"})


@pytest.fixture(autouse=True, scope="module")
def healthy_lab():
    reset_scenario("healthy")
    yield
    reset_scenario("healthy")


@pytest.mark.parametrize(("device", "lines", "said"), [
    ("branch-rtr-01", "ip route 999.999.999.999 255.255.255.0 172.16.100.1", "999.999.999.999 is not an IPv4 address"),
    ("branch-rtr-01", "ip route 10.77.0.0 255.255.255.0 300.1.1.1", "300.1.1.1 is not an IPv4 address"),
    ("branch-rtr-01", "ip route 10.77.0.1 255.255.255.0 172.16.100.1", "has host bits set"),
    ("branch-rtr-01", "ip route 10.77.0.0 255.0.255.0 172.16.100.1", "255.0.255.0 is not a netmask"),
    ("branch-rtr-01", "ip route 10.77.0.0 255.255.0.0 224.0.0.5", "not a usable host address"),
    ("branch-rtr-01", "ip route 10.77.0.0 255.255.0.0 GigabitEthernet0/9/9 172.16.100.1", "GigabitEthernet0/9/9 does not exist"),
    ("core-sw-01", "ip route 10.77.0.0/33 10.0.0.1", "not a valid netmask"),
    ("core-sw-01", "ip route 10.77.0.0/16 10.0.0.1 300", "distance 300 is out of range"),
    ("access-sw-01", "interface Null0\n switchport mode access\n switchport access vlan 10", "cannot be an access port"),
    ("access-sw-01", "interface GigabitEthernet9/0/48\n switchport mode access\n switchport access vlan 10", "does not exist on the device"),
    ("access-sw-01", "interface GigabitEthernet1/0/10\n switchport mode access\n switchport access vlan 4095", "VLAN 4095 is out of range"),
])
def test_cli_refuses_values_that_are_not_what_they_claim(tmp_path, device, lines, said):
    result = propose(tmp_path, device, lines + "\n")
    assert result.exit_code == 1, result.output
    assert "refused" in result.output and said in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("device", "lines", "risk", "why"), [
    ("branch-rtr-01", "ip route 0.0.0.0 0.0.0.0 192.0.2.9 200", "critical", "replaces the default route"),
    ("branch-rtr-01", "ip route 10.20.96.0 255.255.252.0 172.16.100.1", "critical", "covers the device's management address 10.20.99.1"),
    ("core-sw-01", "ip route 10.10.0.0/16 10.0.0.1", "critical", "covers the device's management address 10.10.99.1"),
    ("core-sw-01", "ip route 0.0.0.0/0 10.0.1.1", "critical", "replaces the default route"),
    ("branch-rtr-01", "ip route 10.77.0.0 255.255.0.0 172.16.100.1", "medium", None),
])
def test_cli_rates_routes_over_management_or_the_default_critical(tmp_path, device, lines, risk, why):
    result = propose(tmp_path, device, lines + "\n")
    assert result.exit_code == 0, result.output
    assert f"risk: {risk}" in result.output
    if why:
        assert why in result.output
    else:
        assert "risk reasons" not in result.output


def _octets(rng: random.Random) -> list[int]:
    return [rng.choice([rng.randrange(0, 256), rng.randrange(0, 256), rng.randrange(250, 1000)]) for _ in range(4)]


def _as_int(octets: list[int]) -> int:
    return (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]


def _oracle(address: list[int], mask: list[int], hop: list[int]) -> bool:
    """A route the device would take, decided with integers only."""
    if any(o > 255 for o in address + mask + hop):
        return False
    m = _as_int(mask)
    contiguous = (m | (m - 1)) & 0xFFFFFFFF == 0xFFFFFFFF if m else True
    if not contiguous or _as_int(address) & ~m & 0xFFFFFFFF:
        return False
    return hop[0] not in (0, 127) and hop[0] < 224


@pytest.mark.parametrize("seed", [7, 2026, 31337])
def test_generated_routes_are_judged_like_an_integer_oracle(seed):
    rng = random.Random(seed)
    running = lab_running("branch-rtr-01")
    masks = [[255, 255, 255, 0], [255, 255, 0, 0], [255, 0, 0, 0], [255, 255, 255, 252], [255, 255, 255, 255],
             [255, 0, 255, 0], [255, 255, 128, 0], [0, 255, 255, 255], [0, 0, 0, 0], [255, 255, 254, 0]]
    agreed = 0
    for _ in range(150):
        address, hop = _octets(rng), _octets(rng)
        mask = rng.choice(masks + [_octets(rng)])
        if rng.random() < 0.5:  # a good share of well-formed networks, so both verdicts are exercised
            address = [a & m for a, m in zip([o % 256 for o in address], mask, strict=True)] if max(mask) <= 255 else address
        line = "ip route {} {} {}".format(*(".".join(map(str, x)) for x in (address, mask, hop)))
        candidate = from_drafted([line], "ios", running, KINDS)
        valid = not candidate.problems or candidate.problems == ["the device already has this configuration: nothing to change"]
        assert valid == _oracle(address, mask, hop), (line, candidate.problems)
        agreed += 1
    assert agreed == 150


def _realworld(os: str) -> list[tuple[str, str]]:
    return [(p.name, p.read_text()) for p in sorted((REALWORLD / os).glob("*.cfg"))
            if re.search(r"^interface ", p.read_text(), re.M)]


_SWITCHABLE_SHORT = ("gi", "fa", "te", "et", "eth", "po", "twe", "fo", "hu")
_SWITCHABLE = ("ethernet", "gigabitethernet", "fastethernet", "tengigabitethernet", "port-channel", "twentyfivegige",
               "fortygigabitethernet", "hundredgige", "hundredgigabitethernet")


@pytest.mark.parametrize("os", ["ios", "eos"])
def test_every_interface_of_real_configs_is_known_and_only_ports_take_access_changes(os):
    checked = 0
    for name, running in _realworld(os):
        written = re.findall(r"^interface (\S+)", running, re.M)
        known = device_interfaces(running)
        assert {n for n in known} == {canonical(w) for w in written}, name
        for interface in written:
            lines = [f"interface {interface}", " switchport mode access", " switchport access vlan 10"]
            problems = value_problems("access_port", os, lines, running)
            kind = re.match(r"[A-Za-z-]+", interface).group(0).lower()
            port = kind in _SWITCHABLE or kind in _SWITCHABLE_SHORT
            expect_ok = port and "." not in interface
            assert (not problems) == expect_ok, (name, interface, problems)
            checked += 1
        invented = value_problems("access_port", os, ["interface Ethernet77/77", " switchport mode access"], running)
        assert invented and "does not exist" in invented[0], name
    assert checked > 30  # 33 IOS and some 190 EOS interfaces


def test_real_management_interfaces_make_changes_critical():
    running = (REALWORLD / "eos" / "avd-ethernet-interfaces.cfg").read_text()
    known = device_interfaces(running)
    with_address = [(n, a) for n, addrs in known.items() for a in addrs if n.startswith("Ethernet") and "." not in n]
    assert with_address, "the sample has addressed Ethernet ports"
    for interface, address in with_address[:10]:
        reasons = risk_reasons("eos", [f"interface {interface}", "   shutdown"], running, str(address.ip))
        assert f"carries the device's management address {address.ip}" in reasons[0]
        route = f"ip route {address.network.supernet(new_prefix=max(8, address.network.prefixlen - 4))} 192.0.2.1"
        assert any("management" in r for r in risk_reasons("eos", [route], running, str(address.ip))), route
        assert address.ip not in ipaddress.ip_network("198.18.0.0/15")
        assert risk_reasons("eos", ["ip route 198.18.0.0/15 192.0.2.1"], running, str(address.ip)) == []


_PORT = {"nxos": re.compile(r"^(Ethernet\d|port-channel\d)", re.I), "junos": re.compile(r"^(ge|xe|et|mge)-\d+/\d+/\d+$")}


@pytest.mark.parametrize("os", ["nxos", "iosxr", "junos"])
def test_real_nxos_iosxr_junos_interfaces_are_known_and_only_their_ports_take_access_changes(os):
    """The public NX-OS, IOS-XR and Junos configurations (batfish, napalm, netutils, hier_config):
    every interface they define is known in the platform's spelling (Junos read from braces or set
    lines), an access port is accepted only on a switchable port (never on IOS-XR, which has
    none; never on a Junos port with family inet), and an invented interface is refused."""
    from agents.tools.junos_set import to_set_form

    checked = 0
    for path in sorted((REALWORLD / os).glob("*.cfg")):
        running = path.read_text()
        known = device_interfaces(running, os)
        if os == "junos":
            written = {m.group(1) for line in to_set_form(running).lines
                       if (m := re.match(r"set interfaces (\S+)", line))}
            assert set(known) == written, path.name
        else:
            # IOS-XR `interface preconfigure X` is for hardware not (yet) in the chassis: not an interface to change
            written = set(re.findall(r"^interface (?!preconfigure )(\S+)", running, re.M))
            assert set(known) == {canonical(w) for w in written}, path.name
        for interface in sorted(written):
            if os == "junos":
                lines = [f"set interfaces {interface} unit 0 family ethernet-switching interface-mode access",
                         f"set interfaces {interface} unit 0 family ethernet-switching vlan members 10"]
            else:
                lines = [f"interface {interface}", "  switchport mode access", "  switchport access vlan 10"]
            candidate = from_drafted(lines, os, running, KINDS)
            problems = " ".join(candidate.problems)
            port = os in _PORT and bool(_PORT[os].match(interface)) and "." not in interface
            routed = os == "junos" and bool(known.get(interface))
            if os == "iosxr":
                assert "IOS-XR routers have no switchports" in problems, (path.name, interface, problems)
            elif port and not routed:
                assert "does not exist" not in problems and "cannot be" not in problems and "routed" not in problems, \
                    (path.name, interface, problems)
            elif port and routed:
                assert "is a routed port" in problems, (path.name, interface, problems)
            else:
                assert candidate.problems, (path.name, interface)  # a loopback, a management port, a unit
            checked += 1
        invented = "xe-7/7/7" if os == "junos" else ("TenGigE7/7/7/7" if os == "iosxr" else "Ethernet77/77")
        refused = value_problems("qos_policy", os, [f"set class-of-service interfaces {invented} scheduler-map X"]
                                 if os == "junos" else [f"interface {invented}", " service-policy output X"], running)
        assert refused and "does not exist" in refused[0], path.name
    assert checked > 20
