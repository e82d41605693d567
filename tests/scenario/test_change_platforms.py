"""Changes on the lab's multi-vendor edge (issue 24): the Junos router, the NX-OS leaf, the IOS-XR PE.

Through `noc change propose DEVICE --lines FILE` and `noc change approve` (the CLI a person uses):
on Junos, whose NAPALM driver commits with a revert timer (`commit confirmed`), a valid change is
applied, post-checked and confirmed, and lands in the router's brace configuration; on NX-OS and
IOS-XR, whose NAPALM drivers raise NotImplementedError for `revert_in`, a valid change is
reviewed in full (grammar, values, risk, hier_config remediation, the device's own diff) and then
refused before anyone is asked, the device untouched. Invalid values are refused on all three,
routes over the management network or the default route are critical, and hier_config's
remediation keeps only what the device lacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.changes.candidate import from_drafted
from agents.lab import DATA_DIR, device_fixture_dir
from agents.lab.stateful import has_pending, reset_scenario
from agents.tools.junos_set import to_set_form
from bot.cli.main import cli

KINDS = ["qos_policy", "access_port", "trunk", "static_route"]
JUNOS_QOS = """set class-of-service schedulers WAN-VOICE transmit-rate percent 20
set class-of-service schedulers WAN-VOICE priority strict-high
set class-of-service schedulers WAN-BE transmit-rate percent 60
set class-of-service scheduler-maps WAN-EDGE forwarding-class expedited-forwarding scheduler WAN-VOICE
set class-of-service scheduler-maps WAN-EDGE forwarding-class best-effort scheduler WAN-BE
set class-of-service interfaces xe-0/1/1 scheduler-map WAN-EDGE
"""

JUNOS_COS_BRACES = """class-of-service {
    schedulers {
        WAN-VOICE {
            transmit-rate percent 20;
            priority strict-high;
        }
    }
    interfaces {
        xe-0/1/1 {
            scheduler-map WAN-EDGE;
        }
    }
}
"""


def shipped(device: str) -> str:
    return json.loads((DATA_DIR / "devices" / device / "get_config.1").read_text())["running"]


def running(device: str) -> str:
    return json.loads((device_fixture_dir("healthy", device) / "get_config.1").read_text())["running"]


@pytest.fixture(autouse=True)
def healthy_lab():
    reset_scenario("healthy")
    yield
    reset_scenario("healthy")


@pytest.fixture
def noc(tmp_path: Path):
    config = tmp_path / "noc.yml"
    config.write_text(f"store:\n  url: sqlite:///{tmp_path / 'noc.db'}\nnetwork:\n  scenario: healthy\n"
                      "access:\n  operator:\n    users: [alice, bob]\n")

    def run(*args: str, user: str = "alice", lines: str | None = None):
        extra: list[str] = []
        if lines is not None:
            file = tmp_path / "lines.txt"
            file.write_text(lines)
            extra = ["--lines", str(file)]
        result = CliRunner().invoke(cli, ["--config", str(config), "change", *args, *extra], env={"NOC_USER": user})
        assert "Traceback" not in result.output
        return result
    return run


def propose_and_approve(noc, device: str, lines: str) -> tuple[str, str]:
    proposed = noc("propose", device, lines=lines)
    assert proposed.exit_code == 0, proposed.output
    assert "pending" in proposed.output
    change_id = proposed.output.split()[0]
    approved = noc("approve", change_id, user="bob")
    return change_id, proposed.output + approved.output


# -- Junos: applied with commit confirmed, post-checked, confirmed ---------------------------------

def test_junos_static_route_is_applied_and_confirmed(noc):
    change_id, output = propose_and_approve(noc, "peer-rtr-01", "set routing-options static route 172.20.0.0/16 next-hop 10.0.5.0\n")
    assert "[edit routing-options static]\n  +    route 172.20.0.0/16 next-hop 10.0.5.0;" in output
    assert "risk: medium" in output  # an internet-edge router: never low
    assert f"{change_id}: confirmed" in output, output
    after = running("peer-rtr-01")
    assert "        route 172.20.0.0/16 next-hop 10.0.5.0;\n    }" in after  # inside routing-options { static { } }
    assert "set routing-options static route 172.20.0.0/16 next-hop 10.0.5.0" in to_set_form(after).lines
    assert not to_set_form(after).unplaced and not has_pending(device_fixture_dir("healthy", "peer-rtr-01"))
    assert "post-check" in noc("show", change_id).output


def test_junos_qos_is_applied_then_remediation_keeps_only_what_is_missing(noc):
    change_id, output = propose_and_approve(noc, "peer-rtr-01", JUNOS_QOS)
    assert f"{change_id}: confirmed" in output, output
    assert "kind: qos_policy" in output and "[edit class-of-service]" in output
    lines = set(to_set_form(running("peer-rtr-01")).lines)
    assert all(line in lines for line in JUNOS_QOS.splitlines())
    # hier_config against the router's brace config (read as set lines): only the new statement remains
    again = noc("propose", "peer-rtr-01", lines=JUNOS_QOS + "set class-of-service interfaces xe-0/1/0 scheduler-map WAN-EDGE\n")
    assert again.exit_code == 0, again.output
    assert again.output.count("+    ") == 1 and "interfaces xe-0/1/0 scheduler-map WAN-EDGE;" in again.output
    same = noc("propose", "peer-rtr-01", lines=JUNOS_QOS)
    assert same.exit_code == 1 and "already has this configuration" in same.output


# -- NX-OS and IOS-XR: reviewed in full, refused for want of a revert timer -------------------------

@pytest.mark.parametrize(("device", "lines", "diff", "native"), [
    ("dc-leaf-02", "interface Ethernet1/3\n  switchport\n  switchport mode access\n  switchport access vlan 210\n"
     "  spanning-tree port type edge\n  no shutdown\n",
     "interface Ethernet1/3\n  +  switchport\n  +  switchport mode access\n  +  switchport access vlan 210", "NX-OS has no commit-confirmed"),
    ("dc-leaf-02", "ip route 172.20.0.0/16 10.0.2.4 name LAB 200\n", "+ip route 172.20.0.0/16 10.0.2.4 name LAB 200",
     "NX-OS has no commit-confirmed"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  172.20.0.0/16 10.0.3.4\n",
     "router static\n  + address-family ipv4 unicast\n  +  172.20.0.0/16 10.0.3.4", "IOS-XR has `commit confirmed` natively"),
    ("pe-rtr-01", "policy-map WAN-EDGE\n class class-default\n  shape average percent 80\ninterface TenGigE0/0/0/1\n"
     " service-policy output WAN-EDGE\n", "interface TenGigE0/0/0/1\n  + service-policy output WAN-EDGE",
     "IOS-XR has `commit confirmed` natively"),
])
def test_nxos_and_iosxr_changes_are_reviewed_then_refused_without_a_revert_timer(noc, device, lines, diff, native):
    before = running(device)
    result = noc("propose", device, lines=lines)
    assert result.exit_code == 1, result.output
    assert diff in result.output, result.output  # the device's own compare_config through the lab
    assert "[ok] candidate" in result.output and "[ok] audit" in result.output
    assert "[FAIL] revert timer" in result.output and native in result.output
    assert "raises NotImplementedError" in result.output and "by hand" in result.output
    assert running(device) == before and not has_pending(device_fixture_dir("healthy", device))
    change_id = result.output.split()[0]
    assert "already refused" in noc("approve", change_id, user="bob").output


# -- invalid values, on each platform ---------------------------------------------------------------

@pytest.mark.parametrize(("device", "lines", "said"), [
    ("peer-rtr-01", "set routing-options static route 172.20.0.1/16 next-hop 10.0.5.0", "has host bits set"),
    ("peer-rtr-01", "set routing-options static route 172.20.0.0/16 next-hop 224.0.0.5", "not a usable host address"),
    ("peer-rtr-01", "set routing-options static route 172.20.0.0/16 next-hop 10.0.5.300", "10.0.5.300 is not an IPv4 address: 'set routing"),
    ("peer-rtr-01", "set class-of-service interfaces xe-0/9/9 scheduler-map WAN-EDGE", "xe-0/9/9 does not exist"),
    ("peer-rtr-01", "set class-of-service schedulers WAN-VOICE transmit-rate percent 120", "120 percent is out of range"),
    ("peer-rtr-01", "set interfaces xe-0/1/0 unit 0 family ethernet-switching interface-mode access\n"
     "set interfaces xe-0/1/0 unit 0 family ethernet-switching vlan members 20", "is a routed port"),
    ("peer-rtr-01", "set system services telnet", "outside the"),
    ("dc-leaf-02", "ip route 172.20.0.0/33 10.0.2.4", "not a valid netmask"),
    ("dc-leaf-02", "ip route 172.20.0.0/16 10.0.2.4 300", "distance 300 is out of range"),
    ("dc-leaf-02", "ip route 172.20.0.0/16 Ethernet1/77 10.0.2.4", "Ethernet1/77 does not exist"),
    ("dc-leaf-02", "interface Ethernet1/77\n  switchport mode access\n  switchport access vlan 210", "does not exist on the device"),
    ("dc-leaf-02", "interface Ethernet1/3\n  switchport mode access\n  switchport access vlan 4095", "VLAN 4095 is out of range"),
    ("dc-leaf-02", "interface Ethernet1/4\n  switchport mode trunk\n  switchport trunk allowed vlan 30-10", "out of range or reversed"),
    ("dc-leaf-02", "class-map type qos match-any VOICE\n  match dscp 46,70", "DSCP 70 is out of range"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  172.20.0.0/16 10.0.3.256", "10.0.3.256 is not an IPv4 address: '172.20"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  172.20.0.0/16 0.1.2.3", "not a usable host address"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  172.20.0.0/16 TenGigE0/0/0/9 10.0.3.4", "does not exist"),
    ("pe-rtr-01", "interface TenGigE0/0/0/2\n switchport mode access\n switchport access vlan 10", "IOS-XR routers have no switchports"),
    ("pe-rtr-01", "interface TenGigE0/0/0/2\n service-policy output WAN-EDGE\n shutdown", "'shutdown'"),
])
def test_invalid_values_are_refused_on_every_new_platform(noc, device, lines, said):
    result = noc("propose", device, lines=lines + "\n")
    assert result.exit_code == 1, result.output
    assert "refused" in result.output and said in result.output, result.output
    assert "revert timer" not in result.output  # refused for its values, before the device is asked


# -- critical routes ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("device", "lines", "why"), [
    ("peer-rtr-01", "set routing-options static route 0.0.0.0/0 next-hop 198.51.100.1", "replaces the default route"),
    ("peer-rtr-01", "set routing-options static route 10.10.0.0/16 next-hop 10.0.5.0",
     "covers the device's management address 10.10.99.71"),
    ("peer-rtr-01", "set routing-options static route 10.10.99.128/25 discard", "overlaps the management subnet 10.10.99.0/24"),
    ("dc-leaf-02", "ip route 0.0.0.0/0 10.0.2.4", "replaces the default route"),
    ("dc-leaf-02", "ip route 10.10.96.0/22 Null0", "covers the device's management address 10.10.99.32"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  0.0.0.0/0 10.0.3.4", "replaces the default route"),
    ("pe-rtr-01", "router static\n address-family ipv4 unicast\n  10.10.99.0/24 Null0", "covers the device's management address 10.10.99.61"),
    ("dc-leaf-02", "interface Ethernet1/49\n  switchport\n  switchport mode trunk", "Ethernet1/49 is a routed port (10.0.2.5/31)"),
])
def test_routes_over_management_or_the_default_are_critical(noc, device, lines, why):
    result = noc("propose", device, lines=lines + "\n")
    assert "risk: critical" in result.output and why in result.output, result.output


def test_a_critical_junos_route_is_still_applied_only_after_approval(noc):
    change_id, output = propose_and_approve(noc, "peer-rtr-01", "set routing-options static route 10.10.99.128/25 discard\n")
    assert "risk: critical" in output and f"{change_id}: confirmed" in output, output
    assert "set routing-options static route 10.10.99.128/25 discard" in to_set_form(running("peer-rtr-01")).lines


# -- hier_config remediation per platform -----------------------------------------------------------

@pytest.mark.parametrize(("os", "device", "lines", "kept"), [
    ("nxos", "dc-leaf-02", ["interface Ethernet1/1", "  description srv-db-01 eth0", "  switchport mode access",
                            "  switchport access vlan 210", "  spanning-tree port type edge"],
     ["interface Ethernet1/1", "  switchport mode access"]),
    ("nxos", "dc-leaf-02", ["ip route 172.20.0.0/16 10.0.2.4"], ["ip route 172.20.0.0/16 10.0.2.4"]),
    ("iosxr", "pe-rtr-01", ["policy-map WAN-EDGE", " class class-default", "  shape average percent 80",
                            "interface TenGigE0/0/0/1", " service-policy output WAN-EDGE"],
     ["interface TenGigE0/0/0/1", " service-policy output WAN-EDGE"]),
    ("iosxr", "pe-rtr-01", ["router static", " address-family ipv4 unicast", "  172.20.0.0/16 10.0.3.4"],
     ["router static", " address-family ipv4 unicast", "  172.20.0.0/16 10.0.3.4"]),
    ("junos", "peer-rtr-01", ["set class-of-service schedulers WAN-VOICE priority strict-high",
                              "set class-of-service interfaces xe-0/1/1 scheduler-map WAN-EDGE",
                              "set class-of-service interfaces xe-0/1/0 scheduler-map WAN-EDGE"],
     ["set class-of-service interfaces xe-0/1/0 scheduler-map WAN-EDGE"]),
])
def test_hier_config_remediation_writes_each_platforms_lines(os, device, lines, kept):
    config = shipped(device)
    if os == "junos":  # the router as Junos prints it, with a class-of-service block in braces
        config += JUNOS_COS_BRACES
    if os == "iosxr":  # and the PE with a policy-map as IOS-XR prints it (end-policy-map included)
        config = config.replace("\nend", "\npolicy-map WAN-EDGE\n class class-default\n  shape average percent 80\n !\n end-policy-map\n!\nend")
    candidate = from_drafted(lines, os, config, KINDS)
    assert candidate.problems == [] and candidate.lines == kept, candidate


def test_a_change_the_device_already_has_is_refused_on_each_platform():
    for os, device, lines in [("nxos", "dc-leaf-02", ["interface Ethernet1/1", "  switchport access vlan 210"]),
                              ("nxos", "dc-leaf-02", ["interface Ethernet1/2", "  description srv-db-02 eth0"]),
                              ("junos", "peer-rtr-01", ["set class-of-service schedulers WAN-VOICE priority strict-high"])]:
        config = shipped(device) + (JUNOS_COS_BRACES if os == "junos" else "")
        candidate = from_drafted(lines, os, config, KINDS)
        assert candidate.problems == ["the device already has this configuration: nothing to change"], (os, candidate)


# -- templates: a question in words becomes each platform's lines -----------------------------------

@pytest.mark.parametrize(("device", "question", "expected"), [
    ("peer-rtr-01", "add a static route to 172.20.0.0/16 via 10.0.5.0 distance 200 on peer-rtr-01",
     ["set routing-options static route 172.20.0.0/16 next-hop 10.0.5.0",
      "set routing-options static route 172.20.0.0/16 preference 200"]),
    ("dc-leaf-02", "add a static route to 172.20.0.0/16 via 10.0.2.4 on dc-leaf-02", ["ip route 172.20.0.0/16 10.0.2.4"]),
    ("pe-rtr-01", "add a static route to 172.20.0.0/16 via 10.0.3.4 on pe-rtr-01",
     ["router static", " address-family ipv4 unicast", "  172.20.0.0/16 10.0.3.4"]),
    ("dc-leaf-02", "configure Eth1/5 as an access port in vlan 210 on dc-leaf-02",
     ["interface Ethernet1/5", "  switchport", "  switchport mode access", "  switchport access vlan 210",
      "  spanning-tree port type edge", "  spanning-tree bpduguard enable"]),
    ("pe-rtr-01", "apply a QoS policy named WAN-EDGE with 20% voice and 30% business on Te0/0/0/1 on pe-rtr-01",
     ["class-map match-any VOICE", " match dscp ef", "class-map match-any BUSINESS", " match dscp af31 af21",
      "policy-map WAN-EDGE", " class VOICE", "  priority level 1", "  police rate percent 20", " class BUSINESS",
      "  bandwidth percent 30", " class class-default", "  random-detect default",
      "interface TenGigE0/0/0/1", " service-policy output WAN-EDGE"]),
    ("dc-leaf-02", "apply a QoS policy named WAN-EDGE with 20% voice on Ethernet1/49 on dc-leaf-02",  # business: the 30% default
     ["class-map type qos match-any VOICE", "  match dscp 46", "class-map type qos match-any BUSINESS", "  match dscp 18,26",
      "policy-map type qos WAN-EDGE-IN", "  class VOICE", "    set qos-group 5", "  class BUSINESS", "    set qos-group 3",
      "policy-map type queuing WAN-EDGE", "  class type queuing c-out-8q-q5", "    priority level 1",
      "  class type queuing c-out-8q-q3", "    bandwidth remaining percent 30",
      "  class type queuing c-out-8q-q-default", "    bandwidth remaining percent 50", "interface Ethernet1/49",
      "  service-policy type qos input WAN-EDGE-IN", "  service-policy type queuing output WAN-EDGE"]),
])
def test_templates_render_each_platforms_lines_and_they_pass_the_grammar(device, question, expected):
    from agents.changes.candidate import from_text
    from agents.lab import lab_inventory

    os = lab_inventory("healthy").get(device).os
    candidate = from_text(question, device, os, shipped(device), KINDS)
    assert candidate is not None and candidate.problems == [] and candidate.lines == expected, candidate


def test_a_junos_qos_question_is_applied_through_the_cli(noc):
    """The Junos QoS template's lines, proposed from a file as rendered, committed and confirmed."""
    from agents.changes.candidate import from_text

    question = "apply a QoS policy named WAN-EDGE with 20% voice, 10% video and 30% business on xe-0/1/1 shaped to 500 Mbps"
    candidate = from_text(question + " on peer-rtr-01", "peer-rtr-01", "junos", shipped("peer-rtr-01"), KINDS)
    assert candidate is not None and not candidate.problems, candidate
    assert "set class-of-service interfaces xe-0/1/1 shaping-rate 500m" in candidate.lines
    change_id, output = propose_and_approve(noc, "peer-rtr-01", "\n".join(candidate.lines) + "\n")
    assert f"{change_id}: confirmed" in output, output
    assert set(candidate.lines) <= set(to_set_form(running("peer-rtr-01")).lines)


# -- the revert timer, read from each platform's NAPALM driver ----------------------------------------

@pytest.mark.parametrize(("platform", "os", "revert_in", "said"), [
    ("ios", "ios", 300, None),
    ("eos", "eos", 300, None),
    ("junos", "junos", 300, None),
    ("junos", "junos", 90, "whole minutes"),
    ("ios", "ios", 7260, "1 to 120 minutes"),
    ("nxos", "nxos", 300, "NX-OS has no commit-confirmed"),
    ("nxos_ssh", "nxos", 300, "NX-OS has no commit-confirmed"),
    ("iosxr", "iosxr", 300, "IOS-XR has `commit confirmed` natively"),
    ("iosxr_netconf", "iosxr", 300, "IOS-XR has `commit confirmed` natively"),
    ("mock", "nxos", 300, "NX-OS has no commit-confirmed"),  # a lab device stands in for its OS's driver
    ("mock", "junos", 300, None),
])
def test_the_revert_timer_is_read_from_the_platforms_napalm_driver(platform, os, revert_in, said):
    from agents.changes.device import revert_problem
    from agents.network.inventory import Device

    problem = revert_problem(Device(name="d1", hostname="192.0.2.1", platform=platform, os=os), revert_in)
    assert (problem is None) == (said is None) and (said is None or said in problem), problem


def test_the_lab_refuses_a_timed_commit_where_the_real_driver_does(tmp_path):
    """Defence in depth behind the pre-check: the lab's NX-OS leaf refuses `revert_in` as NAPALM's
    nxos driver does, and changes nothing."""
    from agents.lab import lab_inventory
    from agents.lab.stateful import LabDriver

    device = lab_inventory("healthy").get("dc-leaf-02")
    driver = LabDriver(device.hostname, "lab", "", 5, {**device.optional_args, "lab_os": "nxos"})
    driver.open()
    driver.load_merge_candidate(config="ip route 172.20.0.0/16 10.0.2.4\n")
    assert driver.compare_config() == "+ip route 172.20.0.0/16 10.0.2.4"
    with pytest.raises(NotImplementedError):
        driver.commit_config(revert_in=300)
    assert running("dc-leaf-02") == shipped("dc-leaf-02")
