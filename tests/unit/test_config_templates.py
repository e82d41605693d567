"""Config templates: detection from free text, IOS-XE/EOS rendering, validation, no secrets.

Exact lines are asserted where the syntax matters to a device (indentation included), so a
template change that would paste badly fails here first.
"""

from __future__ import annotations

import re

import pytest

from agents.lab import lab_inventory
from agents.specialists.config_templates import (
    BGP_MD5_PLACEHOLDER,
    GeneratedConfig,
    SiteDefaults,
    TemplateRequest,
    normalise_interface,
    parse_vlan_list,
    site_defaults,
    structure_problems,
)
from agents.specialists.config_templates import detect_template as detect_for_site
from agents.specialists.config_templates import render_config as render_for_site

ACCESS_SW_01 = [f"GigabitEthernet1/0/{n}" for n in range(1, 49)] + ["TenGigabitEthernet1/1/1", "Vlan99", "GigabitEthernet0"]
CORE_SW_01 = [f"Ethernet{n}" for n in range(1, 49)] + ["Loopback0", "Management1"]


LAB = lab_inventory()


def detect_template(text: str) -> TemplateRequest | None:
    """Detection as the bot runs it on the embedded lab: with the lab inventory's site defaults
    (AS, access VLAN, policy names) for the device the text names."""
    req = detect_for_site(text)
    return req and detect_for_site(text, site_defaults(LAB, req.params.get("device")))


def render_config(req: TemplateRequest, os: str, device: str | None = None, interfaces: list[str] | None = None) -> GeneratedConfig:
    """Rendering as the bot runs it on the embedded lab: with the lab inventory's site defaults."""
    return render_for_site(req, os, device, interfaces, site=site_defaults(LAB, device or req.params.get("device")))


def render(text: str, os: str, device: str | None = None, interfaces: list[str] | None = None) -> GeneratedConfig:
    req = detect_template(text)
    assert req is not None, text
    return render_config(req, os, device, interfaces)


def assert_block(lines: list[str], expected: list[str]) -> None:
    """`expected` appears in `lines` as a contiguous block, indentation included."""
    n = len(expected)
    assert any(lines[i:i + n] == expected for i in range(len(lines) - n + 1)), "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Six kinds, several phrasings, both OSes
# --------------------------------------------------------------------------------------------

CASES = [
    # access_port
    ("configure Gi1/0/5 on access-sw-01 as an access port in vlan 110 with voice vlan 120", "ios", "access_port", [
        "interface GigabitEthernet1/0/5",
        " switchport mode access",
        " switchport access vlan 110",
        " switchport voice vlan 120",
        " spanning-tree portfast",
        " spanning-tree bpduguard enable",
        " no shutdown",
    ]),
    ("put GigabitEthernet1/0/7 into vlan 110, description Printer 3rd floor", "ios", "access_port", [
        "interface GigabitEthernet1/0/7",
        " description Printer 3rd floor",
        " switchport mode access",
        " switchport access vlan 110",
        " spanning-tree portfast",
    ]),
    ("make Et12 an access port in vlan 110", "eos", "access_port", [
        "interface Ethernet12",
        "   switchport",
        "   switchport mode access",
        "   switchport access vlan 110",
        "   spanning-tree portfast",
        "   spanning-tree bpduguard enable",
        "   no shutdown",
    ]),
    ("set up Ethernet 10 as an access port in vlan 110 with voice vlan 120 description Desk-10", "eos", "access_port", [
        "interface Ethernet10",
        "   description Desk-10",
        "   switchport",
        "   switchport trunk native vlan 110",
        "   switchport phone vlan 120",
        "   switchport phone trunk tagged",
        "   switchport mode trunk phone",
        "   spanning-tree portfast",
        "   spanning-tree bpduguard enable",
    ]),
    # trunk
    ("make Te1/1/1 a trunk allowing vlans 110,120,99", "ios", "trunk", [
        "interface TenGigabitEthernet1/1/1",
        " switchport mode trunk",
        " switchport trunk allowed vlan 99,110,120",
        " no shutdown",
    ]),
    ("configure TenGigabitEthernet1/1/2 as a trunk with vlans 110-120 and native vlan 99", "ios", "trunk", [
        "interface TenGigabitEthernet1/1/2",
        " switchport mode trunk",
        " switchport trunk native vlan 99",
        " switchport trunk allowed vlan 110-120",
    ]),
    ("make Et49 a trunk allowing vlans 110,120,99", "eos", "trunk", [
        "interface Ethernet49",
        "   switchport",
        "   switchport mode trunk",
        "   switchport trunk allowed vlan 99,110,120",
        "   no shutdown",
    ]),
    ("configure a trunk on Po10 with vlans 110-120, 99 and native vlan 99", "eos", "trunk", [
        "interface Port-Channel10",
        "   switchport",
        "   switchport mode trunk",
        "   switchport trunk native vlan 99",
        "   switchport trunk allowed vlan 99,110-120",
    ]),
    # ospf
    ("add ospf on Ethernet7 area 0", "eos", "ospf", [
        "router ospf 1",
        "interface Ethernet7",
        "   ip ospf area 0.0.0.0",
    ]),
    ("enable ospf on Et5 area 0 point-to-point cost 10", "eos", "ospf", [
        "interface Ethernet5",
        "   ip ospf area 0.0.0.0",
        "   ip ospf network point-to-point",
        "   ip ospf cost 10",
    ]),
    ("enable ospf process 1 on Te1/1/2 area 0 point-to-point cost 10", "ios", "ospf", [
        "router ospf 1",
        "interface TenGigabitEthernet1/1/2",
        " ip ospf 1 area 0",
        " ip ospf network point-to-point",
        " ip ospf cost 10",
    ]),
    ("add network 10.0.1.0/31 area 0 to ospf 1 on dist-sw-01", "ios", "ospf", [
        "router ospf 1",
        " network 10.0.1.0 0.0.0.1 area 0",
    ]),
    ("add network 10.0.1.0 0.0.0.1 area 0 to ospf 1", "eos", "ospf", [
        "router ospf 1",
        "   network 10.0.1.0/31 area 0.0.0.0",
    ]),
    # bgp_neighbor
    ("new bgp neighbor 192.0.2.1 remote-as 64520 description Partner-X", "ios", "bgp_neighbor", [
        "router bgp 65000",
        " neighbor 192.0.2.1 remote-as 64520",
        " neighbor 192.0.2.1 description Partner-X",
        f" neighbor 192.0.2.1 password {BGP_MD5_PLACEHOLDER}",
        " address-family ipv4",
        "  neighbor 192.0.2.1 activate",
        " exit-address-family",
    ]),
    ("new bgp neighbor 192.0.2.1 remote-as 64520 description Partner-X", "eos", "bgp_neighbor", [
        "router bgp 65000",
        "   neighbor 192.0.2.1 remote-as 64520",
        "   neighbor 192.0.2.1 description Partner-X",
        f"   neighbor 192.0.2.1 password {BGP_MD5_PLACEHOLDER}",
    ]),
    ("configure an ibgp peer 10.255.0.41 remote-as 65000 update-source Lo0", "eos", "bgp_neighbor", [
        "router bgp 65000",
        "   neighbor 10.255.0.41 remote-as 65000",
        "   neighbor 10.255.0.41 update-source Loopback0",
    ]),
    ("peer with 203.0.113.9 in AS 64510 from router bgp 65000, description ISP-B transit", "ios", "bgp_neighbor", [
        "router bgp 65000",
        " neighbor 203.0.113.9 remote-as 64510",
        " neighbor 203.0.113.9 description ISP-B transit",
    ]),
    # static_route
    ("static route to 10.50.0.0/16 via 10.0.3.0", "ios", "static_route", ["ip route 10.50.0.0 255.255.0.0 10.0.3.0"]),
    ("static route to 10.50.0.0/16 via 10.0.3.0", "eos", "static_route", ["ip route 10.50.0.0/16 10.0.3.0"]),
    ("ip route 10.50.0.0 255.255.0.0 10.0.3.0 200", "ios", "static_route", ["ip route 10.50.0.0 255.255.0.0 10.0.3.0 200"]),
    ("add a route for 10.50.0.0 mask 255.255.0.0 next-hop 10.0.3.0 distance 200", "eos", "static_route", ["ip route 10.50.0.0/16 10.0.3.0 200"]),
    ("add a default route via 203.0.113.1 on edge-rtr-01", "ios", "static_route", ["ip route 0.0.0.0 0.0.0.0 203.0.113.1"]),
    ("static route to 192.168.77.0/24 out Gi0/0/1 next hop 172.16.100.2 name BRANCH-LAB", "ios", "static_route",
     ["ip route 192.168.77.0 255.255.255.0 GigabitEthernet0/0/1 172.16.100.2 name BRANCH-LAB"]),
    # qos_policy
    ("qos policy for the branch wan, 100 mbps, voice 20%", "ios", "qos_policy", [
        "class-map match-any VOICE",
        " match dscp ef",
        "class-map match-any BUSINESS",
        " match dscp af31 af21",
        "policy-map WAN-EDGE-QOS",
        " class VOICE",
        "  priority percent 20",
        " class BUSINESS",
        "  bandwidth percent 30",
        " class class-default",
        "  fair-queue",
        "policy-map WAN-SHAPE",
        " class class-default",
        "  shape average 100000000",
        "  service-policy WAN-EDGE-QOS",
    ]),
    ("create a qos policy named BRANCH-QOS on Gi0/0/0, shape to 50 mbps, voice 25%, video 15%, business 30%", "ios", "qos_policy", [
        "policy-map BRANCH-QOS",
        " class VOICE",
        "  priority percent 25",
        " class VIDEO",
        "  bandwidth percent 15",
        " class BUSINESS",
        "  bandwidth percent 30",
        " class class-default",
        "  fair-queue",
        "policy-map WAN-SHAPE",
        " class class-default",
        "  shape average 50000000",
        "  service-policy BRANCH-QOS",
        "interface GigabitEthernet0/0/0",
        " service-policy output WAN-SHAPE",
    ]),
    ("qos policy for the branch wan, 100 mbps, voice 20%", "eos", "qos_policy", [
        "qos map dscp 46 to traffic-class 5",
        "qos map dscp 18 26 to traffic-class 3",
        "qos profile WAN-EDGE-QOS",
        "   qos trust dscp",
        "   shape rate 100000",
        "   tx-queue 5",
        "      priority strict",
        "      shape rate 20 percent",
        "   tx-queue 3",
        "      no priority",
        "      bandwidth percent 30",
        "   tx-queue 0",
        "      no priority",
        "      bandwidth percent 50",
    ]),
    ("set up qos on Et5: 1 gbps line rate, voice 30%, business 40%", "eos", "qos_policy", [
        "interface Ethernet5",
        "   service-profile WAN-EDGE-QOS",
    ]),
]


@pytest.mark.parametrize(("text", "os", "kind", "expected"), CASES, ids=[f"{c[2]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_detect_and_render(text: str, os: str, kind: str, expected: list[str]) -> None:
    req = detect_template(text)
    assert req is not None and req.kind == kind
    out = render_config(req, os)
    assert out.kind == kind and out.os == os
    assert out.problems == []
    assert_block(out.lines, expected)


def test_extracted_params_access_port() -> None:
    req = detect_template("configure Gi1/0/5 on access-sw-01 as an access port in vlan 110 with voice vlan 120")
    assert req is not None
    assert req.params == {"device": "access-sw-01", "interface": "GigabitEthernet1/0/5", "vlan": 110, "voice_vlan": 120}
    assert req.missing == []


def test_extracted_params_bgp_and_default_local_as() -> None:
    req = detect_template("new bgp neighbor 192.0.2.1 remote-as 64520 description Partner-X")
    assert req is not None
    assert req.params["neighbor"] == "192.0.2.1" and req.params["remote_as"] == 64520
    assert req.params["description"] == "Partner-X"
    assert req.params["local_as"] == 65000 and "local_as" in req.missing
    out = render_config(req, "ios")
    assert any("local AS 65000" in a for a in out.assumptions)
    assert any(BGP_MD5_PLACEHOLDER in a for a in out.assumptions)


def test_branch_router_local_as_comes_from_the_lab() -> None:
    out = render("add bgp neighbour 172.16.100.1 remote-as 65000 on branch-rtr-01", "ios")
    assert out.device == "branch-rtr-01"
    assert out.lines[0] == "router bgp 65101"


def test_site_values_come_from_the_inventory_not_the_templates() -> None:
    """Without the inventory's values nothing stands in for a missing AS, VLAN or policy name: the
    request must say it. With them, each is used and said, naming whose value it is."""
    bgp = detect_for_site("new bgp neighbor 192.0.2.1 remote-as 64520")
    assert bgp is not None and "local_as" in bgp.missing and "local_as" not in bgp.params
    bare = render_for_site(bgp, "ios")
    assert bare.lines[0] == "router bgp <local-as>"
    assert any("no local AS given" in p for p in bare.problems)
    access = render_for_site(detect_for_site("make Gi1/0/9 an access port"), "ios")  # type: ignore[arg-type]
    assert " switchport access vlan <vlan>" in access.lines and any("no access VLAN given" in p for p in access.problems)
    qos = render_for_site(detect_for_site("qos policy for the branch wan, 100 mbps, voice 20%"), "ios")  # type: ignore[arg-type]
    assert "policy-map <policy-name>" in qos.lines and any("no policy name given" in p for p in qos.problems)
    assert any("no shaper name given" in p for p in qos.problems)
    assert not any("65000" in line or "WAN-EDGE-QOS" in line for out in (bare, access, qos) for line in out.lines)

    site = SiteDefaults(where="r1", local_as=64999, access_vlan=30, qos_policy="EDGE", qos_shaper="SHAPE")
    told = render_for_site(bgp, "ios", "r1", site=site)
    assert told.problems == [] and told.lines[0] == "router bgp 64999"
    assert any("local AS 64999 (r1's AS in the inventory)" in a for a in told.assumptions)
    qos_told = render_for_site(detect_for_site("qos policy for the branch wan, 100 mbps, voice 20%"), "ios", site=site)  # type: ignore[arg-type]
    assert qos_told.problems == [] and "policy-map EDGE" in qos_told.lines and "policy-map SHAPE" in qos_told.lines


def test_a_bad_site_value_is_a_problem_not_a_crash() -> None:
    req = detect_for_site("make Gi1/0/9 an access port")
    assert req is not None
    out = render_for_site(req, "ios", site=SiteDefaults(access_vlan="users"))
    assert any("access VLAN must be a whole number" in p for p in out.problems)


def test_extracted_params_qos_and_static() -> None:
    qos = detect_template("qos policy for the branch wan, 100 mbps, voice 20%")
    assert qos is not None and qos.params == {"bandwidth_mbps": 100, "voice_pct": 20}
    route = detect_template("static route to 10.50.0.0/16 via 10.0.3.0")
    assert route is not None and route.params == {"prefix": "10.50.0.0/16", "next_hop": "10.0.3.0"}


def test_defaults_are_stated_as_assumptions() -> None:
    out = render("make Gi1/0/9 an access port", "ios")
    assert "vlan" in detect_template("make Gi1/0/9 an access port").missing  # type: ignore[union-attr]
    assert " switchport access vlan 110" in out.lines
    assert any("access VLAN 110" in a for a in out.assumptions)
    ospf = render("add ospf on Ethernet7", "eos")
    assert any("process 1" in a for a in ospf.assumptions) and any("area 0" in a for a in ospf.assumptions)
    eos_qos = render("qos policy for the branch wan, 100 mbps, voice 20%", "eos")
    assert any("EOS has no MQC" in a for a in eos_qos.assumptions)


def test_trunk_without_allowed_vlans_is_fine() -> None:
    out = render("how do I configure a trunk on Te1/1/1?", "ios")
    assert out.problems == []
    assert not any("allowed vlan" in line for line in out.lines)
    assert any("all VLANs" in a for a in out.assumptions)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "os", "needle"), [
    ("configure Gi1/0/5 as an access port in vlan 5000", "ios", "access VLAN 5000 is outside 1-4094"),
    ("configure Et3 as an access port in vlan 110 with voice vlan 0", "eos", "voice VLAN 0 is outside 1-4094"),
    ("make Te1/1/1 a trunk allowing vlans 110,4095", "ios", "allowed VLAN 4095 is outside 1-4094"),
    ("make Et49 a trunk with native vlan 4096", "eos", "native VLAN 4096 is outside 1-4094"),
])
def test_bad_vlan(text: str, os: str, needle: str) -> None:
    out = render(text, os)
    assert any(needle in p for p in out.problems), out.problems


@pytest.mark.parametrize(("text", "needle"), [
    ("new bgp neighbor 192.0.2.300 remote-as 64520", "neighbour 192.0.2.300 is not a valid IP address"),
    ("static route to 10.50.0.0/16 via 10.0.300.1", "next hop 10.0.300.1 is not a valid IP address"),
    ("static route to 10.50.1.0/16 via 10.0.3.0", "has host bits set; the network is 10.50.0.0/16"),
    ("add static route 10.50.0.0 255.0.255.0 10.0.3.0", "mask 255.0.255.0 is not a valid netmask"),
    ("static route to 10.50.0.0 via 10.0.3.0", "has no prefix length or mask"),
    ("add network 10.0.1.1/31 area 0 to ospf 1", "has host bits set"),
])
@pytest.mark.parametrize("os", ["ios", "eos"])
def test_bad_ip_or_prefix(text: str, needle: str, os: str) -> None:
    out = render(text, os)
    assert any(needle in p for p in out.problems), out.problems


@pytest.mark.parametrize("os", ["ios", "eos"])
def test_next_hop_inside_destination(os: str) -> None:
    out = render("add a static route to 10.50.0.0/16 via 10.50.3.1", os)
    assert any("next hop 10.50.3.1 is inside the destination prefix 10.50.0.0/16" in p for p in out.problems)
    default = render("add a default route via 203.0.113.1", os)
    assert default.problems == []  # everything is "inside" 0.0.0.0/0; that is not a loop


def test_static_route_without_next_hop_is_a_problem() -> None:
    req = detect_template("static route to 10.50.0.0/16")
    assert req is not None and "next_hop" in req.missing
    out = render_config(req, "ios")
    assert "static route has no next hop or exit interface" in out.problems
    assert out.lines == ["ip route 10.50.0.0 255.255.0.0 <next-hop>"]


def test_unknown_interface() -> None:
    out = render("configure Gi1/0/55 on access-sw-01 as an access port in vlan 110", "ios", "access-sw-01", ACCESS_SW_01)
    assert any("GigabitEthernet1/0/55 does not exist on access-sw-01" in p for p in out.problems), out.problems
    ok = render("configure Gi1/0/5 on access-sw-01 as an access port in vlan 110", "ios", "access-sw-01", ACCESS_SW_01)
    assert ok.problems == []
    eos = render("add ospf on Et60 area 0", "eos", "core-sw-01", CORE_SW_01)
    assert any("Ethernet60 does not exist on core-sw-01" in p for p in eos.problems)


def test_interface_style_must_match_the_os() -> None:
    out = render("make Te1/1/1 a trunk allowing vlans 110,120", "eos")
    assert any("IOS-style name" in p for p in out.problems)
    out = render("add ospf on Ethernet7 area 0", "ios")
    assert any("EOS-style name" in p for p in out.problems)


def test_as_numbers_and_percentages() -> None:
    out = render("new bgp neighbor 192.0.2.1 remote-as 4294967296", "ios")
    assert any("remote AS 4294967296 is outside 1-4294967295" in p for p in out.problems)
    missing = render("new bgp neighbor 192.0.2.1 description Partner-X", "eos")
    assert "no remote AS given for the neighbour" in missing.problems
    qos = render("qos for Gi0/0/0: 100 mbps, voice 50%, business 40%, video 20%", "ios")
    assert any("sum to 110%" in p for p in qos.problems)


def test_unsupported_os_is_a_problem_not_a_crash() -> None:
    req = detect_template("make Te1/1/1 a trunk allowing vlans 110,120")
    assert req is not None
    out = render_config(req, "vyos")  # Junos has templates since issue 24; VyOS has none
    assert out.lines == [] and out.problems


def test_a_kind_a_platform_does_not_have_is_a_problem_naming_why() -> None:
    req = detect_template("make Te0/0/0/1 a trunk allowing vlans 110,120")
    assert req is not None
    out = render_config(req, "iosxr")
    assert out.lines == [] and out.problems == ["no trunk template for iosxr: IOS-XR routers have no switchports"]
    junos = render_config(detect_template("make xe-0/0/3 a trunk allowing vlans 110,120-130 native vlan 99"), "junos")
    assert junos.valid and junos.lines == [
        "set interfaces xe-0/0/3 unit 0 family ethernet-switching interface-mode trunk",
        "set interfaces xe-0/0/3 unit 0 family ethernet-switching vlan members [ 110 120-130 ]",
        "set interfaces xe-0/0/3 native-vlan-id 99"], junos


# --------------------------------------------------------------------------------------------
# Structure and secrets
# --------------------------------------------------------------------------------------------


def test_structure_check_catches_orphans() -> None:
    assert structure_problems(["interface GigabitEthernet1/0/5", " no shutdown"], "ios") == []
    assert structure_problems([" description orphan", "interface GigabitEthernet1/0/5"], "ios")


@pytest.mark.parametrize(("text", "os"), [(c[0], c[1]) for c in CASES])
def test_every_rendering_parses_with_hier_config(text: str, os: str) -> None:
    out = render(text, os)
    assert structure_problems(out.lines, os) == []
    assert not out.lines[0].startswith(" ")


def test_passwords_never_appear() -> None:
    text = "configure bgp neighbor 10.255.0.41 remote-as 65000 update-source Loopback0 password S3cr3t!"
    req = detect_template(text)
    assert req is not None
    assert "S3cr3t!" not in repr(req)
    for os in ("ios", "eos"):
        out = render_config(req, os)
        dump = out.model_dump_json()
        assert "S3cr3t!" not in dump
        assert any(re.fullmatch(rf"\s+neighbor 10\.255\.0\.41 password {re.escape(BGP_MD5_PLACEHOLDER)}", line) for line in out.lines)
        assert any("ignored" in a for a in out.assumptions)


def test_secret_smuggled_through_params_is_scrubbed() -> None:
    req = TemplateRequest(kind="bgp_neighbor", params={"neighbor": "192.0.2.1", "remote_as": 64520, "local_as": 65000,
                                                       "description": "x password hunter2"}, missing=[])
    out = render_config(req, "ios")
    assert all("hunter2" not in line for line in out.lines)
    assert " neighbor 192.0.2.1 description x password <redacted>" in out.lines
    assert any("secret value was removed" in p for p in out.problems)
    plain = TemplateRequest(kind="bgp_neighbor", params={"neighbor": "192.0.2.1", "remote_as": 64520, "local_as": 65000,
                                                         "description": "ISP key account"}, missing=[])
    assert render_config(plain, "eos").problems == []


def test_description_cannot_inject_lines() -> None:
    req = TemplateRequest(kind="access_port", params={"interface": "Gi1/0/5", "vlan": "110",
                                                      "description": "desk\ninterface Vlan1\n shutdown"}, missing=[])
    out = render_config(req, "ios")
    assert out.problems == []
    assert " description desk interface Vlan1 shutdown" in out.lines
    assert "interface Vlan1" not in out.lines


# --------------------------------------------------------------------------------------------
# Not a template request
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "why is bgp down on edge-rtr-01?",
    "is telnet enabled anywhere?",
    "why did the new bgp neighbor go down?",
    "show me the trunk config on Te1/1/1",
    "is there a qos policy on branch-rtr-01 Gi0/0/0?",
    "validate the running config on edge-rtr-01",
    "what is the cpu on edge-rtr-01",
    "",
])
def test_not_a_template(text: str) -> None:
    assert detect_template(text) is None


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "os", "canon"), [
    ("Gi1/0/5", None, "GigabitEthernet1/0/5"),
    ("te1/1/1", None, "TenGigabitEthernet1/1/1"),
    ("Et7", None, "Ethernet7"),
    ("ethernet7", None, "Ethernet7"),
    ("Po10", "eos", "Port-Channel10"),
    ("Po10", "ios", "Port-channel10"),
    ("Vl99", None, "Vlan99"),
    ("Lo0", None, "Loopback0"),
])
def test_normalise_interface(raw: str, os: str | None, canon: str) -> None:
    assert normalise_interface(raw, os) == canon


def test_parse_vlan_list() -> None:
    assert parse_vlan_list("110,120,99") == ([(99, 99), (110, 110), (120, 120)], [])
    assert parse_vlan_list("100 - 105, 104-110 and 200") == ([(100, 110), (200, 200)], [])
    assert parse_vlan_list([99, "110"]) == ([(99, 99), (110, 110)], [])
    assert parse_vlan_list("10,abc")[1] == ["abc"]
