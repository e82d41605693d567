"""Each specialist's own result, driven through `noc ask` on the offline engine."""

from __future__ import annotations

import json

from agents.specialists.performance.rules import months_until
from bot.cli.main import cli


def ask(runner, question: str, scenario: str = "healthy") -> dict:
    result = runner.invoke(cli, ["ask", question, "--scenario", scenario, "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def agent(answer: dict, name: str) -> dict:
    return next(a for a in answer["agents"] if a["agent"] == name)


def test_config_generates_an_access_port_for_the_device_os(runner):
    answer = ask(runner, "configure Gi1/0/5 on access-sw-01 as an access port in vlan 110 with voice vlan 120")
    assert answer["primary"] == "config"
    generated = agent(answer, "config")["result"]["generated"][0]
    assert generated["os"] == "ios" and generated["device"] == "access-sw-01" and generated["problems"] == []
    assert "interface GigabitEthernet1/0/5" in generated["lines"]
    assert " switchport access vlan 110" in generated["lines"] and " switchport voice vlan 120" in generated["lines"]


def test_config_template_validation_catches_a_missing_interface(runner):
    answer = ask(runner, "configure Gi1/0/77 on access-sw-01 as an access port in vlan 110")
    generated = agent(answer, "config")["result"]["generated"][0]
    assert any("GigabitEthernet1/0/77" in p for p in generated["problems"])
    assert answer["findings"][0]["severity"] == "medium"


def test_config_shows_a_section_redacted(runner):
    answer = ask(runner, "show me the bgp config on edge-rtr-01")
    shown = agent(answer, "config")["result"]["shown"]["edge-rtr-01"]
    assert shown.startswith("router bgp 65000") and "<redacted>" in shown


def test_config_qos_validation_finds_the_detached_policy(runner):
    answer = ask(runner, "validate the config on branch-rtr-01", "wan-congestion")
    problems = agent(answer, "config")["result"]["validation"]["branch-rtr-01"]
    assert "unused policy-map WAN-EDGE-QOS (defined, never referenced)" in problems
    healthy = ask(runner, "validate the config on branch-rtr-01")
    assert not any("WAN-EDGE-QOS" in p for p in agent(healthy, "config")["result"]["validation"]["branch-rtr-01"])


def test_config_diff_running_against_startup(runner):
    answer = ask(runner, "any unsaved changes on the routers? compare running and startup")
    result = agent(answer, "config")["result"]
    assert result["intent"] == "diff" and result["diff"] == {}
    assert "0 of 11 device(s) have unsaved changes" in answer["summary"]


def test_security_compliance_tags_risk_and_priority(runner):
    answer = ask(runner, "are we pci compliant?", "insecure-mgmt")
    result = agent(answer, "security")["result"]
    assert result["tags"] == ["pci"]
    assert result["risk_scores"]["access-sw-01"] == 100 and result["risk_scores"]["core-sw-01"] == 0
    assert result["compliance"][0]["tag"] == "pci" and sorted(result["compliance"][0]["devices_failing"]) == ["access-sw-01", "branch-rtr-01"]
    first = result["remediation_priority"][0]
    assert first["severity"] == "critical" and len(first["devices"]) == 2
    assert answer["recommendations"][0]["commands"]


def test_performance_forecast_and_bottlenecks(runner):
    answer = ask(runner, "are we running out of headroom on the branch circuit?", "wan-congestion")
    result = agent(answer, "performance")["result"]
    b = result["bottlenecks"][0]
    assert (b["device"], b["interface"], b["direction"]) == ("branch-rtr-01", "GigabitEthernet0/0/0", "output")
    assert b["qos_checked"] and b["qos_policy"] is None and b["unused_policies"] == ["WAN-EDGE-QOS"]
    assert result["forecasts"][0]["months_to_80"] == 0.0
    perf = agent(answer, "performance")
    assert perf["requests"][0]["to_agent"] == "config" and perf["requests"][0]["outcome"] == "answered"


def test_capacity_forecast_arithmetic():
    assert months_until(40, 80, 5) == 14.2  # ln(2)/ln(1.05)
    assert months_until(90, 80, 5) == 0.0
    assert months_until(0, 80, 5) is None


def test_documentation_incident_report_from_findings(runner):
    answer = ask(runner, "write an incident report for the bgp outage at the branch", "bgp-peer-down")
    assert answer["primary"] == "documentation"
    report = agent(answer, "documentation")["result"]["incident_report"]
    assert report.startswith("# Incident report: BGP remote-AS mismatch")
    assert "SEV2" in report and "neighbor 172.16.100.1 remote-as 65000" in report
    assert "runbooks/bgp-session-down.md" in report


def test_documentation_finds_runbooks_without_other_agents(runner):
    answer = ask(runner, "where is the procedure for rolling back a bad change?")
    assert answer["specialists"] == ["documentation"]
    assert agent(answer, "documentation")["result"]["runbooks"][0]["slug"] == "config-change-rollback"
