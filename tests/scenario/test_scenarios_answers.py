"""For every fault scenario, a question that names no device gets the injected root cause.

These go through `noc ask --json`, the path an engineer takes, on the offline engine.
"""

from __future__ import annotations

import json

import pytest

from bot.cli.main import cli

CASES = [
    ("bgp-peer-down", "branch users say they can't reach HQ, what's going on?", ["remote-as 65001", "AS 65000", "mismatch"]),
    ("ospf-stuck-exstart", "is routing healthy in the campus?", ["EXSTART", "MTU", "9198", "1500"]),
    ("wan-congestion", "why is the branch office slow?", ["96%", "drops", "no QoS"]),
    ("interface-errors", "users complain about packet loss, what is wrong?", ["CRC", "TenGigabitEthernet1/1/2", "dist-sw-01"]),
    ("high-cpu", "why is the internet edge sluggish?", ["CPU at 97%", "edge-rtr-01"]),
    ("insecure-mgmt", "are our devices secure?", ["Telnet", "SNMP community", "AAA", "password"]),
    ("device-unreachable", "what's wrong at the branch?", ["branch-rtr-01 is unreachable"]),
    # only the log shows it: failed logins from one outside address, then a login that worked
    ("vty-brute-force", "is someone attacking our routers?",
     ["branch-rtr-01", "12 failed logins from 203.0.113.77", "successful login as backup", "changed the configuration"]),
    # the multi-vendor edge (issue 24): one fault on each new platform
    ("junos-bgp-down", "is the internet edge ok?",
     ["peer-rtr-01", "198.51.100.1", "bad peer AS number", "configuration change by jdoe"]),
    ("nxos-uplink-flap", "servers in the data centre see packet loss, why?",
     ["dc-leaf-02", "Ethernet1/49", "CRC", "flapped 6 times"]),
    ("iosxr-linecard-overheat", "is anything wrong with the network?",
     ["pe-rtr-01", "slot 0/0", "81.5C", "fan FT0 failed on the same device, the likely cause"]),
]


def ask(runner, question: str, scenario: str, *extra: str) -> dict:
    result = runner.invoke(cli, ["ask", question, "--scenario", scenario, "--json", "--quiet", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(("scenario", "question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_answer_names_the_injected_root_cause(runner, scenario, question, expected):
    answer = ask(runner, question, scenario)
    text = answer["summary"] + "\n" + "\n".join(f["text"] for f in answer["findings"])
    for needle in expected:
        assert needle in text, (needle, text[:2000])
    assert answer["severity"] in {"high", "critical"}
    assert answer["status"] == "ok"
    assert answer["usage"] == {"llm_calls": 0, "input_tokens": 0, "output_tokens": 0, "cache_read_tokens": 0,
                               "cache_write_tokens": 0, "cost_usd": 0.0}


def test_wan_congestion_root_cause_is_congestion_without_qos(runner):
    answer = ask(runner, "why is the branch office slow?", "wan-congestion")
    diagnosis = next(a for a in answer["agents"] if a["agent"] == "diagnosis")
    assert diagnosis["result"]["root_cause"].startswith("WAN congestion with no QoS policy applied")
    assert any("service-policy output WAN-EDGE-QOS" in c for r in answer["recommendations"] for c in r["commands"])


@pytest.mark.parametrize("question", [
    "is anything wrong with the network?",
    "how is the network doing today?",
    "any congestion or errors on the links?",
    "are our devices secure?",
    "is the branch office ok?",
])
def test_healthy_lab_reports_no_high_or_critical(runner, question):
    answer = ask(runner, question, "healthy")
    assert answer["severity"] not in {"high", "critical"}, answer["summary"]
    assert all(f["severity"] not in {"high", "critical"} for f in answer["findings"])


# Each new platform's fault, and commands that are that platform's own (never IOS's).
PLATFORM_CASES = [
    ("junos-bgp-down", "is the internet edge ok?", "peer-rtr-01", "junos"),
    ("nxos-uplink-flap", "servers in the data centre see packet loss, why?", "dc-leaf-02", "nxos"),
    ("iosxr-linecard-overheat", "is anything wrong with the network?", "pe-rtr-01", "iosxr"),
]


@pytest.mark.parametrize(("scenario", "question", "device", "os_name"), PLATFORM_CASES, ids=[c[0] for c in PLATFORM_CASES])
def test_recommended_commands_belong_to_the_device_platform(runner, scenario, question, device, os_name):
    import re

    from agents.network.commands import PLATFORMS, templates

    def patterns(os_names):
        # a template as a pattern: `{peer}` or `<group>` stands for one value (one token)
        return [re.compile(re.sub(r"\\\{\w+\\\}|<\w+>", r"\\S+", re.escape(t)) + "$")
                for name in os_names for t in templates(name)]

    answer = ask(runner, question, scenario)
    recs = [r for r in answer["recommendations"] if r.get("device") == device and r["commands"]]
    assert recs, answer["recommendations"]
    own = patterns([os_name])
    ios_only = [p for p in patterns(["ios"]) if p.pattern not in {q.pattern for q in own}]
    assert set(PLATFORMS) >= {os_name, "ios"}
    for rec in recs:
        for command in rec["commands"]:
            assert any(p.match(command) for p in own), (os_name, command)  # from this platform's column
            assert not any(p.match(command) for p in ios_only), (os_name, command)  # and never an IOS-only command


def test_a_change_just_before_the_failure_is_the_first_thing_to_review(runner):
    answer = ask(runner, "is the internet edge ok?", "junos-bgp-down")
    first = next(r for r in answer["recommendations"] if r.get("device") == "peer-rtr-01")
    assert "change by jdoe" in first["text"]
    assert first["commands"][:2] == ["show system commit", "show configuration | compare rollback 1"]


@pytest.mark.parametrize(("scenario", "question", "expected"), CASES, ids=[c[0] for c in CASES])
def test_every_scenarios_commands_come_from_the_devices_platform_column(runner, scenario, question, expected):
    """Every lab scenario: each command the bot recommends for a device is in that device's platform
    column of the command table (audit remediations, which come with the audit rules, aside)."""
    import re

    from agents.lab import lab_inventory
    from agents.network.commands import templates

    inventory = lab_inventory()
    answer = ask(runner, question, scenario)
    checked = 0
    for rec in answer["recommendations"]:
        device = rec.get("device")
        from_audit = rec["agent"] == "security" and "Stop the login attack" not in rec["text"]
        if not device or not rec["commands"] or from_audit:
            continue
        own = [re.compile(re.sub(r"\\\{\w+\\\}|<\w+>", r"\\S+", re.escape(t)) + "$") for t in templates(inventory.get(device).os)]
        for command in rec["commands"]:
            assert any(p.match(command) for p in own), (device, inventory.get(device).os, command)
            checked += 1
    # something was checked, unless every recommendation is an audit remediation (insecure-mgmt)
    assert checked or all(r["agent"] == "security" for r in answer["recommendations"] if r["commands"]), answer["recommendations"]
