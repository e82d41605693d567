"""search_logs: syslog parsed into events (real IOS captures from ntc-templates, EOS format), the
patterns a log analyst looks for, redaction of typed secrets, and the tool through the lab."""

from __future__ import annotations

import json

import pytest

from agents.specialists.base import definitions
from agents.tools.logs import analyse_events, parse_log
from agents.tools.registry import TOOL_SPECS
from agents.tools.results import LogSearch
from agents.tools.roles import DEFAULT_TOOL_ROLES
from bot.cli.main import cli
from tests.harness.paths import DATA

CAPTURES = DATA / "realworld" / "cli" / "cisco_ios" / "show_logging"
# Records in ntc-templates' parsed results (the .yml beside each .raw), see SOURCES.md.
NTC_RECORDS = {1: 4, 2: 3, 3: 5, 4: 3, 5: 3}


@pytest.mark.parametrize("number", sorted(NTC_RECORDS))
def test_real_ios_captures_give_as_many_events_as_ntc_templates(number: int) -> None:
    parsed = parse_log("ios", (CAPTURES / f"cisco_ios_show_logging_{number}.raw").read_text())
    assert len(parsed.events) == NTC_RECORDS[number]
    assert all(e.mnemonic and e.time for e in parsed.events)


def test_truncated_lines_are_kept_apart_not_guessed() -> None:
    parsed = parse_log("ios", (CAPTURES / "cisco_ios_show_logging_2.raw").read_text())
    assert parsed.unparsed == ["IEEE PD"]
    config = next(e for e in parsed.events if e.kind == "config")
    assert (config.user, config.source) == ("cisco", "172.16.5.22")


def test_multi_line_message_and_message_without_severity() -> None:
    parsed = parse_log("ios", (CAPTURES / "cisco_ios_show_logging_3.raw").read_text())
    assert parsed.unparsed == []
    assert any(e.mnemonic == "CEF-HWIDB" and e.severity is None for e in parsed.events)
    restart = next(e for e in parsed.events if e.mnemonic == "SYS-5-RESTART")
    assert "Cisco IOS Software" in restart.message


def test_link_states_from_a_real_capture() -> None:
    parsed = parse_log("ios", (CAPTURES / "cisco_ios_show_logging_1.raw").read_text())
    states = [(e.interface, e.state) for e in parsed.events]
    assert states[1:] == [("GigabitEthernet2/0/3", "down"), ("GigabitEthernet2/0/3", "down"), ("GigabitEthernet2/0/3", "up")]
    assert parsed.events[0].t is None  # `7:04:` is an uptime stamp, not a date


EOS = """Log Buffer:
Mar  2 02:10:01 leaf1 Bgp: %BGP-5-ADJCHANGE: peer 10.255.255.0 (VRF default AS 65100) old state Established event Stop new state Idle
Mar  2 02:11:09 leaf1 Bgp: %BGP-5-ADJCHANGE: peer 10.255.255.0 (VRF default AS 65100) old state OpenConfirm event Established new state Established
Mar  2 02:12:30 leaf1 Bgp: %BGP-5-ADJCHANGE: peer 10.255.255.0 (VRF default AS 65100) old state Established event Stop new state Idle
Mar  2 02:13:15 leaf1 Bgp: %BGP-5-ADJCHANGE: peer 10.255.255.0 (VRF default AS 65100) old state OpenConfirm event Established new state Established
2026-03-02T02:14:02.123456+00:00 leaf1 Bgp: %BGP-5-ADJCHANGE: peer 10.255.255.0 (VRF default AS 65100) old state Established event Stop new state Idle
Mar  2 02:15:00 leaf1 ConfigAgent: %SYS-5-CONFIG_I: Configured from console by admin on vty4 (10.10.99.50)
"""


def test_eos_session_dropped_after_flaps() -> None:
    parsed = parse_log("eos", EOS)
    assert len(parsed.events) == 6 and parsed.unparsed == []
    findings = analyse_events("leaf1", parsed.events)
    flap = next(f for f in findings if f.kind == "adjacency_flaps")
    assert flap.data["flaps"] == 3 and flap.data["still_down"]
    assert "went down at Mar 02 02:14:02 after 2 earlier flap(s)" in flap.message


def test_typed_secrets_in_log_lines_are_redacted() -> None:
    text = ("Log Buffer (4096 bytes):\n"
            "000012: Mar  2 02:15:00.001 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:snmp-server community S3cretComm RO\n"
            "000013: Mar  2 02:15:01.001 UTC: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:username ops secret 0 Pl41nT3xt!\n")
    blob = json.dumps([e.model_dump() for e in parse_log("ios", text).events])
    assert "S3cretComm" not in blob and "Pl41nT3xt!" not in blob


def test_failed_logins_spread_out_are_not_a_burst() -> None:
    lines = [f"0000{i:02d}: Mar  2 {i:02d}:00:00.000 UTC: %SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: ops] [Source: 10.10.99.60] "
             f"[localport: 22] [Reason: Login Authentication Failed] at {i:02d}:00:00 UTC Mon Mar 2 2026" for i in range(10)]
    assert analyse_events("r1", parse_log("ios", "\n".join(lines)).events) == []


def test_search_logs_is_registered_everywhere_a_tool_must_be() -> None:
    assert "search_logs" in TOOL_SPECS and DEFAULT_TOOL_ROLES["search_logs"] == "viewer" and TOOL_SPECS["search_logs"].withheld == "the device logs"
    tools = {d.name.value: d.tools for d in definitions().values()}
    assert "search_logs" in tools["diagnosis"] and "search_logs" in tools["security"]


def tool(runner, *args: str) -> dict:
    result = runner.invoke(cli, ["tool", "search_logs", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_brute_force_in_the_lab(runner) -> None:
    data = LogSearch.model_validate(tool(runner, "device=branch-rtr-01", "query=login", "-s", "vty-brute-force"))
    assert data.ok and data.unparsed == []
    attack = next(o for o in data.observations if o.kind == "login_after_failures")
    assert attack.severity.value == "critical"
    assert attack.data["source"] == "203.0.113.77" and attack.data["failures"] == 12 and attack.data["success_user"] == "backup"
    assert all(e.kind.startswith("login") for e in data.events)


@pytest.mark.parametrize("device", ["core-sw-01", "dist-sw-01", "edge-rtr-01", "branch-rtr-01"])
def test_healthy_lab_logs_are_quiet(runner, device: str) -> None:
    data = LogSearch.model_validate(tool(runner, f"device={device}", "-s", "healthy"))
    assert data.ok and data.total_events >= 4 and data.observations == []


def test_diagnosis_gives_the_timeline(runner) -> None:
    result = runner.invoke(cli, ["ask", "branch users say they can't reach HQ, what's going on?", "-s", "bgp-peer-down", "--json", "--quiet"])
    answer = json.loads(result.stdout)
    diagnosis = next(a for a in answer["agents"] if a["agent"] == "diagnosis")
    root = diagnosis["result"]["root_cause"]
    assert root.startswith("BGP remote-AS mismatch")
    assert "Log timeline: the BGP session with 172.16.100.1 went down at Mar 02 02:09:14" in root
    assert "2 s after a configuration change by netops from 10.10.99.50 at Mar 02 02:09:12" in root
