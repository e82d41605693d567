"""Secret redaction: every form, on every platform, without harming the text around the secret."""

from __future__ import annotations

import pytest

from agents.tools.redact import REDACTED, WELL_KNOWN, contains_secret, redact, redact_prose, secret_patterns, unmark
from tests.harness.paths import DATA as TEST_DATA

DATA = TEST_DATA / "audit_configs"

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
    # -- every platform the README claims: EOS, NX-OS, IOS-XR, Junos (curly and set), FHRP, LDAP, diffs --
    ('enable-other-password', 'ios', 'enable read-only-password R0nlyPw',
     'enable read-only-password <redacted>'),
    ('enable-other-password', 'ios', 'enable telnet password T3lnetPw',
     'enable telnet password <redacted>'),
    ('boot-secret', 'eos', 'boot secret 5 a153de6290ff1409257a',
     'boot secret 5 <redacted>'),
    ('shared-secret-profile-secret', 'eos', 'management security\n   session shared-secret profile p0\n      secret Secret1 7 $1c$mNvaIXPetcQ3hy7oUnTU3w== receive-lifetime infinite transmit-lifetime infinite',
     'management security\n   session shared-secret profile p0\n      secret Secret1 7 <redacted> receive-lifetime infinite transmit-lifetime infinite'),
    ('shared-secret-profile-secret', 'eos', '      secret Secret4 0 name1_secret receive-lifetime infinite',
     '      secret Secret4 0 <redacted> receive-lifetime infinite'),
    ('child-secret', 'iosxr', 'username admin\n group root-lr\n secret 0 Cl34rXr',
     'username admin\n group root-lr\n secret 0 <redacted>'),
    ('child-secret', 'junos', '            secret "$9$sdnfh2p9f8whefi2p98fehwuinoief98p2hif3beuis98ehfoi2";',
     '            secret <redacted>;'),
    ('child-password', 'nxos', 'router bgp 65001\n  neighbor 10.0.0.2\n    remote-as 65002\n    password 3 8e008e8d49648110',
     'router bgp 65001\n  neighbor 10.0.0.2\n    remote-as 65002\n    password 3 <redacted>'),
    ('child-password', 'iosxr', 'router bgp 1\n neighbor 10.1.1.1\n  password encrypted 0822455D0A16',
     'router bgp 1\n neighbor 10.1.1.1\n  password encrypted <redacted>'),
    ('child-password', 'eos', 'vmtracer session vc1\n   username svc\n   password 7 encrypted_password',
     'vmtracer session vc1\n   username svc\n   password 7 <redacted>'),
    ('child-password', 'eos', '   redis password 7 070E334ddD1D18',
     '   redis password 7 <redacted>'),
    ('server-private-key', 'ios', 'aaa group server radius RAD\n server-private 10.1.1.1 auth-port 1812 acct-port 1813 key 7 1511021F0725',
     'aaa group server radius RAD\n server-private 10.1.1.1 auth-port 1812 acct-port 1813 key 7 <redacted>'),
    ('server-private-key', 'ios', ' server-private 10.2.2.2 key Rad1usPlain',
     ' server-private 10.2.2.2 key <redacted>'),
    ('server-key', 'iosxr', 'aaa server radius dynamic-author\n client 10.1.1.1 vrf default\n  server-key 7 1511021F0725',
     'aaa server radius dynamic-author\n client 10.1.1.1 vrf default\n  server-key 7 <redacted>'),
    ('ldap-bind-password', 'ios', 'ldap server LDAP1\n bind authenticate root-dn "CN=ldap bind,OU=svc,DC=corp" password 7 1511021F0725',
     'ldap server LDAP1\n bind authenticate root-dn "CN=ldap bind,OU=svc,DC=corp" password 7 <redacted>'),
    ('ldap-bind-password', 'ios', ' bind authenticate root-dn CN=svc,DC=corp password LdapPl41n',
     ' bind authenticate root-dn CN=svc,DC=corp password <redacted>'),
    ('ldap-server-password', 'nxos', 'ldap-server host 10.1.1.5 rootDN "cn=admin" password 7 Ld4pNx port 389',
     'ldap-server host 10.1.1.5 rootDN "cn=admin" password 7 <redacted> port 389'),
    ('snmp-community-map', 'ios', 'snmp-server community-map c0mmMap context ospf1',
     'snmp-server community-map <redacted> context ospf1'),
    ('snmp-community-map', 'ios', 'snmp-server mib community-map c0mmMap2 context public1',
     'snmp-server mib community-map <redacted> context public1'),
    ('eos-shared-key', 'eos', 'ip security\n   profile IPSEC-P\n      shared-key 7 12312312313213AA',
     'ip security\n   profile IPSEC-P\n      shared-key 7 <redacted>'),
    ('isis-auth-key-id', 'eos', '   isis authentication key-id 3 algorithm sha-512 rfc-5310 key 0 Is1sKeyId level-1',
     '   isis authentication key-id 3 algorithm sha-512 rfc-5310 key 0 <redacted> level-1'),
    ('xr-isis-password', 'iosxr', 'router isis CORE\n lsp-password hmac-md5 encrypted 0822455D0A16',
     'router isis CORE\n lsp-password hmac-md5 encrypted <redacted>'),
    ('xr-isis-password', 'iosxr', '  hello-password text clear Hell0Pw',
     '  hello-password text clear <redacted>'),
    ('fhrp-text-auth', 'ios', ' standby 1 authentication text Hsrp1Txt',
     ' standby 1 authentication text <redacted>'),
    ('fhrp-text-auth', 'ios', ' vrrp 1 authentication text Vrrp1Txt',
     ' vrrp 1 authentication text <redacted>'),
    ('fhrp-text-auth', 'ios', ' glbp 1 authentication text Glbp1Txt',
     ' glbp 1 authentication text <redacted>'),
    ('fhrp-text-auth', 'eos', '   vrrp 3 peer authentication text EosVrrpTxt',
     '   vrrp 3 peer authentication text <redacted>'),
    ('fhrp-text-auth', 'nxos', 'interface Vlan10\n  hsrp 10\n    authentication text NxHsrpTxt',
     'interface Vlan10\n  hsrp 10\n    authentication text <redacted>'),
    ('fhrp-md5-key-string', 'ios', ' standby 2 authentication md5 key-string 0 HsrpMd5Key timeout 30',
     ' standby 2 authentication md5 key-string 0 <redacted> timeout 30'),
    ('fhrp-md5-key-string', 'ios', ' vrrp 2 authentication md5 key-string VrrpMd5Key',
     ' vrrp 2 authentication md5 key-string <redacted>'),
    ('fhrp-md5-key-string', 'ios', ' glbp 2 authentication md5 key-string GlbpMd5Key',
     ' glbp 2 authentication md5 key-string <redacted>'),
    ('fhrp-md5-key-string', 'nxos', '    authentication md5 key-string NxHsrpMd5',
     '    authentication md5 key-string <redacted>'),
    ('hsrp-plain-auth', 'ios', ' standby 3 authentication Pl41nHsrp',
     ' standby 3 authentication <redacted>'),
    ('eigrp-hmac-key', 'ios', '  authentication mode hmac-sha-256 7 0822455D0A16',
     '  authentication mode hmac-sha-256 7 <redacted>'),
    ('nhrp-auth', 'ios', ' ip nhrp authentication NhrpK3y',
     ' ip nhrp authentication <redacted>'),
    ('pim-hello-auth', 'nxos', '  ip pim hello-authentication ah-md5 3 8e008e8d49648110',
     '  ip pim hello-authentication ah-md5 3 <redacted>'),
    ('bfd-auth-key', 'nxos', '  bfd authentication keyed-sha1 key-id 1 key BfdK3y',
     '  bfd authentication keyed-sha1 key-id 1 key <redacted>'),
    ('ntp-child-key', 'iosxr', 'ntp\n authentication-key 12 md5 encrypted 053811060F787E0A11',
     'ntp\n authentication-key 12 md5 encrypted <redacted>'),
    ('junos-set-snmp-community', 'junos', 'set snmp community "dummycommunity" authorization read-only',
     'set snmp community <redacted> authorization read-only'),
    ('junos-set-snmp-community', 'junos', 'set snmp community S3cretComm clients 1.2.3.0/24',
     'set snmp community <redacted> clients 1.2.3.0/24'),
    ('junos-ntp-key-value', 'junos', 'set system ntp authentication-key 1 value "$9$secret1"',
     'set system ntp authentication-key 1 value <redacted>'),
    ('junos-ntp-key-value', 'junos', '        authentication-key 2 type md5 value "$9$abcdefgh"; ## SECRET-DATA',
     '        authentication-key 2 type md5 value <redacted>; ## SECRET-DATA'),
    ('junos-ospf-md5-key', 'junos', 'set protocols ospf area 0.0.0.0 interface xe-0/0/0.0 authentication md5 0 key "some-unencrypted-key"',
     'set protocols ospf area 0.0.0.0 interface xe-0/0/0.0 authentication md5 0 key <redacted>'),
    ('junos-pre-shared-key', 'junos', 'set security ike policy P pre-shared-key ascii-text "psk1"',
     'set security ike policy P pre-shared-key ascii-text <redacted>'),
    ('junos-pre-shared-key', 'junos', '        pre-shared-key hexadecimal "$9$nJXv9A0O1RESr.P5F36At"; ## SECRET-DATA',
     '        pre-shared-key hexadecimal <redacted>; ## SECRET-DATA'),
    ('junos-secret', 'junos', 'set system root-authentication encrypted-password "$6$Z5pgyCKJ$XFMRbBTMD.RjKlOtzCyUjcumTSnXDv6iX2"',
     'set system root-authentication encrypted-password <redacted>'),
    ('junos-secret', 'junos', 'set system tacplus-server 1.2.3.4 secret "psk"',
     'set system tacplus-server 1.2.3.4 secret <redacted>'),
    ('junos-secret', 'junos', 'set interfaces xe-2/3/0 unit 0 family inet address 10.0.0.1/27 vrrp-group 100 authentication-key kkkkkk',
     'set interfaces xe-2/3/0 unit 0 family inet address 10.0.0.1/27 vrrp-group 100 authentication-key <redacted>'),
    ('junos-secret', 'junos', 'set protocols isis interface ge-0/0/0.0 level 2 hello-authentication-key "$9$tc4xpORrlMxNbhSdsY2oan"',
     'set protocols isis interface ge-0/0/0.0 level 2 hello-authentication-key <redacted>'),
    ('junos-secret', 'junos', '        encrypted-password "$1$kasfbiuw98p43hnfwe.";',
     '        encrypted-password <redacted>;'),
    ('authentication-key', 'iosxr', 'router ospf 1\n area 0\n  authentication-key encrypted 0822455D0A16',
     'router ospf 1\n area 0\n  authentication-key encrypted <redacted>'),
    ('authentication-key', 'junos', '                    authentication-key "abacadd"; ## SECRET-DATA',
     '                    authentication-key <redacted>; ## SECRET-DATA'),
    ('macsec-key', 'eos', 'mac security\n   profile MS\n      key 1234a 7 025756085F535976 fallback',
     'mac security\n   profile MS\n      key 1234a 7 <redacted> fallback'),
    ('snmp-vrf-host-community', 'iosxr', 'snmp-server vrf MGMT\n host 1.2.3.4 traps version 2c encrypted 0123456789ABCDEF0123',
     'snmp-server vrf MGMT\n host 1.2.3.4 traps version 2c encrypted <redacted>'),
    ('snmp-vrf-host-community', 'iosxr', 'snmp-server vrf MGMT\n host 1.2.3.5 traps version 2c VrfC0mm',
     'snmp-server vrf MGMT\n host 1.2.3.5 traps version 2c <redacted>'),
    ('junos-snmp-community', 'junos', 'snmp {\n    location lab;\n    community s3cure {\n        authorization read-only;\n    }\n}',
     'snmp {\n    location lab;\n    community <redacted> {\n        authorization read-only;\n    }\n}'),
    ('junos-snmp-community', 'junos', '[edit snmp]\n-   community OldC0mm;\n+   community NewC0mm;',
     '[edit snmp]\n-   community <redacted>;\n+   community <redacted>;'),
    ('typed-generic', 'ios', ' credentials username sip1 password 0 S1pPl41n',
     ' credentials username sip1 password 0 <redacted>'),
    ('url-password', 'eos', '   exec /usr/bin/TerminAttr -cvaddr=10.1.1.1:9910 -cvproxy=http://arista:Pr0xyPw@10.10.10.1:3128 -taillogs',
     '   exec /usr/bin/TerminAttr -cvaddr=10.1.1.1:9910 -cvproxy=http://arista:<redacted>@10.10.10.1:3128 -taillogs'),
    ('terminattr-key', 'eos', '   exec /usr/bin/TerminAttr -cvaddr=10.1.1.1:9910 -cvauth=key,m4gickey -cvvrf=mgt',
     '   exec /usr/bin/TerminAttr -cvaddr=10.1.1.1:9910 -cvauth=key,<redacted> -cvvrf=mgt'),
    ('terminattr-key', 'eos', '   exec /usr/bin/TerminAttr -cvopt DC1.addr=10.20.20.1:9910 -cvopt DC1.auth=key,ar1sta -cvopt DC1.vrf=mgt',
     '   exec /usr/bin/TerminAttr -cvopt DC1.addr=10.20.20.1:9910 -cvopt DC1.auth=key,<redacted> -cvopt DC1.vrf=mgt'),
    ('junos-secret-data', 'junos', '            ssh-rsa "ssh-rsa AAAAB3NzaC1yc2E admin@host"; ## SECRET-DATA',
     '            ssh-rsa "<redacted>"; ## SECRET-DATA'),
    ('snmp-user-priv', 'nxos', 'snmp-server user admin network-admin auth md5 0x9e902c388e9b4c616e7c7c98d1079325 priv 0x3c0c5d5139941831378b36418799e1cc localizedkey',
     'snmp-server user admin network-admin auth md5 <redacted> priv <redacted> localizedkey'),
    ('snmp-user-auth', 'iosxr', 'snmp-server user u1 g1 v3 auth sha encrypted abc1234 priv aes 128 encrypted abc5678',
     'snmp-server user u1 g1 v3 auth sha encrypted <redacted> priv aes 128 encrypted <redacted>'),
    ('snmp-community', 'iosxr', 'snmp-server community encrypted 15110D0B RO SystemOwner',
     'snmp-server community encrypted <redacted> RO SystemOwner'),
    ('ospf-md5-key', 'eos', '   ip ospf message-digest-key 1 sha512 7 asfddja23452',
     '   ip ospf message-digest-key 1 sha512 7 <redacted>'),
    ('ospf-md5-key', 'iosxr', '  message-digest-key 1 md5 encrypted 00000000000000000000',
     '  message-digest-key 1 md5 encrypted <redacted>'),
    ('key-string', 'iosxr', 'key chain K\n key 1\n  key-string password 0123456789ABCDEF01234567',
     'key chain K\n key 1\n  key-string password <redacted>'),
    ('aaa-server-block-key', 'iosxr', 'tacacs-server host 10.1.1.1 port 49\n key 7 0822455D0A16',
     'tacacs-server host 10.1.1.1 port 49\n key 7 <redacted>'),
    ('aaa-server-block-key', 'iosxr', 'aaa group server tacacs+ AUTH\n server-private 10.1.1.9 port 49\n  key 7 0822455D0A16',
     'aaa group server tacacs+ AUTH\n server-private 10.1.1.9 port 49\n  key 7 <redacted>'),
    ('line-password', 'ios', 'line vty 0 4\n  - password 0 Vty0ld\n  + password 0 VtyN3w',
     'line vty 0 4\n  - password 0 <redacted>\n  + password 0 <redacted>'),
    # issue 22: LDP, OSPFv3 IPsec, VTP, WPA passphrases, Junos manual SAs, credentials in banners
    ("ldp-password", "ios", "mpls ldp password fallback 7 060506324F41", "mpls ldp password fallback 7 <redacted>"),
    ("ldp-password", "ios", "mpls ldp password fallback LdpFallback2", "mpls ldp password fallback <redacted>"),
    ("ldp-password", "ios", "mpls ldp neighbor 10.0.0.2 password 0 LdpNbr3", "mpls ldp neighbor 10.0.0.2 password 0 <redacted>"),
    ("ldp-password", "ios", "mpls ldp neighbor vrf RED 10.0.0.3 password LdpNbr4",
     "mpls ldp neighbor vrf RED 10.0.0.3 password <redacted>"),
    ("ospfv3-ipsec-auth-key", "ios", "interface Gi0/1\n ipv6 ospf authentication ipsec spi 500 sha1 1234567890ABCDEF1234567890ABCDEF12345678",
     "interface Gi0/1\n ipv6 ospf authentication ipsec spi 500 sha1 <redacted>"),
    ("ospfv3-ipsec-auth-key", "ios", " ospfv3 authentication ipsec spi 256 md5 0 1234567890ABCDEF1234567890ABCDEF",
     " ospfv3 authentication ipsec spi 256 md5 0 <redacted>"),
    ("ospfv3-ipsec-auth-key", "ios", " area 1 authentication ipsec spi 500 md5 1234567890ABCDEF1234567890ABCDEF",
     " area 1 authentication ipsec spi 500 md5 <redacted>"),
    ("ospfv3-ipsec-auth-key", "eos", "   ospfv3 authentication ipsec spi 3456 sha1 passphrase 0 EosOspf3Pp",
     "   ospfv3 authentication ipsec spi 3456 sha1 passphrase 0 <redacted>"),
    ("ospfv3-ipsec-auth-key", "iosxr", "router ospfv3 1\n area 0\n  authentication ipsec spi 256 sha1 1234567890ABCDEF1234567890ABCDEF12345678",
     "router ospfv3 1\n area 0\n  authentication ipsec spi 256 sha1 <redacted>"),
    ("ospfv3-ipsec-esp-key", "ios",
     " ipv6 ospf encryption ipsec spi 1001 esp aes-cbc 128 ABCDEF0123456789ABCDEF0123456789 sha1 1234567890ABCDEF1234567890ABCDEF12345678",
     " ipv6 ospf encryption ipsec spi 1001 esp aes-cbc 128 <redacted> sha1 <redacted>"),
    ("ospfv3-ipsec-esp-key", "iosxr",
     "  encryption ipsec spi 256 esp 3des clear 123456789A123456789A123456789A123456789A123456 authentication sha1 clear 1234567890ABCDEF1234567890ABCDEF12345678",
     "  encryption ipsec spi 256 esp 3des clear <redacted> authentication sha1 clear <redacted>"),
    ("vtp-password", "ios", "vtp password VtpPass1", "vtp password <redacted>"),
    ("vtp-password", "nxos", "vtp password VtpPass2 hidden", "vtp password <redacted> hidden"),
    ("wpa-passphrase", "ios", "  wpa-passphrase WlanPass1", "  wpa-passphrase <redacted>"),
    ("junos-sa-key", "junos", "set security ipsec security-association sa1 manual authentication algorithm hmac-sha1-96 key ascii-text JunSaKey1",
     "set security ipsec security-association sa1 manual authentication algorithm hmac-sha1-96 key ascii-text <redacted>"),
    ("junos-secret", "junos", "set system login user ops authentication plain-text-password-value JunPlain1",
     "set system login user ops authentication plain-text-password-value <redacted>"),
    ("prose-credential", "ios", "banner motd ^C\nGuest Wi-Fi password: BannerWifi1\nThe SNMP community is BannerComm2\n^C",
     "banner motd ^C\nGuest Wi-Fi password: <redacted>\nThe SNMP community is <redacted>\n^C"),
    ("prose-credential", "ios", "Login failed for ops, password=Hunter2Pw from 10.0.0.9", "Login failed for ops, password=<redacted> from 10.0.0.9"),
    # from the command references: IOS-XE, IOS-XR, EOS and Junos forms no earlier case named
    ("ntp-key", "iosxr", "ntp authentication-key 1 md5 encrypted 0822455D0A16", "ntp authentication-key 1 md5 encrypted <redacted>"),
    ("ikev2-profile-psk", "ios", "crypto ikev2 profile P\n authentication local pre-share key 0 IkeLocal1",
     "crypto ikev2 profile P\n authentication local pre-share key 0 <redacted>"),
    ("ikev2-profile-psk", "ios", "crypto ikev2 profile P\n authentication remote pre-share key IkeRemote2",
     "crypto ikev2 profile P\n authentication remote pre-share key <redacted>"),
    ("rsvp-auth-key", "ios", "interface Gi0/1\n ip rsvp authentication key 0 RsvpKey1", "interface Gi0/1\n ip rsvp authentication key 0 <redacted>"),
    ("xr-vrrp-text-auth", "iosxr", "router vrrp\n interface Gi0/0/0/0\n  address-family ipv4\n   vrrp 1\n    text-authentication XrVrrp1",
     "router vrrp\n interface Gi0/0/0/0\n  address-family ipv4\n   vrrp 1\n    text-authentication <redacted>"),
    ("xr-hsrp-auth", "iosxr", "router hsrp\n interface Gi0/0/0/0\n  address-family ipv4\n   hsrp 1\n    authentication XrHsrp1",
     "router hsrp\n interface Gi0/0/0/0\n  address-family ipv4\n   hsrp 1\n    authentication <redacted>"),
    ("cts-sxp-password", "ios", "cts sxp default password CtsSxp1", "cts sxp default password <redacted>"),
    ("l2tp-tunnel-password", "ios", "vpdn-group 1\n l2tp tunnel password L2tpTun1", "vpdn-group 1\n l2tp tunnel password <redacted>"),
    ("passphrase", "eos", "dot1x\n   supplicant profile P\n      identity u\n      passphrase 7 EosDot1xPp1",
     "dot1x\n   supplicant profile P\n      identity u\n      passphrase 7 <redacted>"),
    ("isakmp-group-key", "ios", "crypto isakmp client configuration group VPN\n key 0 IsaGroup1\n pool VPN-POOL",
     "crypto isakmp client configuration group VPN\n key 0 <redacted>\n pool VPN-POOL"),
    ("junos-secret", "junos", "set protocols ospf area 0 interface ge-0/0/0 authentication simple-password JunSimple1",
     "set protocols ospf area 0 interface ge-0/0/0 authentication simple-password <redacted>"),
    ("junos-secret", "junos", "set access profile P client C chap-secret JunChap1", "set access profile P client C chap-secret <redacted>"),
    ("junos-secret", "junos", "set interfaces pp0 unit 0 ppp-options pap password JunPap1",
     "set interfaces pp0 unit 0 ppp-options pap password <redacted>"),
    ("junos-secret", "junos", "set interfaces pp0 unit 0 ppp-options pap local-password JunPapLocal1",
     "set interfaces pp0 unit 0 ppp-options pap local-password <redacted>"),
    ("junos-secret", "junos", "set interfaces pp0 unit 0 ppp-options pap default-password JunPapDefault1",
     "set interfaces pp0 unit 0 ppp-options pap default-password <redacted>"),
    ("junos-secret", "junos", "set access profile P client C pap-password JunPapPw1", "set access profile P client C pap-password <redacted>"),
    ("junos-secret", "junos", "set access profile P client C firewall-user password JunFwUser1",
     "set access profile P client C firewall-user password <redacted>"),
    ("junos-mobile-ip-key", "junos", "set services mobile-ip peer ip-address 10.0.0.1 spi 256 key ascii JunMip1",
     "set services mobile-ip peer ip-address 10.0.0.1 spi 256 key ascii <redacted>"),
    ("junos-secret", "junos", "set security macsec connectivity-association CA pre-shared-key ckn abcd1234 cak JunCak1",
     "set security macsec connectivity-association CA pre-shared-key ckn abcd1234 cak <redacted>"),
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
    # policy knobs and names that sit where a secret could (EOS, NX-OS, IOS-XR, Junos)
    "   password encryption-key common",
    "   password policy AVD_POLICY",
    "no password strength-check",
    "   secret hash md5",
    "   neighbor 192.168.255.1 password shared-secret profile profile1 algorithm aes-128-cmac-96",
    "  password inheritance-disable",
    "  lsp-password keychain ISIS-KEYS",
    " standby 1 authentication md5 key-chain HSRP-KEYS",
    "username network passphrase lifetime 12345 warntime 123 gracetime 12",
    "no enable password level 4",
    "ntp server 10.1.1.10 key 1",
    " ignore server-key",
    "set system ntp authentication-key 1 type md5",
    "set system login password minimum-length 8",
    "set system authentication-order [ password radius ]",
    "    community GOLD members 65000:100;",
    "    authentication-order [ password radius ];",
    "   key controller",
    "  key 1",
    "set security ike proposal P authentication-method pre-shared-keys",
    "snmp-server group public v3 priv read v1",
    "   exec /usr/bin/TerminAttr -cvauth=token,/persist/secure/token -cvvrf=mgt",
    "mpls ldp password required",
    "mpls ldp password required for LDP-ACL",
    "mpls ldp password option 1 for LDP-ACL key-chain LDP-KC",
    "mpls ldp password rollover duration 10",
    "vtp mode transparent",
    " ipv6 ospf authentication null",
    "Your password is required to continue; the password is not shared.",
    "crypto key pubkey-chain rsa",
    "   key-hash ssh-rsa 8FB4F858DD7E5AFB372780EC653DB371",
    " authentication local pre-share",
    "    authentication key-chain HSRP-KEYS",
    "tunnel key 12345",
    "set security ike gateway G ike-policy P",
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_form_is_redacted(case: tuple[str, str, str, str]) -> None:
    name, _, raw, expected = case
    assert redact(raw) == expected
    assert name in contains_secret(raw)
    assert contains_secret(expected) == []


def test_every_form_has_a_case() -> None:
    assert {name for name, *_ in CASES} == {p.name for p in secret_patterns()}


def test_patterns_are_data() -> None:
    names = [p.name for p in secret_patterns()]
    assert len(names) == len(set(names))
    assert all("val" in p.regex.groupindex for p in secret_patterns())


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


def test_5000_line_configuration_keeps_every_line() -> None:
    """A large configuration is redacted whole, line for line (its speed: bench/redact_speed.py)."""
    base = (DATA / "hardened-ios.cfg").read_text() + (DATA / "hardened-eos.cfg").read_text()
    text = base * (5000 // len(base.splitlines()) + 1)
    assert len(text.splitlines()) >= 5000
    out = redact(text)
    assert out.count("\n") == text.count("\n")
    assert not contains_secret(out)


# -- structure: blocks, diffs, keys, markers, hostile input ---------------------------------


def test_pem_private_key_body_is_redacted_line_by_line() -> None:
    raw = ("   protocol https certificate\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\n-----END CERTIFICATE-----\nEOF\n"
           "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdefXYZ\nq83+/abcd==\n-----END RSA PRIVATE KEY-----\nEOF\n")
    out = redact(raw)
    assert out.splitlines()[2] == "MIIBszCCAVmgAwIBAgIUZ"  # a certificate is public
    assert out.splitlines()[6:8] == [REDACTED, REDACTED]
    assert out.count("\n") == raw.count("\n")
    assert "pem-private-key" in contains_secret(raw) and contains_secret(out) == []
    assert redact(out) == out


def test_diff_redacted_as_a_diff_keeps_block_context() -> None:
    """Issue 9, finding 5: `+ `/`- ` markers and lost block context must not defeat the redactor."""
    from agents.network.parsers import parse_config
    from agents.tools.config_intake import redact_diff

    startup = ("snmp-server community OLDCOMMUNITY RO\ntacacs server T1\n address ipv4 10.1.1.1\n key 0 OldTacKey\n"
               "line vty 0 4\n password 0 OldVtyPw\n")
    running = ("snmp-server community NEWCOMMUNITY RO\ntacacs server T1\n address ipv4 10.1.1.1\n key 0 NewTacKey\n"
               "line vty 0 4\n password 0 NewVtyPw\nusername bob password 0 hunter2\n")
    diff = list(parse_config("ios", startup).unified_diff(parse_config("ios", running)))
    assert "- snmp-server community OLDCOMMUNITY RO" in diff and "+ username bob password 0 hunter2" in diff
    cleaned = "\n".join(redact_diff(diff))
    for value in ("OLDCOMMUNITY", "NEWCOMMUNITY", "OldTacKey", "NewTacKey", "OldVtyPw", "NewVtyPw", "hunter2"):
        assert value not in cleaned
    assert "+ username bob password 0 <redacted>" in cleaned
    # NAPALM compare_config and Junos `show | compare` put the marker in column 0
    napalm = "tacacs server T1\n-  key 7 0822455D0A16\n+  key 0 Pl41nNew\n"
    assert redact(napalm) == "tacacs server T1\n-  key 7 <redacted>\n+  key 0 <redacted>\n"
    junos = "[edit snmp]\n-   community OldC0mm {\n-       authorization read-only;\n-   }\n+   community NewC0mm;\n"
    assert "C0mm" not in redact(junos)


def test_block_forms_need_their_block() -> None:
    assert redact("key chain K\n key 7\n  key-string 7 0822455D0A16\n") == "key chain K\n key 7\n  key-string 7 <redacted>\n"
    assert redact("policy-options {\n    community GOLD members 65000:100;\n}\n").count(REDACTED) == 0
    # a hundred keys under one block are all found in one pass, not one per pass
    block = "tacacs server T\n" + "".join(f" key 0 K{i:03d}x\n" for i in range(100))
    out = redact(block)
    assert out.count(REDACTED) == 100 and "K0" not in out


def test_well_known_community_is_marked_only_on_request() -> None:
    raw = "snmp-server community public RO\nsnmp-server community Pr1vate RW\nset snmp community private authorization read-only\n"
    assert WELL_KNOWN not in redact(raw)
    marked = redact(raw, mark_well_known=True)
    assert marked.splitlines() == ["snmp-server community <redacted:well-known> RO", "snmp-server community <redacted> RW",
                                   "set snmp community <redacted:well-known> authorization read-only"]
    assert unmark(marked) == redact(raw)
    assert redact(marked) == marked and contains_secret(marked) == []


def test_redaction_failure_withholds_the_text(monkeypatch) -> None:
    from agents.tools import config_intake

    def broken(text: str, **_: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(config_intake, "redact", broken)
    assert config_intake.redact_or_withhold("enable password cisco") == config_intake.WITHHELD
    assert config_intake.redact_diff(["+ enable password cisco"]) == [config_intake.WITHHELD]
    taken = config_intake.take_config({"running": "enable password cisco", "startup": "enable password cisco"})
    assert taken.withheld and "cisco" not in f"{taken.running}{taken.startup}{taken.audit_running}"


_N = 40_000
HOSTILE = {
    "snmp-user auth": "snmp-server user " + "a auth " * (_N // 7),
    "snmp-user priv": "snmp-server user x " + "priv aes " * (_N // 9),
    "username tokens": "username " + "a " * (_N // 2),
    "set tokens": "set " + "a " * (_N // 2),
    "set secret": "set " + "secret " * (_N // 7),
    "open quotes": '"' * _N,
    "quoted words": '"a ' * (_N // 3),
    "crypt ids": "$1$" * (_N // 3),
    "url userinfo": "://a:" * (_N // 5),
    "terminattr": "auth=key," * (_N // 9),
    "block of keys": "tacacs server T\n" + " key 7 0822455D0A16\n" * (_N // 20),
    "deep nesting": "".join(" " * (i % 100) + "a\n" for i in range(400)) + "".join(" " * (i % 100) + "key 7 abc\n" for i in range(400)),
    "pem begins": "-----BEGIN RSA PRIVATE KEY-----\n" * (_N // 32),
    "ldap bind": "bind authenticate root-dn " + "a " * (_N // 2),
    "secret-data spaces": " " * _N + "; ## SECRET-DATA",
    "secret-data quotes": '"a" ' * (_N // 4) + "; ## SECRET-DATA",
    "prompts": "a(b)#" * (_N // 5),
    "diff markers": "- " * (_N // 2),
    "bgp siblings": "router bgp 1\n" + (" neighbor x\n  password 7 abcd\n") * (_N // 30),
    "ipsec spi words": "ipv6 ospf authentication ipsec spi 1 " + "a " * (_N // 2),
    "esp words": "ospfv3 encryption ipsec spi 1 esp aes-cbc 128 " + "sha1 " * (_N // 5),
    "ldp neighbors": "mpls ldp neighbor " + "a " * (_N // 2),
    "prose colons": "password:" * (_N // 9),
    "prose is": "password is " * (_N // 12),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_40kb_input_keeps_its_lines(name: str) -> None:
    text = HOSTILE[name]
    assert len(text) >= 30_000
    out = redact(text)  # that it stays linear is measured by bench/redact_speed.py
    contains_secret(text)
    assert out.count("\n") == text.count("\n")


def test_hostile_prose_is_redacted() -> None:
    line = "we have password 7 0822455D0A16 and snmp-server community s3cr3t RO " * 600
    out = redact_prose(line)
    assert "s3cr3t" not in out and "0822455D0A16" not in out
