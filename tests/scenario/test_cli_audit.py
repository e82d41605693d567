"""`noc audit` and `noc lab scenarios` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

from bot.cli.main import cli

RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def test_lab_scenarios_lists_each_with_a_description(runner):
    result = runner.invoke(cli, ["lab", "scenarios"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("healthy ")
    assert any(line.startswith("wan-congestion ") and "service-policy" in line for line in lines)


def test_audit_all_insecure_mgmt_json_worst_first(runner):
    result = runner.invoke(cli, ["audit", "--all", "--scenario", "insecure-mgmt", "--json"])
    assert result.exit_code == 0, result.output
    devices = json.loads(result.stdout)["devices"]
    assert len(devices) == 11  # the lab grew a multi-vendor edge (issue 24)
    assert [d["device"] for d in devices[:2]] == sorted(["access-sw-01", "branch-rtr-01"])  # highest risk first
    for d in devices:
        ranks = [RANK[f["severity"]] for f in d["findings"]]
        assert ranks == sorted(ranks, reverse=True)
    assert devices[0]["findings"][0]["severity"] == "critical"
    assert "public" not in result.output.replace("publicly", "")


def test_audit_text_and_tag_filter(runner):
    text = runner.invoke(cli, ["audit", "branch-rtr-01", "-s", "insecure-mgmt"])
    assert text.exit_code == 0
    assert text.output.startswith("branch-rtr-01 (ios) risk 100/100")
    assert "[CRITICAL] ios-vty-telnet" in text.output
    pci = json.loads(runner.invoke(cli, ["audit", "branch-rtr-01", "-s", "insecure-mgmt", "--tag", "pci", "--json"]).stdout)
    assert all("pci" in f["tags"] for f in pci["devices"][0]["findings"])


def test_audit_unknown_device_names_the_known_ones(runner):
    result = runner.invoke(cli, ["audit", "core-sw-09"])
    assert result.exit_code == 2
    assert "Unknown device 'core-sw-09'" in result.output and "edge-rtr-01" in result.output


def test_audit_needs_a_device_or_all(runner):
    assert runner.invoke(cli, ["audit"]).exit_code == 2
    assert runner.invoke(cli, ["audit", "edge-rtr-01", "--all"]).exit_code == 2


def test_audit_unknown_scenario(runner):
    result = runner.invoke(cli, ["audit", "--all", "--scenario", "meltdown"])
    assert result.exit_code == 2 and "Known scenarios: healthy" in result.output


def test_audit_with_an_unreachable_device_reports_it_and_exits_1(runner):
    result = runner.invoke(cli, ["audit", "--all", "--scenario", "device-unreachable"])
    assert result.exit_code == 1
    assert "branch-rtr-01: NOT AUDITED - branch-rtr-01 (10.20.99.1) is unreachable" in result.output
    assert "10/11 device(s) audited" in result.output


def test_noc_console_script_runs_the_readme_command():
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "audit", "--all", "--scenario", "insecure-mgmt"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "risk 100/100" in proc.stdout and "Traceback" not in proc.stderr


def test_tool_command_prints_json(runner):
    result = runner.invoke(cli, ["tool", "check_routing_protocol", "device=branch-rtr-01", "protocol=bgp", "-s", "bgp-peer-down"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert any(o["kind"] == "bgp_as_mismatch" for o in data["observations"])
    bad = runner.invoke(cli, ["tool", "get_device_health", "device=nope-01"])
    assert bad.exit_code == 2
