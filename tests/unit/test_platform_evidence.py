"""Evidence on every platform (issue 24): BGP identity from the global table with VRFs named, the
busiest CPU per slot instead of an average, unused ports that are not faults, and syslog from
NX-OS, IOS-XR and Junos with the acting user of a change. Real NAPALM getter results (see
tests/data/realworld/SOURCES.md) and the lab through the tools."""

from __future__ import annotations

import json

from agents.network.commands import PLATFORMS, commands, purposes
from agents.tools.logs import analyse_events, parse_log
from agents.tools.routing_checks import bgp_instances
from agents.tools.sensors import cpu_readings, device_health_readings, slot_health, slot_of
from agents.tools.traffic import in_use
from tests.harness.paths import DATA

NAPALM = DATA / "realworld" / "napalm"


def _load(path: str) -> dict:
    return json.loads((NAPALM / path / "expected_result.json").read_text())


def test_iosxr_bgp_identity_is_the_global_tables_not_the_first_vrfs():
    instances = bgp_instances(_load("iosxr/get_bgp_neighbors/normal"))
    assert (instances[0].vrf, instances[0].local_as, instances[0].router_id) == ("global", 31337, "1.9.9.0")
    assert {i.vrf for i in instances[1:]} == {"test", "test2"} and all(i.local_as == 13335 for i in instances[1:])


def test_junos_bgp_global_first_and_instances_named():
    instances = bgp_instances(_load("junos/get_bgp_neighbors/normal"))
    assert instances[0].vrf == "global" and instances[0].router_id == "10.255.255.1" and instances[0].local_as == 30001
    assert "frontend" in {i.vrf for i in instances}


def test_iosxr_hot_line_card_cpu_is_not_averaged_away():
    env = _load("iosxr/get_environment/normal")
    cpus = cpu_readings(env)
    assert (cpus[0].name, cpus[0].value) == ("0/3/CPU0", 29.0)
    slots = slot_health("iosxr", device_health_readings("pe", "iosxr", env), cpus)
    assert slots[0].slot == "0/3" and slots[0].cpu_pct == 29.0
    assert {"0/RSP0", "0/RSP1", "0/0", "0/1", "0/2", "0/3"} <= {s.slot for s in slots}


def test_junos_sensors_grouped_by_fru():
    env = _load("junos/get_environment/ex9208")
    readings = device_health_readings("ex", "junos", env)
    slots = slot_health("junos", readings, cpu_readings(env))
    assert all(s.temperature_sensor and slot_of("junos", s.temperature_sensor) == s.slot for s in slots if s.temperature_sensor)
    assert {"FPC 2", "FPC 5", "CB 0", "Routing Engine 0"} <= {s.slot for s in slots}
    failed = [p.name for p in readings.power_supplies if p.ok is False]
    assert failed and slots[0].failed == [failed[0]]  # the slot with a failed component comes first


def test_unused_ports_are_not_in_use_but_described_or_addressed_ones_are():
    addressed = {"xe-0/1/0.0", "Ethernet1/49"}
    spare = {"is_up": False, "is_enabled": True, "description": ""}
    assert not in_use("xe-0/1/5", spare, addressed)
    assert in_use("xe-0/1/0", spare, addressed)  # its unit carries an address
    assert in_use("Ethernet1/2", {**spare, "description": "srv-db-02 eth0"}, addressed)
    assert in_use("xe-0/1/5", spare, None)  # addresses unknown: nothing is hidden


# Formats from the issue (NX-OS) and the platforms' documented syslog layouts.
NXOS = """2019 May 22 16:20:45 N9K-1 %ACLLOG-5-ACLLOG_FLOW_INTERVAL: Src IP: 10.1.1.1, Dst IP: 10.2.2.2
2019 May 22 16:22:00 N9K-1 %VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by admin on 10.10.99.50@pts/0
"""
IOSXR = """Log Buffer (10000000 bytes):

RP/0/RP0/CPU0:Sep 25 23:27:22.691 UTC: config[67726]: %MGBL-CONFIG-6-DB_COMMIT : Configuration committed by user 'admin'. Use 'show configuration commit changes 1000000024' to view the changes.
LC/0/3/CPU0:Feb  2 22:37:56 : ifmgr[163]: %PKT_INFRA-LINK-3-UPDOWN : Interface FourHundredGigE0/3/0/28, changed state to Down
"""
JUNOS = """Mar  5 14:47:45  r1 mgd[91373]: UI_COMMIT: User 'alice' requested 'commit' operation (comment: none)
Mar  5 14:47:47  r1 rpd[91549]: BGP_NEIGHBOR_STATE_CHANGED: BGP peer 198.51.100.1 (External AS 64520) changed state from Established to Idle (event RecvNotify) (instance master)
Mar  5 14:47:48  r1 last message repeated 2 times
Mar  5 14:47:49  r1 mib2d[1500]: SNMP_TRAP_LINK_DOWN: ifIndex 526, ifAdminStatus up(1), ifOperStatus down(2), ifName xe-0/0/1
"""


def test_nxos_logfile_events_and_the_acting_user():
    parsed = parse_log("nxos", NXOS)
    assert parsed.unparsed == [] and len(parsed.events) == 2
    change = parsed.events[1]
    assert (change.kind, change.user, change.source) == ("config", "admin", "10.10.99.50")


def test_iosxr_commit_user_and_link_state():
    parsed = parse_log("iosxr", IOSXR)
    assert parsed.unparsed == []
    commit, link = parsed.events
    assert (commit.mnemonic, commit.kind, commit.user) == ("MGBL-CONFIG-6-DB_COMMIT", "config", "admin")
    assert (link.kind, link.interface, link.state) == ("link", "FourHundredGigE0/3/0/28", "down")


def test_junos_commit_user_bgp_and_link_events():
    parsed = parse_log("junos", JUNOS)
    assert parsed.unparsed == [] and len(parsed.events) == 3  # the repeat notice is no event
    commit, bgp, link = parsed.events
    assert (commit.kind, commit.user) == ("config", "alice")
    assert (bgp.kind, bgp.peer, bgp.state) == ("adjacency", "198.51.100.1", "down")
    assert (link.kind, link.interface, link.state) == ("link", "xe-0/0/1", "down")
    findings = {f.kind: f.message for f in analyse_events("r1", parsed.events)}
    assert "BGP session with 198.51.100.1 went down" in findings["adjacency_flaps"]
    assert "interface xe-0/0/1 went down" in findings["link_flaps"]


def test_ios_change_by_a_user_on_the_console_keeps_the_user():
    [event] = parse_log("ios", "*Mar  1 00:01:02.123: %SYS-5-CONFIG_I: Configured from console by giri on console\n").events
    assert (event.kind, event.user) == ("config", "giri")


def test_every_purpose_has_a_command_on_every_platform():
    for purpose in purposes():
        for os_name in PLATFORMS:
            assert commands(os_name, purpose), (purpose, os_name)


def test_no_platform_gets_another_platforms_command_where_they_differ():
    assert commands("junos", "environment_check")[0] == "show chassis environment"
    assert commands("iosxr", "bgp_check", peer="192.0.2.1")[0] == "show bgp neighbor 192.0.2.1"
    assert commands("nxos", "logs") == ["show logging logfile"] and commands("junos", "logs") == ["show log messages"]
    assert commands("mock", "environment_check") == []  # an unknown platform gets nothing, never IOS's


# -- through the tools, on the lab's new platforms --------------------------------------------


async def test_junos_spare_ports_are_one_info_note_not_faults(make_toolbox):
    stats = await make_toolbox().get_interface_statistics("peer-rtr-01")
    assert stats.ok and not [o for o in stats.observations if o.kind == "interface_down"]
    [unused] = [o for o in stats.observations if o.kind == "interfaces_unused"]
    assert unused.severity.value == "info" and unused.data["interfaces"] == [f"xe-0/1/{n}" for n in range(2, 8)]


async def test_routing_on_every_new_platform(make_toolbox):
    tb = make_toolbox()
    bgp = await tb.check_routing_protocol("pe-rtr-01", "bgp")
    assert bgp.ok and (bgp.local_as, bgp.router_id) == (65000, "10.255.0.61") and bgp.instances[0].vrf == "global"
    assert [(n.address, n.peer_device, n.vrf) for n in bgp.neighbors] == [("10.255.0.71", "peer-rtr-01", "global")]
    for device, peers in (("pe-rtr-01", {"core-sw-01", "peer-rtr-01"}), ("peer-rtr-01", {"pe-rtr-01"}), ("dc-leaf-02", {"core-sw-01", "core-sw-02"})):
        ospf = await tb.check_routing_protocol(device, "ospf")
        assert ospf.ok and {n.peer_device for n in ospf.neighbors} == peers and all(n.is_up for n in ospf.neighbors), device


async def test_iosxr_hot_line_card_is_named_by_slot(make_toolbox):
    health = await make_toolbox("iosxr-linecard-overheat").get_device_health("pe-rtr-01")
    assert health.cpu_pct == 38.0 and health.cpu_name == "0/0/CPU0" and health.cpu_avg_pct is not None and health.cpu_avg_pct < 15
    assert health.slots[0].slot == "0/0" and health.slots[0].temperature_c == 81.5 and health.slots[0].temperature_ok is False
    assert any(o.kind == "temperature" and o.severity.value == "critical" and "slot 0/0" in o.message for o in health.observations)


async def test_logs_of_each_new_platform_parse_without_leftovers(make_toolbox):
    tb = make_toolbox("junos-bgp-down")
    for device in ("dc-leaf-02", "pe-rtr-01", "peer-rtr-01"):
        logs = await tb.search_logs(device)
        assert logs.ok and logs.total_events >= 4 and logs.unparsed == [], device
    commits = [e for e in (await tb.search_logs("peer-rtr-01", "commit")).events if e.kind == "config"]
    assert [e.user for e in commits] == ["netops", "jdoe"]


def test_ospf_tables_of_iosxr_junos_and_nxos_vrf_all_from_real_captures():
    from agents.network.parsers import parse_ospf_table

    cli = DATA / "realworld" / "cli"
    xr = parse_ospf_table("iosxr", "show ospf neighbor", (cli / "cisco_xr/show_ospf_neighbor/cisco_xr_show_ospf_neighbor.raw").read_text())
    assert len(xr.neighbors) == 4 and xr.unparsed == []  # one router id on two interfaces is two neighbours
    assert [n.role for n in xr.neighbors] == ["DR", "BDR", "DR", ""]
    junos = parse_ospf_table("junos", "show ospf neighbor", (cli / "juniper_junos/show_ospf_neighbor/juniper_junos_show_ospf_neighbor.raw").read_text())
    assert [(n.neighbor_id, n.address, n.state) for n in junos.neighbors] == [("2.2.2.2", "10.1.2.2", "FULL"), ("3.3.3.3", "10.1.3.3", "FULL")]
    assert junos.unparsed == []  # the address comes first on Junos and `{master:0}` is no neighbour
    nxos = parse_ospf_table("nxos", "show ip ospf neighbor",
                            (cli / "cisco_nxos/show_ip_ospf_neighbor/cisco_nxos_show_ip_ospf_neighbor_vrf_all.raw").read_text())
    assert {n.vrf for n in nxos.neighbors} == {"CUSTVRF1", "CUSTVRF2"} and nxos.unparsed == []
    [stuck] = [n for n in nxos.neighbors if not n.is_up]
    assert (stuck.state, stuck.vrf, stuck.interface) == ("INIT", "CUSTVRF2", "port-channel4")


async def test_iosxr_1514_facing_eos_1500_is_no_mtu_mismatch(make_toolbox):
    """IOS-XR counts the Ethernet header in its MTU: the healthy link pe-rtr-01 Te0/0/0/0 (1514) to
    core-sw-01 Et7 (1500) must not be called a mismatch, and a real one is shown in IP MTU too."""
    from agents.network.parsers import l2_overhead

    assert (l2_overhead("iosxr", "TenGigE0/0/0/0"), l2_overhead("junos", "xe-0/1/0"), l2_overhead("junos", "xe-0/1/0.0"),
            l2_overhead("eos", "Ethernet7")) == (14, 14, 0, 0)
    tb = make_toolbox()
    pe = tb.inventory.get("pe-rtr-01")
    interfaces = (await tb._read(pe, "interfaces"))["interfaces"]
    owner = (await tb._address_index()).owner("10.0.3.4", exclude="pe-rtr-01")
    assert owner is not None and owner.device == "core-sw-01"
    assert await tb._ospf_mtu_crosscheck(pe, "TenGigE0/0/0/0", interfaces, owner) == []
    jumbo = {**interfaces, "TenGigE0/0/0/0": {**interfaces["TenGigE0/0/0/0"], "mtu": 9214}}
    [mismatch] = await tb._ospf_mtu_crosscheck(pe, "TenGigE0/0/0/0", jumbo, owner)
    assert "MTU 9214 (IP MTU 9200)" in mismatch.message and "core-sw-01 Ethernet7 has MTU 1500" in mismatch.message


# -- real log captures (genieparser test output, see SOURCES.md) -----------------------------------

CLI = DATA / "realworld" / "cli"


def test_real_nxos_logfile_gives_genieparsers_two_messages():
    parsed = parse_log("nxos", (CLI / "cisco_nxos/show_logging_logfile/genieparser_nxos_show_logging_logfile.raw").read_text())
    assert [e.mnemonic for e in parsed.events] == ["ACLLOG-5-ACLLOG_FLOW_INTERVAL"] * 2 and parsed.unparsed == []
    assert parsed.events[0].time == "May 22 16:20:45"


def test_real_iosxr_log_every_line_read_and_the_committing_user_kept():
    parsed = parse_log("iosxr", (CLI / "cisco_xr/show_logging/genieparser_iosxr_show_logging.raw").read_text())
    assert len(parsed.events) == 114 and parsed.unparsed == []  # genieparser: 114 messages and the trailing prompt
    commits = [e for e in parsed.events if e.mnemonic == "MGBL-CONFIG-6-DB_COMMIT"]
    assert len(commits) == 6 and {e.user for e in commits} == {"admin"}
    assert {e.user for e in parsed.events if e.mnemonic == "MGBL-SYS-5-CONFIG_I"} == {"admin"}  # `Configured from console by admin`
    assert [(e.interface, e.state) for e in parsed.events if e.mnemonic == "PKT_INFRA-LINK-3-UPDOWN"] == [
        ("MgmtEth0/RP0/CPU0/0", "down"), ("MgmtEth0/RP0/CPU0/0", "up")]
    assert next(e for e in parsed.events if e.mnemonic == "MGBL-exec-3-LOGIN_AUTHEN").kind == "login_failed"
    assert not [e for e in parsed.events if e.kind == "adjacency"]  # `sysdb_register_notification` is no BGP NOTIFICATION


def test_real_junos_messages_every_line_read_and_the_committing_user_kept():
    parsed = parse_log("junos", (CLI / "juniper_junos/show_log_messages/genieparser_junos_show_log_messages.raw").read_text())
    assert len(parsed.events) == 46 and parsed.unparsed == []  # genieparser: 46 messages
    [commit] = [e for e in parsed.events if e.kind == "config"]
    assert (commit.mnemonic, commit.user) == ("UI_COMMIT", "user")
    [login] = [e for e in parsed.events if e.kind == "login_success"]
    assert (login.user, login.source) == ("user", "10.1.0.1")
