"""Config audit: shipped rules, hardened vs insecure sample configs, rule loading errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agents.severity import Severity
from agents.tools.audit import (
    RISK_WEIGHTS,
    AuditError,
    AuditFinding,
    AuditRule,
    AuditRulesError,
    audit_config,
    load_rules,
    risk_score,
)
from agents.tools.redact import contains_secret
from tests.harness.paths import DATA as TEST_DATA

DATA = TEST_DATA / "audit_configs"
CONFIGS = {
    "hardened-ios": "ios",
    "hardened-eos": "eos",
    "insecure-ios": "ios",
    "insecure-eos": "eos",
    "hardened-nxos": "nxos",
    "insecure-nxos": "nxos",
    "hardened-iosxr": "iosxr",
    "insecure-iosxr": "iosxr",
    "hardened-junos": "junos",
    "insecure-junos": "junos",
    "minimal-nxos": "nxos",  # factory-fresh: no NTP, no AAA, defaults everywhere
    "minimal-iosxr": "iosxr",
    "minimal-junos": "junos",
}
PLATFORMS = ["ios", "eos", "nxos", "iosxr", "junos"]

# The controls the bot promises to check, with the severity the NOC agreed on.
EXPECTED_SEVERITY = {
    "ios-vty-telnet": "critical",
    "eos-management-telnet": "critical",
    "snmp-community-default": "critical",
    "ios-vty-no-access-class": "high",
    "eos-ssh-no-acl": "high",
    "ios-no-aaa-new-model": "high",
    "aaa-no-login-authentication": "high",
    "snmp-community-rw": "high",
    "local-user-weak-password": "high",
    "enable-password": "high",
    "snmp-community-no-acl": "medium",
    "ios-no-password-encryption": "medium",
    "ios-http-server": "medium",
    "eos-api-http": "medium",
    "ios-line-exec-timeout": "medium",
    "eos-ssh-idle-timeout": "medium",
    "logging-host-missing": "medium",
    "ios-ssh-version-2": "medium",
    "ospf-interface-no-auth": "medium",
    "bgp-neighbor-no-password": "medium",
    "snmp-v3-without-priv": "medium",
    "cdp-external-interface": "medium",
    "ntp-server-missing": "low",
    "ntp-no-authentication": "low",
    "banner-login-missing": "low",
    "aaa-login-method-none": "critical",
    "ios-no-copp": "low",
    # NX-OS
    "nxos-telnet-feature": "critical",
    "nxos-snmp-community-default": "critical",
    "nxos-login-method-none": "critical",
    "nxos-snmp-community-rw": "high",
    "nxos-aaa-login-missing": "high",
    "nxos-snmp-community-no-acl": "medium",
    "nxos-snmpv3-user-no-priv": "medium",
    "nxos-nxapi-http": "medium",
    "nxos-exec-timeout": "medium",
    "nxos-logging-server-missing": "medium",
    "nxos-bgp-neighbor-no-password": "medium",
    "nxos-ospf-interface-no-auth": "medium",
    "nxos-copp-missing": "medium",
    "nxos-ntp-server-missing": "low",
    "nxos-ntp-no-authentication": "low",
    "nxos-banner-missing": "low",
    # IOS-XR
    "iosxr-telnet-server": "critical",
    "iosxr-snmp-community-default": "critical",
    "iosxr-login-method-none": "critical",
    "iosxr-snmp-community-rw": "high",
    "iosxr-aaa-login-missing": "high",
    "iosxr-local-user-password": "high",
    "iosxr-snmp-community-no-acl": "medium",
    "iosxr-snmpv3-without-priv": "medium",
    "iosxr-xml-agent-cleartext": "medium",
    "iosxr-ssh-version-2": "medium",
    "iosxr-exec-timeout": "medium",
    "iosxr-logging-host-missing": "medium",
    "iosxr-bgp-neighbor-no-password": "medium",
    "iosxr-ospf-no-auth": "medium",
    "iosxr-ntp-server-missing": "low",
    "iosxr-ntp-no-authentication": "low",
    "iosxr-banner-missing": "low",
    # Junos
    "junos-telnet": "critical",
    "junos-snmp-community-default": "critical",
    "junos-cleartext-services": "high",
    "junos-snmp-community-rw": "high",
    "junos-aaa-login-missing": "high",
    "junos-snmp-community-no-clients": "medium",
    "junos-snmpv3-without-priv": "medium",
    "junos-web-management-http": "medium",
    "junos-ssh-version-1": "medium",
    "junos-idle-timeout": "medium",
    "junos-syslog-host-missing": "medium",
    "junos-bgp-no-authentication": "medium",
    "junos-ospf-no-authentication": "medium",
    "junos-no-protect-re-filter": "medium",
    "junos-ntp-server-missing": "low",
    "junos-ntp-no-authentication": "low",
    "junos-login-banner-missing": "low",
    "ios-tcp-keepalives-in": "low",
    "ios-ip-source-route": "low",
}

GOOD_RULE = {
    "id": "no-http",
    "title": "HTTP server on",
    "severity": "medium",
    "reference": "CIS Cisco IOS 15 2.1",
    "tags": ["cis"],
    "platforms": ["ios"],
    "check": {"kind": "forbid", "path": [{"equals": "ip http server"}]},
    "remediation": ["no ip http server"],
    "rationale": "Clear-text management.",
}


@pytest.fixture(scope="module")
def rules() -> list[AuditRule]:
    return load_rules()


@pytest.fixture(scope="module")
def reports(rules: list[AuditRule]) -> dict:
    return {name: audit_config(name, os, (DATA / f"{name}.cfg").read_text(), rules) for name, os in CONFIGS.items()}


def _ids(report) -> set[str]:
    return {f.rule_id for f in report.findings}


def _rule(**changes) -> AuditRule:
    return AuditRule.model_validate({**GOOD_RULE, **changes})


# -- shipped rules ----------------------------------------------------------------------------


def test_shipped_rules_validate(rules: list[AuditRule]) -> None:
    assert len(rules) >= 18
    assert len({r.id for r in rules}) == len(rules)
    assert {r.id: r.severity.value for r in rules} == EXPECTED_SEVERITY
    for rule in rules:
        assert "cis" in rule.tags
        if set(rule.platforms) <= {"ios", "eos"} and rule.id != "ios-no-copp":
            assert rule.reference.startswith("CIS Cisco IOS 15 ")
        else:  # a CIS benchmark or DISA STIG of the rule's own platform (ids or section titles)
            assert rule.reference.startswith(("CIS Cisco NX-OS", "CIS Cisco IOS XR", "CIS Juniper", "DISA STIG")), rule.id
        assert rule.remediation and rule.rationale.endswith(".")
    assert {r.id for r in rules if r.platforms == ["ios"]} >= {"ios-no-aaa-new-model", "ios-ssh-version-2"}
    assert {r.id for r in rules if r.platforms == ["eos"]} >= {"eos-management-telnet", "eos-api-http"}


def test_every_rule_is_exercised(rules: list[AuditRule], reports: dict) -> None:
    fired = {rule_id for report in reports.values() for rule_id in _ids(report)}
    assert fired == {r.id for r in rules}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hardened_config_passes_rules_above_low(rules: list[AuditRule], reports: dict, platform: str) -> None:
    report = reports[f"hardened-{platform}"]
    assert report.rules_evaluated == sum(platform in r.platforms for r in rules)
    bad = [f.rule_id for f in report.findings if f.severity.rank > Severity.low.rank]
    assert bad == []
    assert report.counts["critical"] == report.counts["high"] == 0


def test_insecure_ios(reports: dict) -> None:
    report = reports["insecure-ios"]
    assert _ids(report) >= {
        "ios-vty-telnet",
        "snmp-community-default",
        "local-user-weak-password",
        "ios-no-aaa-new-model",
        "aaa-no-login-authentication",
        "ios-vty-no-access-class",
        "enable-password",
    }
    assert report.risk_score > 70
    evidence = {f.rule_id: f.evidence for f in report.findings}
    assert evidence["snmp-community-default"] == ["snmp-server community <redacted> RO"]
    assert "username admin privilege 15 password 7 <redacted>" in evidence["local-user-weak-password"]
    assert evidence["ios-vty-telnet"] == [
        "line vty 0 4",
        " transport input telnet ssh",
        "line vty 5 15",
        " transport input all",
    ]
    assert evidence["bgp-neighbor-no-password"] == ["router bgp 65101", " neighbor 172.16.100.1 remote-as 65000"]
    assert evidence["ios-no-aaa-new-model"] == []


def test_insecure_eos(reports: dict) -> None:
    report = reports["insecure-eos"]
    evidence = {f.rule_id: f.evidence for f in report.findings}
    assert evidence["eos-management-telnet"] == ["management telnet", " no shutdown"]
    assert evidence["eos-api-http"] == ["management api http-commands", " protocol http"]
    assert evidence["eos-ssh-no-acl"] == ["management ssh"]  # the block exists, the ACL line does not
    assert evidence["ospf-interface-no-auth"] == ["interface Ethernet49", "interface Ethernet50"]
    assert evidence["bgp-neighbor-no-password"] == ["router bgp 65000", " neighbor 10.255.0.1 remote-as 65000"]
    assert report.risk_score > 70


@pytest.mark.parametrize("name", list(CONFIGS))
def test_evidence_is_redacted(reports: dict, name: str) -> None:
    text = json.dumps(reports[name].model_dump(mode="json"))
    for secret in ("094F471A1A0A", "0822455D0A16", "cisco123", "n0c-rw", "Kx7pQ2", "Br4nchB4ckup!"):
        assert secret not in text
    for finding in reports[name].findings:
        for line in finding.evidence:
            assert " public" not in line and " private" not in line
        assert contains_secret("\n".join(finding.evidence + finding.remediation)) == []


@pytest.mark.parametrize("name", list(CONFIGS))
def test_findings_worst_first_then_id(reports: dict, name: str) -> None:
    findings = reports[name].findings
    keys = [(-f.severity.rank, f.rule_id) for f in findings]
    assert keys == sorted(keys)
    counts = reports[name].counts
    assert list(counts) == ["critical", "high", "medium", "low", "info"]
    assert sum(counts.values()) == len(findings)


# -- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["cis", "pci", "soc2"])
def test_tag_filter(rules: list[AuditRule], tag: str) -> None:
    config = (DATA / "insecure-ios.cfg").read_text()
    report = audit_config("branch-rtr-01", "ios", config, rules, tags={tag})
    assert report.rules_evaluated == sum("ios" in r.platforms and tag in r.tags for r in rules)
    assert report.findings and all(tag in f.tags for f in report.findings)


def test_tag_filter_narrows(rules: list[AuditRule], reports: dict) -> None:
    config = (DATA / "insecure-ios.cfg").read_text()
    soc2 = audit_config("branch-rtr-01", "ios", config, rules, tags={"soc2"})
    assert _ids(soc2) < _ids(reports["insecure-ios"])
    assert "ios-ip-source-route" not in _ids(soc2)  # cis only
    both = audit_config("branch-rtr-01", "ios", config, rules, tags={"PCI-DSS", "SOC2"})
    assert all({"pci", "soc2"} & set(f.tags) for f in both.findings)
    with pytest.raises(AuditError, match="unknown audit tag"):
        audit_config("branch-rtr-01", "ios", config, rules, tags={"hipaa"})


def test_platform_filter(rules: list[AuditRule], reports: dict) -> None:
    assert not any(rid.startswith("eos-") for rid in _ids(reports["insecure-ios"]))
    assert not any(rid.startswith("ios-") for rid in _ids(reports["insecure-eos"]))
    # an EOS config audited as IOS is still parsed; EOS-only rules are simply not evaluated
    report = audit_config("x", "IOS", (DATA / "insecure-eos.cfg").read_text(), rules)
    assert report.os == "ios" and "eos-management-telnet" not in _ids(report)
    with pytest.raises(AuditError, match="junos, nxos"):
        audit_config("x", "vyos", "hostname x\n", rules)


# -- score ----------------------------------------------------------------------------------------


def _finding(severity: str, rule_id: str = "r") -> AuditFinding:
    return AuditFinding(
        rule_id=rule_id, title="t", severity=Severity(severity), reference="x", tags=["cis"], evidence=[], remediation=[]
    )


def test_risk_score_formula(reports: dict) -> None:
    assert RISK_WEIGHTS == {
        Severity.critical: 25,
        Severity.high: 15,
        Severity.medium: 7,
        Severity.low: 3,
        Severity.info: 0,
    }
    assert risk_score([]) == 0
    assert risk_score([_finding("high"), _finding("medium"), _finding("medium"), _finding("low")]) == 32
    assert risk_score([_finding("info")] * 10) == 0
    assert risk_score([_finding("critical")] * 4) == 100
    assert risk_score([_finding("critical")] * 5) == 100
    for report in reports.values():
        expected = min(100, sum(RISK_WEIGHTS[f.severity] for f in report.findings))
        assert report.risk_score == expected


# -- check kinds on small configs -----------------------------------------------------------------

SMALL_IOS = """\
hostname r1
ip http server
interface Loopback0
 ip ospf 1 area 0
interface GigabitEthernet1
 description uplink to ISP-B
 ip ospf network point-to-point
interface GigabitEthernet2
 description lan
 no cdp enable
router bgp 65000
 neighbor 10.0.0.1 remote-as 65001
 neighbor 10.0.0.1 password 7 0822455D0A16
 neighbor 10.0.0.2 remote-as 65002
line vty 0 4
 transport input telnet
line vty 5 15
 transport input ssh
"""


@pytest.mark.parametrize(
    ("check", "evidence"),
    [
        ({"kind": "forbid", "path": [{"equals": "ip http server"}]}, ["ip http server"]),
        ({"kind": "forbid", "path": [{"equals": "ip http secure-server"}]}, None),
        ({"kind": "require", "path": [{"equals": "aaa new-model"}]}, []),
        ({"kind": "require", "path": [{"startswith": "hostname "}]}, None),
        (
            {"kind": "require", "path": [{"startswith": "line vty"}, {"startswith": "access-class"}]},
            ["line vty 0 4"],
        ),
        (
            {"kind": "each_require", "parent": [{"startswith": "line vty"}], "child": [{"equals": "transport input ssh"}]},
            ["line vty 0 4"],
        ),
        (
            {"kind": "each_forbid", "parent": [{"startswith": "line vty"}], "child": [{"contains": "telnet"}]},
            ["line vty 0 4", " transport input telnet"],
        ),
        (
            {
                "kind": "each_require",
                "parent": [{"startswith": "interface "}],
                "parent_has": [{"startswith": "description", "contains": ["ISP", "internet"]}],
                "child": [{"equals": "no cdp enable"}],
            },
            ["interface GigabitEthernet1"],
        ),
        (
            {
                "kind": "each_require_sibling",
                "path": [{"startswith": "router bgp"}, {"re_search": r"^neighbor \S+ remote-as"}],
                "key": r"^neighbor (\S+) ",
                "sibling": "^neighbor {key} password ",
            },
            ["router bgp 65000", " neighbor 10.0.0.2 remote-as 65002"],
        ),
        ({"kind": "forbid", "when": [{"equals": "aaa new-model"}], "path": [{"equals": "ip http server"}]}, None),
        ({"kind": "forbid", "unless": [{"startswith": "hostname"}], "path": [{"equals": "ip http server"}]}, None),
        (
            {"kind": "forbid", "path": [{"startswith": "router bgp"}, {"re_search": "password"}]},
            ["router bgp 65000", " neighbor 10.0.0.1 password 7 <redacted>"],
        ),
    ],
)
def test_check_kinds(check: dict, evidence: list[str] | None) -> None:
    report = audit_config("r1", "ios", SMALL_IOS, [_rule(check=check)])
    if evidence is None:
        assert report.findings == []
    else:
        assert [f.evidence for f in report.findings] == [evidence]


def test_crlf_and_duplicate_lines_tolerated(rules: list[AuditRule], reports: dict) -> None:
    text = (DATA / "insecure-ios.cfg").read_text()
    crlf = audit_config("branch-rtr-01", "ios", text.replace("\n", "\r\n"), rules)
    assert crlf.findings == reports["insecure-ios"].findings
    duplicated = text.replace("ip http server\n", "ip http server\nip http server\n")
    assert _ids(audit_config("branch-rtr-01", "ios", duplicated, rules)) == _ids(reports["insecure-ios"])


# -- rules files ----------------------------------------------------------------------------------


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_user_rules_file(tmp_path: Path) -> None:
    assert [r.id for r in load_rules(_write(tmp_path, {"rules": [GOOD_RULE]}))] == ["no-http"]
    assert [r.id for r in load_rules(_write(tmp_path, [GOOD_RULE]))] == ["no-http"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"severity": "urgent"}, ["rules[1] (id 'bad-rule')", "field 'severity'"]),
        ({"serverity": "high"}, ["rules[1] (id 'bad-rule')", "field 'serverity'", "Extra inputs"]),
        ({"tags": ["hipaa"]}, ["field 'tags.0'"]),
        ({"tags": []}, ["field 'tags'"]),
        ({"platforms": ["vyos"]}, ["field 'platforms.0'"]),
        ({"check": {"kind": "bogus", "path": [{"equals": "x"}]}}, ["field 'check'", "bogus"]),
        ({"check": {"kind": "forbid", "path": [{"re_search": "(["}]}}, ["field 'check.forbid.path.0.re_search'", "invalid regular expression"]),
        ({"check": {"kind": "forbid", "path": [{}]}}, ["field 'check.forbid.path.0'", "at least one of"]),
        ({"check": {"kind": "forbid", "path": []}}, ["field 'check.forbid.path'"]),
        ({"check": {"kind": "require"}}, ["field 'check.require.path'", "Field required"]),
        (
            {"check": {"kind": "each_require_sibling", "path": [{"equals": "x"}], "key": "^n (\\S+)", "sibling": "^n password"}},
            ["field 'check.each_require_sibling.sibling'", "{key}"],
        ),
        ({"remediation": None}, ["field 'remediation'"]),
    ],
)
def test_malformed_rule_names_index_id_and_field(tmp_path: Path, change: dict, expected: list[str]) -> None:
    bad = {**GOOD_RULE, "id": "bad-rule", **change}
    if change.get("remediation", "") is None:
        del bad["remediation"]
    path = _write(tmp_path, {"rules": [GOOD_RULE, bad]})
    with pytest.raises(AuditRulesError) as info:
        load_rules(path)
    message = str(info.value)
    for part in expected:
        assert part in message
    assert "Traceback" not in message and str(path) in message
    assert info.value.problems


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("rules: [\n  {id: x\n", "not valid YAML"),
        ("just a string\n", "non-empty list of rules"),
        ("rules: []\n", "non-empty list of rules"),
        ("- 42\n", r"rules\[0\]: expected a mapping"),
    ],
)
def test_malformed_rules_file(tmp_path: Path, content: str, expected: str) -> None:
    with pytest.raises(AuditRulesError, match=expected):
        load_rules(_write(tmp_path, content))


def test_duplicate_ids_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AuditRulesError, match="duplicate id"):
        load_rules(_write(tmp_path, [GOOD_RULE, GOOD_RULE]))
    with pytest.raises(AuditRulesError, match="cannot read file"):
        load_rules(tmp_path / "missing.yaml")
