"""Every scenario's fault is visible in the tools' output; failures are results, not exceptions."""

from __future__ import annotations

from agents.tools.registry import TOOL_SPECS, call_tool
from agents.tools.results import DeviceConfig, RoutingStatus, SecurityScan, TrafficAnalysis


def kinds(result) -> set[str]:
    return {o.kind for o in result.observations}


async def test_healthy_lab_has_no_medium_or_worse_observation(make_toolbox):
    tb = make_toolbox("healthy")
    for device in tb.inventory.names:
        for result in (
            await tb.get_device_health(device),
            await tb.check_routing_protocol(device, "bgp"),
            await tb.check_routing_protocol(device, "ospf"),
            await tb.analyze_traffic_patterns(device),
            await tb.get_interface_statistics(device),
        ):
            assert result.ok, result.error
            assert [o.message for o in result.observations if o.severity.rank >= 2] == [], device
        scan = await tb.scan_security_vulnerabilities(device)
        assert not [f for f in scan.findings if f.severity.value in {"high", "critical"}], device


async def test_bgp_peer_down_shows_the_remote_as_mismatch(make_toolbox):
    tb = make_toolbox("bgp-peer-down")
    branch = await tb.check_routing_protocol("branch-rtr-01", "bgp")
    assert isinstance(branch, RoutingStatus) and branch.local_as == 65101
    peer = next(n for n in branch.neighbors if n.address == "172.16.100.1")
    assert (peer.is_up, peer.remote_as, peer.peer_device) == (False, 65001, "edge-rtr-01")
    mismatch = next(o for o in branch.observations if o.kind == "bgp_as_mismatch")
    assert mismatch.data["configured_remote_as"] == 65001 and mismatch.data["actual_as"] == 65000
    # The edge's view of the same session names the branch as the misconfigured side.
    edge = await tb.check_routing_protocol("edge-rtr-01", "bgp")
    assert any(o.kind == "bgp_as_mismatch" and o.data["misconfigured_device"] == "branch-rtr-01" for o in edge.observations)
    assert sum(not n.is_up for n in edge.neighbors) == 1


async def test_ospf_stuck_exstart_shows_the_mtu_mismatch(make_toolbox):
    tb = make_toolbox("ospf-stuck-exstart")
    dist = await tb.check_routing_protocol("dist-sw-01", "ospf")
    stuck = [n for n in dist.neighbors if not n.is_up]
    assert [n.state.split("/")[0] for n in stuck] == ["EXSTART"]
    mtu = next(o for o in dist.observations if o.kind == "mtu_mismatch")
    assert {mtu.data["local_mtu"], mtu.data["peer_mtu"]} == {9198, 1500}
    assert mtu.data["peer_device"] == "core-sw-01"


async def test_wan_congestion_shows_utilisation_drops_and_no_qos(make_toolbox):
    tb = make_toolbox("wan-congestion")
    traffic = await tb.analyze_traffic_patterns("branch-rtr-01")
    assert isinstance(traffic, TrafficAnalysis) and traffic.interval_s == 60
    wan = traffic.interfaces[0]  # busiest first
    assert wan.name == "GigabitEthernet0/0/0" and wan.out_util_pct > 90 and wan.tx_discards_delta > 1000
    assert {"high_utilisation", "drops"} <= kinds(traffic)
    wan_config = await tb.get_device_config("branch-rtr-01", section="interface GigabitEthernet0/0/0")
    assert "interface GigabitEthernet0/0/0" in wan_config.running
    assert "service-policy" not in wan_config.running
    healthy = await make_toolbox("healthy").get_device_config("branch-rtr-01", section="interface GigabitEthernet0/0/0")
    assert "service-policy output WAN-EDGE-QOS" in healthy.running


async def test_interface_errors_show_climbing_input_errors(make_toolbox):
    tb = make_toolbox("interface-errors")
    traffic = await tb.analyze_traffic_patterns("dist-sw-01", interface="Te1/1/2")
    [row] = traffic.interfaces
    assert row.name == "TenGigabitEthernet1/1/2" and row.rx_errors_delta > 10_000
    assert "interface_errors" in kinds(traffic)


async def test_high_cpu_shows_in_health(make_toolbox):
    health = await make_toolbox("high-cpu").get_device_health("edge-rtr-01")
    assert health.cpu_pct >= 95 and "cpu_high" in kinds(health)
    assert health.power_supplies and health.temperatures


async def test_insecure_mgmt_shows_in_the_audit(make_toolbox):
    tb = make_toolbox("insecure-mgmt")
    for device in ("access-sw-01", "branch-rtr-01"):
        scan = await tb.scan_security_vulnerabilities(device)
        assert isinstance(scan, SecurityScan) and scan.risk_score >= 70
        ids = {f.rule_id for f in scan.findings}
        assert {"ios-vty-telnet", "snmp-community-default", "local-user-weak-password", "ios-no-aaa-new-model"} <= ids
        severities = [f.severity.rank for f in scan.findings]
        assert severities == sorted(severities, reverse=True)
        community = next(f for f in scan.findings if f.rule_id == "snmp-community-default")
        assert any("snmp-server community <redacted> RO" in e for e in community.evidence)


async def test_unknown_device_is_an_error_result_naming_known_devices(make_toolbox):
    tb = make_toolbox()
    result = await tb.get_device_health("core-sw-09")
    assert not result.ok and result.error.kind == "unknown_device"
    assert "core-sw-01" in result.error.message and "Did you mean" in result.error.message


async def test_unreachable_device_is_an_error_result(make_toolbox):
    tb = make_toolbox("device-unreachable")
    for name, args in [("get_device_health", {}), ("check_routing_protocol", {"protocol": "bgp"}), ("analyze_traffic_patterns", {}),
                       ("get_device_config", {}), ("scan_security_vulnerabilities", {}), ("get_interface_statistics", {})]:
        result = await call_tool(tb, name, {"device": "branch-rtr-01", **args})
        assert not result.ok and result.error.kind == "unreachable", name
    # the rest of the network still answers, and the BGP check on the edge still works
    edge = await tb.check_routing_protocol("edge-rtr-01", "bgp")
    assert edge.ok


async def test_bad_tool_arguments_are_error_results(make_toolbox):
    tb = make_toolbox()
    assert (await call_tool(tb, "check_routing_protocol", {"device": "edge-rtr-01", "protocol": "rip"})).error.kind == "bad_arguments"
    assert (await call_tool(tb, "get_device_health", {})).error.kind == "bad_arguments"
    assert (await call_tool(tb, "no_such_tool", {})).error.kind == "bad_arguments"
    unknown_if = await call_tool(tb, "analyze_traffic_patterns", {"device": "edge-rtr-01", "interface": "Gi9/9/9"})
    assert not unknown_if.ok and "has no interface" in unknown_if.error.message


async def test_list_devices_filters(make_toolbox):
    tb = make_toolbox()
    everything = await tb.list_devices()
    assert len(everything.devices) == len(tb.inventory)
    cores = await tb.list_devices(role="core")
    assert [d.name for d in cores.devices] == ["core-sw-01", "core-sw-02"]


async def test_config_tool_redacts_and_filters_sections(make_toolbox):
    tb = make_toolbox()
    cfg = await tb.get_device_config("edge-rtr-01", section="router bgp")
    assert isinstance(cfg, DeviceConfig) and cfg.running.startswith("router bgp 65000")
    assert "password 7 <redacted>" in cfg.running or "password <redacted>" in cfg.running
    assert cfg.startup_differs is False


def test_every_tool_has_a_schema():
    for spec in TOOL_SPECS.values():
        schema = spec.args.model_json_schema()
        assert schema["type"] == "object" and spec.description


async def test_concurrent_reads_of_one_device_share_one_session(make_toolbox, monkeypatch):
    import asyncio

    tb = make_toolbox()
    opened = []
    real_open = tb.gateway._open

    def counting_open(device):
        opened.append(device.name)
        return real_open(device)

    monkeypatch.setattr(tb.gateway, "_open", counting_open)
    await asyncio.gather(*(tb.get_device_health("core-sw-01") for _ in range(5)))
    assert opened == ["core-sw-01"]
