"""Secret redaction: every form, IOS and EOS, without harming the text around the secret."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agents.tools.redact import REDACTED, SECRET_PATTERNS, contains_secret, redact

DATA = Path(__file__).parent / "data" / "audit_configs"

# (form name, platform, raw text, expected text). Multi-line cases give the block context.
CASES: list[tuple[str, str, str, str]] = [
    ("enable-secret", "ios", "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1il0RxkOSSvyQYwucySCt7qFm4v7pqCxkKM",
     "enable secret 9 <redacted>"),
    ("enable-secret", "ios", "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", "enable secret 5 <redacted>"),
    ("enable-secret", "ios", "enable secret 8 $8$dsYGNam3K1SIJO$7nv/35M/qr6t.dVc7UY9zrJDWRVqncHub1PE9UlMQFs",
     "enable secret 8 <redacted>"),
    ("enable-secret", "ios", "enable algorithm-type scrypt secret Str0ngEnable", "enable algorithm-type scrypt secret <redacted>"),
    ("enable-secret", "eos", "enable secret sha512 $6$Hq2LmZ9c$5tYbW1dR7fK3pN9sX2vB6hJ0", "enable secret sha512 <redacted>"),
    ("enable-password", "ios", "enable password 7 0822455D0A16", "enable password 7 <redacted>"),
    ("enable-password", "ios", "enable password cisco", "enable password <redacted>"),
    ("enable-password", "eos", "enable password sha512 $6$Hq2LmZ9c$5tYbW1dR7fK3pN9sX2vB6hJ0", "enable password sha512 <redacted>"),
    ("username-secret", "ios", "username netops privilege 15 secret 9 $9$Fq7mVb2LxPqJcE$0bJtR2yQkzYm5nW3uV8c",
     "username netops privilege 15 secret 9 <redacted>"),
    ("username-secret", "eos", "username admin secret sha512 $6$salt$hashhashhash", "username admin secret sha512 <redacted>"),
    ("username-secret", "eos", "username netops privilege 15 role network-admin secret sha512 $6$Vq8x2LpR$0pXeY6cWq3nM1",
     "username netops privilege 15 role network-admin secret sha512 <redacted>"),
    ("username-password", "ios", "username admin privilege 15 password 7 094F471A1A0A",
     "username admin privilege 15 password 7 <redacted>"),
    ("username-password", "ios", "username backup password cisco123", "username backup password <redacted>"),
    ("aaa-root-secret", "eos", "aaa root secret sha512 $6$x1y2$z3w4v5", "aaa root secret sha512 <redacted>"),
    ("line-password", "ios", "line vty 0 4\n exec-timeout 10 0\n password 7 0822455D0A16\n transport input ssh",
     "line vty 0 4\n exec-timeout 10 0\n password 7 <redacted>\n transport input ssh"),
    ("line-password", "ios", "line con 0\n password plainpw\n login", "line con 0\n password <redacted>\n login"),
    ("aaa-server-block-key", "ios", "tacacs server TACACS-1\n address ipv4 10.10.99.201\n key 7 070C285F4D06",
     "tacacs server TACACS-1\n address ipv4 10.10.99.201\n key 7 <redacted>"),
    ("aaa-server-block-key", "ios",
     "radius server RAD-1\n address ipv4 10.10.99.205 auth-port 1812 acct-port 1813\n key 7 1511021F0725",
     "radius server RAD-1\n address ipv4 10.10.99.205 auth-port 1812 acct-port 1813\n key 7 <redacted>"),
    ("aaa-server-block-key", "ios", "radius server RAD-2\n address ipv4 10.10.99.206\n key Rad1usKey",
     "radius server RAD-2\n address ipv4 10.10.99.206\n key <redacted>"),
    ("aaa-server-key", "ios", "tacacs-server host 10.1.1.1 key 7 070C285F4D06", "tacacs-server host 10.1.1.1 key 7 <redacted>"),
    ("aaa-server-key", "ios", "tacacs-server key 7 070C285F4D06", "tacacs-server key 7 <redacted>"),
    ("aaa-server-key", "ios", "radius-server key S3cr3tRad", "radius-server key <redacted>"),
    ("aaa-server-key", "eos", "tacacs-server host 10.10.99.201 vrf MGMT key 7 070C285F4D06",
     "tacacs-server host 10.10.99.201 vrf MGMT key 7 <redacted>"),
    ("aaa-server-key", "eos", "radius-server host 10.10.99.205 vrf MGMT key 7 0207165218120E",
     "radius-server host 10.10.99.205 vrf MGMT key 7 <redacted>"),
    ("radius-client-server-key", "ios", "aaa server radius dynamic-author\n client 10.10.99.9 server-key 7 1511021F0725",
     "aaa server radius dynamic-author\n client 10.10.99.9 server-key 7 <redacted>"),
    ("snmp-community", "ios", "snmp-server community s3cr3tRO RO SNMP-RO", "snmp-server community <redacted> RO SNMP-RO"),
    ("snmp-community", "ios", "snmp-server community public RO", "snmp-server community <redacted> RO"),
    ("snmp-community", "eos", "snmp-server community s3cr3tRO ro SNMP-RO", "snmp-server community <redacted> ro SNMP-RO"),
    ("snmp-community", "eos", "snmp-server community s3cr3tRO view ALL ro SNMP-RO",
     "snmp-server community <redacted> view ALL ro SNMP-RO"),
    ("snmp-host-community", "ios", "snmp-server host 10.1.1.1 version 2c c0mmun1ty", "snmp-server host 10.1.1.1 version 2c <redacted>"),
    ("snmp-host-community", "ios", "snmp-server host 10.1.1.1 informs version 2c c0mmun1ty udp-port 162",
     "snmp-server host 10.1.1.1 informs version 2c <redacted> udp-port 162"),
    ("snmp-host-community", "eos", "snmp-server host 10.10.99.60 vrf MGMT version 2c c0mmun1ty",
     "snmp-server host 10.10.99.60 vrf MGMT version 2c <redacted>"),
    ("snmp-user-auth", "ios", "snmp-server user NMS NMS-GROUP v3 auth sha AuthPass1 priv aes 128 PrivPass1",
     "snmp-server user NMS NMS-GROUP v3 auth sha <redacted> priv aes 128 <redacted>"),
    ("snmp-user-priv", "ios", "snmp-server user NMS NMS-GROUP v3 auth md5 AuthPass1 priv des PrivPass1 access SNMP-RO",
     "snmp-server user NMS NMS-GROUP v3 auth md5 <redacted> priv des <redacted> access SNMP-RO"),
    ("snmp-user-priv", "eos",
     "snmp-server user NOC-MON NOC-V3 v3 localized 000000000001 auth sha 0a1b2c3d4e5f priv aes 9f8e7d6c5b4a",
     "snmp-server user NOC-MON NOC-V3 v3 localized 000000000001 auth sha <redacted> priv aes <redacted>"),
    ("snmp-user-priv", "eos", "snmp-server user NOC-MON NOC-V3 v3 auth sha256 a1b2 priv aes256 c3d4",
     "snmp-server user NOC-MON NOC-V3 v3 auth sha256 <redacted> priv aes256 <redacted>"),
    ("isakmp-key", "ios", "crypto isakmp key Br4nchB4ckup! address 198.51.100.10",
     "crypto isakmp key <redacted> address 198.51.100.10"),
    ("isakmp-key", "ios", "crypto isakmp key 6 AbCdEf123 address 198.51.100.10",
     "crypto isakmp key 6 <redacted> address 198.51.100.10"),
    ("keyring-psk-address", "ios", "crypto keyring WAN\n pre-shared-key address 0.0.0.0 0.0.0.0 key Psk0fTheDay",
     "crypto keyring WAN\n pre-shared-key address 0.0.0.0 0.0.0.0 key <redacted>"),
    ("ikev2-psk", "ios",
     "crypto ikev2 keyring IKEV2-KR\n peer HQ\n  address 198.51.100.10\n  pre-shared-key local L0calPsk\n  pre-shared-key remote R3motePsk",
     "crypto ikev2 keyring IKEV2-KR\n peer HQ\n  address 198.51.100.10\n  pre-shared-key local <redacted>\n  pre-shared-key remote <redacted>"),
    ("ikev2-psk", "ios", "  pre-shared-key 6 AbCdEfGh", "  pre-shared-key 6 <redacted>"),
    ("ospf-md5-key", "ios", " ip ospf message-digest-key 1 md5 7 1511021F0725", " ip ospf message-digest-key 1 md5 7 <redacted>"),
    ("ospf-md5-key", "eos", "   ip ospf message-digest-key 1 md5 7 Hi8WvTXa4CsIrLDV0xdAHA==",
     "   ip ospf message-digest-key 1 md5 7 <redacted>"),
    ("ospf-auth-key", "ios", " ip ospf authentication-key 7 1511021F0725", " ip ospf authentication-key 7 <redacted>"),
    ("ospf-auth-key", "eos", "   ip ospf authentication-key 7 Hi8WvTXa4Cs=", "   ip ospf authentication-key 7 <redacted>"),
    ("bgp-neighbor-password", "ios", " neighbor 172.16.100.1 password 7 02050D480809", " neighbor 172.16.100.1 password 7 <redacted>"),
    ("bgp-neighbor-password", "eos", "   neighbor 10.255.0.41 password 7 6x7d3Y9fGhQ1bVn0Lk2Zrw==",
     "   neighbor 10.255.0.41 password 7 <redacted>"),
    ("bgp-neighbor-password", "eos", "   neighbor IBGP password 0 Pl41nBgp", "   neighbor IBGP password 0 <redacted>"),
    ("isis-auth-key", "eos", "   isis authentication key 7 0207165218120E level-2", "   isis authentication key 7 <redacted> level-2"),
    ("isis-auth-key", "eos", "   authentication key 0 Is1sKey level-1", "   authentication key 0 <redacted> level-1"),
    ("isis-password", "ios", " isis password Is1sPw", " isis password <redacted>"),
    ("isis-password", "ios", " area-password Ar3aPw", " area-password <redacted>"),
    ("isis-password", "ios", " domain-password D0mPw", " domain-password <redacted>"),
    ("key-string", "ios", "key chain OSPF-KEYS\n key 1\n  key-string 7 045802150C2E",
     "key chain OSPF-KEYS\n key 1\n  key-string 7 <redacted>"),
    ("key-string", "ios", "  key-string Plain0spfKey", "  key-string <redacted>"),
    ("ntp-key", "ios", "ntp authentication-key 1 md5 104D000A0618 7", "ntp authentication-key 1 md5 <redacted> 7"),
    ("ntp-key", "eos", "ntp authentication-key 1 md5 7 0207165218120E", "ntp authentication-key 1 md5 7 <redacted>"),
    ("wpa-psk", "ios", " wpa-psk ascii 0 W1f1Passw0rd", " wpa-psk ascii 0 <redacted>"),
    ("wpa-psk", "ios", " security wpa psk set-key ascii 0 W1f1Passw0rd", " security wpa psk set-key ascii 0 <redacted>"),
    ("ppp-password", "ios", " ppp chap password 0 Ch4pPw", " ppp chap password 0 <redacted>"),
    ("ppp-password", "ios", " ppp pap sent-username branch password 0 P4pPw", " ppp pap sent-username branch password 0 <redacted>"),
    ("ip-client-password", "ios", "ip http client password Cl1entPw", "ip http client password <redacted>"),
    ("ip-client-password", "ios", "ip ftp password 7 0822455D0A16", "ip ftp password 7 <redacted>"),
    ("config-key", "ios", "key config-key password-encrypt Mast3rKey", "key config-key password-encrypt <redacted>"),
    ("type7-generic", "ios", " standby 1 authentication md5 key-string 7 0822455D0A16",
     " standby 1 authentication md5 key-string 7 <redacted>"),
    ("crypt-hash", "ios", " secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", " secret 5 <redacted>"),
    ("crypt-hash", "ios", " secret 8 $8$dsYGNam3K1SIJO$7nv/35M/qr6t.dVc7UY9zrJDWRV", " secret 8 <redacted>"),
    ("crypt-hash", "eos", "stored hashes: $9$nhEmQVczB7dqsO$X.HsgL6x1il0Rx and sha512 $6$a$b",
     "stored hashes: <redacted> and sha512 <redacted>"),
    # prompts and removals still name the value
    ("username-password", "ios", "edge-rtr-01(config)#username bob password 0 b0bPw", "edge-rtr-01(config)#username bob password 0 <redacted>"),
    ("snmp-community", "ios", "no snmp-server community public RO", "no snmp-server community <redacted> RO"),
]

NON_SECRET_LINES = [
    "interface GigabitEthernet0/0/0",
    " description ISP-A transit secret key 7 notes password 0 here",
    " ip address 203.0.113.2 255.255.255.252",
    " ip access-group INTERNET-IN in",
    "ip access-list standard SNMP-RO",
    " 10 permit 10.10.99.60",
    "key chain OSPF-KEYS",
    " key 1",
    " key 7",
    "  cryptographic-algorithm hmac-sha-256",
    "snmp-server group NOC-V3 v3 priv access SNMP-RO",
    "snmp-server host 10.10.99.60 vrf Mgmt-vrf version 3 priv NOC-MON",
    "snmp-server enable traps snmp authentication linkdown linkup",
    "snmp-server location HQ data centre row 3",
    "ntp authenticate",
    "ntp trusted-key 1",
    "ntp server vrf Mgmt-vrf 10.10.99.123 key 1",
    " ip ospf authentication message-digest",
    " ip ospf authentication key-chain OSPF-KEYS",
    "   isis authentication mode md5",
    " area 0 authentication message-digest",
    "service password-encryption",
    "no enable password",
    "aaa authentication login default group TACACS-GROUP local",
    "tacacs server TACACS-1",
    " address ipv4 10.10.99.201",
    "username admin privilege 15 role network-admin nopassword",
    "management security",
    "   password minimum length 12",
    " neighbor 10.255.0.1 remote-as 65000",
    " neighbor 10.255.0.1 update-source Loopback0",
    "crypto isakmp policy 10",
    " authentication pre-share",
    "ip ssh version 2",
    " login authentication default",
    "logging host 10.10.99.250 vrf Mgmt-vrf",
    "Authorised access only; never share your password 7 days a week.",
    "snmp-server community <ro-community> RO SNMP-POLLERS",
    "enable secret 9 <enable-secret>",
    " transport input ssh",
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_form_is_redacted(case: tuple[str, str, str, str]) -> None:
    name, _, raw, expected = case
    assert redact(raw) == expected
    assert name in contains_secret(raw)
    assert contains_secret(expected) == []


def test_every_form_has_a_case() -> None:
    assert {name for name, *_ in CASES} == {p.name for p in SECRET_PATTERNS}


def test_patterns_are_data() -> None:
    names = [p.name for p in SECRET_PATTERNS]
    assert len(names) == len(set(names))
    assert all("val" in p.regex.groupindex for p in SECRET_PATTERNS)


@pytest.mark.parametrize("line", NON_SECRET_LINES)
def test_non_secret_line_untouched(line: str) -> None:
    assert redact(line) == line
    assert contains_secret(line) == []


def _all_cases_text() -> str:
    return "\n".join(raw for _, _, raw, _ in CASES) + "\n"


def test_idempotent() -> None:
    for text in (_all_cases_text(), *(p.read_text() for p in sorted(DATA.glob("*.cfg")))):
        once = redact(text)
        assert redact(once) == once
    for _, _, _, expected in CASES:
        assert redact(expected) == expected


def test_line_count_and_structure_preserved() -> None:
    text = _all_cases_text()
    out = redact(text)
    assert out.count("\n") == text.count("\n")
    for before, after in zip(text.splitlines(), out.splitlines(), strict=True):
        if before != after:
            assert REDACTED in after
            assert before.split()[0] == after.split()[0]


def test_crlf() -> None:
    lf = _all_cases_text()
    crlf = lf.replace("\n", "\r\n")
    out = redact(crlf)
    assert out == redact(lf).replace("\n", "\r\n")
    assert out.count("\r\n") == crlf.count("\r\n")
    assert contains_secret(out) == []


@pytest.mark.parametrize("name", ["hardened-ios.cfg", "hardened-eos.cfg"])
def test_config_only_secret_lines_change(name: str) -> None:
    text = (DATA / name).read_text()
    out = redact(text)
    changed = [(a, b) for a, b in zip(text.splitlines(), out.splitlines(), strict=True) if a != b]
    # the hardened configs carry 13 secrets each (see the files)
    assert len(changed) == 13
    assert all(REDACTED in b and b.count(" ") == a.count(" ") for a, b in changed)
    assert contains_secret(text) and contains_secret(out) == []


def test_empty_and_plain_text() -> None:
    assert redact("") == ""
    assert redact("show ip interface brief\n") == "show ip interface brief\n"
    assert contains_secret("") == []


def test_fast_on_5000_lines() -> None:
    base = (DATA / "hardened-ios.cfg").read_text() + (DATA / "hardened-eos.cfg").read_text()
    text = base * (5000 // len(base.splitlines()) + 1)
    assert len(text.splitlines()) >= 5000
    best = min(_timed(text) for _ in range(3))
    assert best < 0.05, f"redact took {best * 1000:.1f} ms"


def _timed(text: str) -> float:
    start = time.perf_counter()
    redact(text)
    return time.perf_counter() - start
