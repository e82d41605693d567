"""Issue 12, findings 5-6: audit rules that understand inheritance, defaults and reference kinds.

False positives came from rules that looked only at a neighbour's own lines (peer groups and
session templates carry the password) and from a reference table that read
`match ip address prefix-list X` as an ACL named "prefix-list". False negatives came from VTY
lines with no `transport input` (the release default decides), OSPF enabled by `network`
statements, and BGP neighbours inside VRFs and address families.
"""

from __future__ import annotations

import pytest

from agents.specialists.config.rules import validate_config
from agents.tools.audit import AuditRulesError, _parse_rules, audit_config, load_rules
from agents.tools.redact import redact
from tests.harness.paths import DATA

CONFIGS = DATA / "realworld" / "configs"


def _evidence(os_name: str, config: str, rule_id: str) -> list[str] | None:
    rules = [r for r in load_rules() if r.id == rule_id]
    report = audit_config("dev", os_name, config, rules)
    return next((f.evidence for f in report.findings), None)


# -- BGP: peer groups, templates, VRFs and address families --------------------------------------


def test_evpn_fabric_neighbours_inherit_the_peer_group_password() -> None:
    """Arista AVD leaf: every neighbour gets its password from EVPN-OVERLAY-PEERS / IPv4-UNDERLAY-PEERS."""
    text = (CONFIGS / "eos" / "avd-example-dual-dc-l3ls-dc1-leaf1a.cfg").read_text()
    assert "neighbor 10.255.0.1 peer group EVPN-OVERLAY-PEERS" in text
    assert _evidence("eos", text, "bgp-neighbor-no-password") is None


IOS_BGP = """\
version 15.2
router bgp 65000
 neighbor FABRIC peer-group
 neighbor FABRIC remote-as 65000
 neighbor FABRIC password 7 0822455D0A16
 neighbor OPEN peer-group
 neighbor OPEN remote-as 65010
 neighbor 10.0.0.1 peer-group FABRIC
 neighbor 10.0.0.2 peer-group OPEN
 neighbor 10.0.0.3 inherit peer-session EDGE
 template peer-session BASE
  password 7 0822455D0A16
 exit-peer-session
 template peer-session EDGE
  remote-as 64512
  inherit peer-session BASE
 exit-peer-session
 address-family ipv4 vrf CUSTOMER
  neighbor 192.0.2.1 remote-as 64999
  neighbor 192.0.2.1 activate
  neighbor 192.0.2.5 remote-as 64998
  neighbor 192.0.2.5 password 7 0822455D0A16
 exit-address-family
"""


def test_ios_peer_groups_templates_and_vrf_neighbours() -> None:
    evidence = _evidence("ios", IOS_BGP, "bgp-neighbor-no-password")
    assert evidence == [
        "router bgp 65000",
        " neighbor OPEN remote-as 65010",  # the group itself has no password ...
        " neighbor 10.0.0.2 peer-group OPEN",  # ... so neither has its member
        " address-family ipv4 vrf CUSTOMER",
        "  neighbor 192.0.2.1 remote-as 64999",  # a VRF neighbour is checked too
    ]


def test_eos_vrf_neighbour_uses_a_group_defined_at_the_top() -> None:
    config = (
        "router bgp 65101\n"
        "   neighbor MLAG peer group\n"
        "   neighbor MLAG remote-as 65101\n"
        "   neighbor MLAG password 7 4b21pAdCvWeAqpcKDFMdWw==\n"
        "   vrf TENANT\n"
        "      neighbor 10.255.1.97 peer group MLAG\n"
        "      neighbor 10.9.9.9 remote-as 65999\n"
    )
    assert _evidence("eos", config, "bgp-neighbor-no-password") == [
        "router bgp 65101", " vrf TENANT", "  neighbor 10.9.9.9 remote-as 65999"]


def test_template_loop_does_not_hang() -> None:
    config = (
        "router bgp 1\n neighbor 10.0.0.1 inherit peer-session A\n"
        " template peer-session A\n  inherit peer-session B\n exit-peer-session\n"
        " template peer-session B\n  inherit peer-session A\n exit-peer-session\n"
    )
    assert _evidence("ios", config, "bgp-neighbor-no-password") == ["router bgp 1", " neighbor 10.0.0.1 inherit peer-session A"]


# -- VTY lines without transport input: the release default decides ---------------------------


@pytest.mark.parametrize(("version", "fires"), [("12.4", True), ("15.2", True), ("16.9", False), ("17.9", False), (None, True)])
def test_vty_without_transport_input_follows_the_release_default(version: str | None, fires: bool) -> None:
    config = (f"version {version}\n" if version else "") + "line vty 0 4\n login local\nline vty 5 15\n transport input ssh\n"
    evidence = _evidence("ios", config, "ios-vty-telnet")
    if not fires:
        assert evidence is None
        return
    assert evidence is not None and evidence[0] == "line vty 0 4" and "line vty 5 15" not in evidence
    assert "the default is 'transport input all'" in evidence[-1]
    assert (f"release {version}" if version else "release not in the configuration") in evidence[-1]


def test_rule_data_names_its_platform_defaults() -> None:
    rule = next(r for r in load_rules() if r.id == "ios-vty-telnet")
    defaults = [d for c in rule.check.checks if c.kind == "each_default" for d in c.defaults]
    assert {d.releases for d in defaults} == {"< 16.0", ">= 16.0", "unknown"} and all(d.source for d in defaults)


def test_bad_default_ranges_are_load_errors() -> None:
    rule = next(r for r in load_rules() if r.id == "ios-vty-telnet").model_dump(mode="json", exclude_none=True)
    rule["check"]["checks"][1]["defaults"][0]["releases"] = "before 16"
    with pytest.raises(AuditRulesError, match="releases"):
        _parse_rules("test", [rule])


# -- OSPF enabled by network statements -------------------------------------------------------


def test_ospf_network_statements_without_any_key_are_found() -> None:
    config = "interface Gi1\n ip address 10.1.1.1 255.255.255.0\nrouter ospf 1\n network 10.1.1.0 0.0.0.255 area 0\n"
    assert _evidence("ios", config, "ospf-interface-no-auth") == ["router ospf 1", " network 10.1.1.0 0.0.0.255 area 0"]
    keyed = config.replace(" ip address", " ip ospf message-digest-key 1 md5 7 0822455D0A16\n ip address")
    assert _evidence("ios", keyed, "ospf-interface-no-auth") is None


# -- reference kinds in the config specialist's validation --------------------------------------

REFS = """\
ip access-list extended VPN-TRAFFIC
 permit ip 10.0.0.0 0.255.255.255 10.1.0.0 0.0.255.255
ip access-list extended VOICE
 permit udp any any range 16384 32767
ip access-list standard NAT-INSIDE
 permit 10.0.0.0 0.255.255.255
ip prefix-list LOOPBACKS seq 10 permit 10.255.0.0/16 le 32
class-map match-any VOICE-CLASS
 match access-group name VOICE
policy-map WAN
 class VOICE-CLASS
  priority percent 20
interface Gi1
 service-policy output WAN
crypto map VPN 10 ipsec-isakmp
 match address VPN-TRAFFIC
ip nat inside source list NAT-INSIDE interface Gi1 overload
route-map RM-CONN permit 10
 match ip address prefix-list LOOPBACKS
route-map RM-EVPN-EXPORT permit 10
router bgp 65000
 redistribute connected route-map RM-CONN
 vrf BLUE
  route-target export evpn route-map RM-EVPN-EXPORT
"""


def test_every_reference_kind_is_understood() -> None:
    problems, unused = validate_config("ios", REFS)
    assert problems == []
    assert unused["ip access-list"] == [] and unused["route-map"] == [] and unused["prefix-list"] == []


def test_dangling_prefix_list_is_a_prefix_list_not_an_acl() -> None:
    problems, _ = validate_config("ios", "route-map X permit 10\n match ip address prefix-list MISSING\nrouter bgp 1\n neighbor 1.1.1.1 route-map X in\n")
    assert problems == ["prefix-list MISSING is referenced but not defined"]


def test_real_fabric_config_has_no_reference_false_positives() -> None:
    text = redact((CONFIGS / "eos" / "avd-example-dual-dc-l3ls-dc1-leaf1a.cfg").read_text())
    problems, _ = validate_config("eos", text)
    assert not [p for p in problems if "prefix-list" in p and "access-list" in p]
    assert "ip access-list prefix-list is referenced but not defined" not in problems


def test_a_config_validated_again_gives_the_same_answer_in_lists_of_its_own() -> None:
    """The second reading of the same text comes from the parse cache; what one answer does with
    its lists must not change the next one's."""
    text = "route-map X permit 10\n match ip address prefix-list MISSING\nip prefix-list SPARE seq 5 permit 10.0.0.0/8\n"
    first, first_unused = validate_config("ios", text)
    first.append("edited by a caller")
    first_unused["prefix-list"].clear()
    again, again_unused = validate_config("ios", text)
    assert again == ["prefix-list MISSING is referenced but not defined",
                     "unused prefix-list SPARE (defined, never referenced)",
                     "unused route-map X (defined, never referenced)"]
    assert again_unused["prefix-list"] == ["SPARE"]
