"""Incident report: every section, findings by agent worst first, SEV mapping, fenced commands,
no secrets, and the same bytes for the same input (reports are pasted into tickets and diffed)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from agents.models import Finding, Recommendation
from agents.severity import Severity
from agents.specialists.incident_report import SEV_LEVELS, build_incident_report
from agents.tools.redact import contains_secret
from agents.tools.runbooks import search_runbooks

OPENED = datetime(2024, 5, 1, 12, 30, 5, tzinfo=timezone.utc)
SECRET = "s3cr3tC0mm"

SECTIONS = [
    "## Summary",
    "## Impact",
    "## Timeline",
    "## Root cause",
    "## Findings",
    "## Actions",
    "## Runbooks",
    "## Follow-up",
]


def _findings() -> list[Finding]:
    return [
        Finding(agent="diagnosis", text="Interface Gi0/0/0 up/up", severity=Severity.info, device="branch-rtr-01"),
        Finding(
            agent="diagnosis",
            text="BGP neighbor 172.16.100.1 Idle: remote-as mismatch (configured 65100, peer is 65000)",
            severity=Severity.high,
            device="branch-rtr-01",
        ),
        Finding(agent="security", text=f"snmp-server community {SECRET} RO", severity=Severity.medium, device="access-sw-01"),
        Finding(agent="security", text="Telnet allowed on VTY 0 4", severity=Severity.critical, device="access-sw-01"),
        Finding(agent="diagnosis", text="Branch LAN 10.20.10.0/24 unreachable from HQ", severity=Severity.high),
    ]


def _recommendations() -> list[Recommendation]:
    return [
        Recommendation(agent="security", text="Disable telnet on the VTY lines", commands=["line vty 0 4", " transport input ssh"], device="access-sw-01", priority=2),
        Recommendation(
            agent="config",
            text="Correct the BGP remote AS",
            commands=["router bgp 65101", " neighbor 172.16.100.1 remote-as 65000"],
            device="branch-rtr-01",
            priority=1,
        ),
        Recommendation(agent="diagnosis", text="Watch the session for flaps", priority=3),
    ]


def _report(**overrides: object) -> str:
    kwargs: dict[str, object] = dict(
        title="branch-01 lost connectivity to HQ",
        question="why can't the branch reach HQ?",
        request_id="a1b2c3d4e5f6",
        opened_at=OPENED,
        severity=Severity.high,
        findings=_findings(),
        recommendations=_recommendations(),
        devices=["branch-rtr-01", "access-sw-01"],
        runbooks=search_runbooks("bgp peer down remote-as mismatch branch", limit=2),
    )
    kwargs.update(overrides)
    return build_incident_report(**kwargs)  # type: ignore[arg-type]


def _section(report: str, heading: str) -> str:
    start = report.index(heading + "\n")
    nxt = report.find("\n## ", start + len(heading))
    return report[start : nxt if nxt != -1 else len(report)]


def test_report_has_every_section_in_order() -> None:
    report = _report()
    assert report.startswith("# Incident report: branch-01 lost connectivity to HQ\n")
    positions = [report.index(f"\n{s}\n") for s in SECTIONS]
    assert positions == sorted(positions)


def test_metadata_table_is_valid_markdown() -> None:
    report = _report()
    lines = report.splitlines()
    header = lines.index("| Field | Value |")
    assert re.fullmatch(r"\|-+\|-+\|", lines[header + 1])
    table = "\n".join(lines[header : header + 7])
    assert "| Request ID | `a1b2c3d4e5f6` |" in table
    assert "| Opened at (UTC) | 2024-05-01T12:30:05Z |" in table
    assert "| Severity | SEV2 (high) |" in table
    assert "| Status | Investigating |" in table
    assert "| Affected devices | branch-rtr-01, access-sw-01 |" in table
    for row in lines[header : header + 7]:
        assert row.count("|") - row.count("\\|") == 3


def test_opened_at_is_converted_to_utc() -> None:
    cest = timezone(timedelta(hours=2))
    report = _report(opened_at=datetime(2024, 5, 1, 14, 30, 5, tzinfo=cest))
    assert "2024-05-01T12:30:05Z" in report


@pytest.mark.parametrize(
    ("severity", "sev"),
    [
        (Severity.critical, "SEV1"),
        (Severity.high, "SEV2"),
        (Severity.medium, "SEV3"),
        (Severity.low, "SEV4"),
        (Severity.info, "SEV4"),
    ],
)
def test_sev_mapping_matches_the_runbook(severity: Severity, sev: str) -> None:
    assert SEV_LEVELS[severity] == sev
    assert f"| Severity | {sev} ({severity.value}) |" in _report(severity=severity)


def test_findings_grouped_by_agent_worst_first() -> None:
    findings = _section(_report(), "## Findings")
    # security holds the critical finding, so its group comes first.
    assert findings.index("### security") < findings.index("### diagnosis")
    diagnosis = findings[findings.index("### diagnosis") :]
    lines = [ln for ln in diagnosis.splitlines() if ln.startswith("- [")]
    assert lines == [
        "- [HIGH] BGP neighbor 172.16.100.1 Idle: remote-as mismatch (configured 65100, peer is 65000) (branch-rtr-01)",
        "- [HIGH] Branch LAN 10.20.10.0/24 unreachable from HQ",
        "- [INFO] Interface Gi0/0/0 up/up (branch-rtr-01)",
    ]
    security = findings[findings.index("### security") : findings.index("### diagnosis")]
    assert security.index("[CRITICAL]") < security.index("[MEDIUM]")


def test_summary_uses_root_cause_or_worst_finding() -> None:
    without = _section(_report(), "## Summary")
    assert "Telnet allowed on VTY 0 4" in without and "critical" in without
    cause = "branch-rtr-01 was configured with remote-as 65100 instead of 65000 during change CHG-1234."
    report = _report(root_cause=cause, status="Resolved")
    assert cause in _section(report, "## Summary")
    assert cause in _section(report, "## Root cause")
    assert "| Status | Resolved |" in report


def test_timeline_names_the_agents() -> None:
    timeline = _section(_report(), "## Timeline")
    assert "- 2024-05-01T12:30:05Z - incident opened" in timeline
    assert "Analysis by: security, diagnosis, config" in timeline


def test_actions_numbered_by_priority_with_fenced_commands() -> None:
    actions = _section(_report(), "## Actions")
    items = re.findall(r"^(\d+)\. \*\*P(\d)\*\*", actions, re.MULTILINE)
    assert items == [("1", "1"), ("2", "2"), ("3", "3")]
    assert actions.index("Correct the BGP remote AS") < actions.index("Disable telnet")
    assert "   ```\n   router bgp 65101\n    neighbor 172.16.100.1 remote-as 65000\n   ```" in actions
    assert "   ```\n   line vty 0 4\n    transport input ssh\n   ```" in actions
    assert actions.count("```") == 4  # two blocks, each opened and closed; none for the command-less item


def test_runbooks_linked_by_path() -> None:
    runbooks = _section(_report(), "## Runbooks")
    assert "](runbooks/bgp-session-down.md)" in runbooks
    assert _section(_report(runbooks=[]), "## Runbooks").strip().endswith("No matching runbook.")


def test_follow_up_checklist() -> None:
    follow = _section(_report(), "## Follow-up")
    assert follow.count("- [ ] ") == 3
    for word in ("Confirm", "Monitor", "Review"):
        assert word in follow


def test_secrets_are_redacted_everywhere() -> None:
    report = _report(
        question=f"we saw snmp-server community {SECRET} RO on access-sw-01",
        root_cause=f"Someone pasted 'snmp-server community {SECRET} RO' into the config",
        recommendations=[
            *_recommendations(),
            Recommendation(agent="security", text="Rotate", commands=[f"no snmp-server community {SECRET}"]),
            Recommendation(agent="security", text="VTY password", commands=["line vty 0 4", " password Vty5ecret"]),
        ],
    )
    assert SECRET not in report
    assert "Vty5ecret" not in report  # a block form: only a secret under its `line` header
    assert "snmp-server community \\<redacted> RO" in report  # prose: `<` escaped so it renders
    assert "no snmp-server community <redacted>" in report  # fenced command: literal
    assert contains_secret(report) == []


def test_deterministic() -> None:
    assert _report() == _report()
    assert _report(findings=[], recommendations=[], runbooks=[], devices=[]) == _report(
        findings=[], recommendations=[], runbooks=[], devices=[]
    )


def test_empty_incident_still_renders_every_section() -> None:
    report = _report(findings=[], recommendations=[], runbooks=[], devices=[])
    for section in SECTIONS:
        assert f"\n{section}\n" in report
    assert "No findings." in report and "No actions recommended yet." in report
    assert "| Affected devices | none identified |" in report
