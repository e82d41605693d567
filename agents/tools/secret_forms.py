"""The secret-bearing configuration forms of every platform the bot reads, as data.

Why a table: a leak is almost always a form nobody listed (HSRP text keys, NX-OS `priv 0x...`,
Junos `encrypted-password`), so adding one must be one line here, not a change to the engine in
`redact.py`. Each form is a regex *body* that ends right before the secret value; the engine
adds the shared line lead (indentation, a diff marker, an echoed prompt, `no `) and the value.

Kinds of form:
- `LINE_FORMS`: a command recognised on its own line, anywhere (IOS/IOS-XE, EOS, NX-OS, IOS-XR,
  and Junos both as `set ...` lines and as curly-brace statements).
- `SCOPED_FORMS`: a child line that is only secret under certain blocks (`key 7 ...` under
  `tacacs server`, `community x {` under Junos `snmp {`); the scope regex must match one of the
  line's ancestors (found by indentation, so hier_config diffs and Junos braces work too).
- `WELL_KNOWN_FORMS`: forms whose value may be a well-known default (`public`, `private`) that
  an audit rule must still see; the engine can mark those with a distinct placeholder.

Every building block is linear: possessive or atomic where a token is consumed, and lazy scans
only over one line (`[^\\n]*?`), so a 40 KB hostile line costs one pass, not a combinatorial one.
"""

from __future__ import annotations

# Optional encryption type in front of a value: 0 clear, 3 (NX-OS 3DES), 5/8/9 hashes, 6 AES,
# 7 Vigenere, `sha512` (EOS), `8a` (EOS AES-256-GCM), `encrypted`/`clear`/`password` (IOS-XR).
TYPE = r"(?:[ \t]+(?:[0-9]|sha512|8a|encrypted|clear))?"
_XR_TYPE = r"(?:(?:encrypted|clear)[ \t]+)?"


def _junos(keyword: str) -> str:
    """A Junos statement: `keyword` anywhere in a `set` line, or a curly statement ending in `;`."""
    return (
        rf"(?:set[ \t]++(?:[^ \t\r\n]++[ \t]++)*?(?:{keyword})[ \t]+"
        rf"|(?:{keyword})[ \t]+(?=\"[^\"\r\n]*+\";|[^ \t\r\n\"]++;))"
    )

# Words that follow `password` without being a password (policy knobs, EOS/NX-OS/IOS-XR/Junos).
_NOT_A_PASSWORD = (
    r"(?!(?:minimum|maximum|policy|encryption|encryption-key|strength-check|inheritance-disable|secure-mode"
    r"|reuse|history|lifetime|complexity|change-type|format|prompt|required|shared-secret|\{)(?![^ \t\r\n]))"
)
# `authentication-key 1 md5 ...` / `authentication-key 1 type md5` / `... 1 value X`: a key id, not a key.
_KEY_ID_FOLLOWS = r"(?![ \t]+\d+[ \t]+(?:md5|sha\S*|cmac\S*|hmac\S*|type|value)(?![^ \t\r\n]))"
# Keywords of `snmp-server host` that sit where a community could (NX-OS `use-vrf`, `source-interface`).
_NOT_A_COMMUNITY = r"(?!(?:version|vrf|use-vrf|filter-vrf|source-interface|udp-port|informs|traps)(?![^ \t\r\n]))"
_FHRP = r"(?:(?:standby|vrrp|glbp)[ \t]+\d+[ \t]+(?:peer[ \t]+)?)?"

# OSPFv3 IPsec (IOS/IOS-XE `ipv6 ospf`/`ospfv3`, area-wide `area N`, EOS `ospfv3 ... passphrase`):
# the SPI and algorithm names are kept, the authentication key and the ESP key are values.
# IOS-XR writes the same under `router ospfv3` / `area` without a prefix.
_OSPF3_IPSEC = (r"(?:(?:ipv6[ \t]+ospf|ospfv3|area[ \t]+\S+)[ \t]+)?(?:authentication|encryption)[ \t]+ipsec[ \t]+spi[ \t]+\d+[ \t]+")
_IPSEC_AUTH_ALG = r"(?:md5|sha-?1|sha-?256|sha-?384|sha-?512)"
_IPSEC_ESP = r"esp[ \t]+(?:3des|des|aes-cbc(?:[ \t]+\d+)?|aes-\d+-cbc|aes(?:[ \t]+\d+)?)"

# (name, body). Order matters where two bodies could claim one line: the first that matches wins.
LINE_FORMS: tuple[tuple[str, str], ...] = (
    # -- local credentials ----------------------------------------------------------------------
    ("enable-secret", r"enable(?:[ \t]+algorithm-type[ \t]+\S+)?[ \t]+secret(?:[ \t]+level[ \t]+\d+)?" + TYPE + r"[ \t]+"),
    ("enable-password", r"enable[ \t]+password(?:[ \t]+level[ \t]+\d+)?" + TYPE + r"[ \t]+(?!level[ \t])"),
    ("enable-other-password",
     r"enable[ \t]+(?:read-only-password|super-user-password|port-config-password|telnet[ \t]+password)" + TYPE + r"[ \t]+"),
    ("boot-secret", r"boot[ \t]+secret" + TYPE + r"[ \t]+"),
    ("username-secret", r"username[ \t]+\S++(?:[ \t]+(?!secret[ \t])\S++)*+[ \t]+secret" + TYPE + r"[ \t]+"),
    ("username-password", r"username[ \t]+\S++(?:[ \t]+(?!password[ \t])\S++)*+[ \t]+password" + TYPE + r"[ \t]+"),
    ("aaa-root-secret", r"aaa[ \t]+root[ \t]+secret" + TYPE + r"[ \t]+"),
    ("shared-secret-profile-secret", r"secret[ \t]+\S+[ \t]+(?:0|7|8a)[ \t]+"),
    ("child-secret", r"secret" + TYPE + r"[ \t]+(?!hash[ \t])"),
    ("child-password", r"(?:redis[ \t]+)?password" + TYPE + r"[ \t]+" + _NOT_A_PASSWORD),
    # -- AAA servers ----------------------------------------------------------------------------
    ("aaa-server-key", r"(?:tacacs|radius)-server[ \t]+(?:host[ \t]+[^\n]*?[ \t]+)?key" + TYPE + r"[ \t]+"),
    ("server-private-key", r"server-private[ \t][^\n]*?[ \t]key" + TYPE + r"[ \t]+"),
    ("radius-client-server-key", r"client[ \t]+\S+(?:[ \t]+vrf[ \t]+\S+)?[ \t]+server-key" + TYPE + r"[ \t]+"),
    ("server-key", r"server-key" + TYPE + r"[ \t]+"),
    ("ldap-bind-password", r"bind[ \t]+authenticate[ \t]+root-dn[ \t][^\n]*?[ \t]password" + TYPE + r"[ \t]+"),
    ("ldap-server-password", r"ldap-server[ \t]+host[ \t][^\n]*?[ \t]password" + TYPE + r"[ \t]+"),
    # -- SNMP -----------------------------------------------------------------------------------
    ("snmp-community", r"snmp-server[ \t]+community[ \t]+" + _XR_TYPE),
    ("snmp-community-map", r"snmp-server[ \t]+(?:mib[ \t]+)?community-map[ \t]+"),
    (
        "snmp-host-community",
        r"snmp-server[ \t]+host[ \t]+\S+(?:[ \t]+vrf[ \t]+\S+)?(?:[ \t]+(?:informs|traps))?"
        r"(?:[ \t]+version[ \t]+(?:1|2c))?[ \t]+" + _NOT_A_COMMUNITY + _XR_TYPE,
    ),
    ("snmp-user-auth", r"snmp-server[ \t]+user[ \t][^\n]*?[ \t]auth[ \t]+\S+[ \t]+" + _XR_TYPE),
    (
        "snmp-user-priv",
        r"snmp-server[ \t]+user[ \t][^\n]*?[ \t]priv[ \t]+"
        r"(?>(?:(?:3des|des56|des|aes(?:[ \t]+(?:128|192|256))?|aes-?(?:128|192|256))[ \t]+)?)" + _XR_TYPE,
    ),
    # -- VPN ------------------------------------------------------------------------------------
    ("isakmp-key", r"crypto[ \t]+isakmp[ \t]+key(?:[ \t]+[06])?[ \t]+"),
    ("keyring-psk-address", r"pre-shared-key[ \t]+(?:address|hostname)[ \t][^\n]*?[ \t]key(?:[ \t]+[06])?[ \t]+"),
    (
        "ikev2-psk",
        r"pre-shared-key(?:[ \t]+(?:local|remote))?(?:[ \t]+[06])?[ \t]+"
        r"(?!(?:address|hostname|local|remote|ascii-text|hexadecimal)(?![^ \t\r\n]))",
    ),
    ("eos-shared-key", r"shared-key" + TYPE + r"[ \t]+"),
    # -- routing protocols and first-hop redundancy ---------------------------------------------
    ("ospf-md5-key", r"(?:(?:ip|ipv6)[ \t]+ospf[ \t]+)?message-digest-key[ \t]+\d+[ \t]+(?:md5|sha\d*)" + TYPE + r"[ \t]+"),
    ("ospf-auth-key", r"(?:ip|ipv6)[ \t]+ospf[ \t]+authentication-key" + TYPE + r"[ \t]+"),
    ("bgp-neighbor-password",
     r"neighbor[ \t]+\S+[ \t]+password" + TYPE + r"[ \t]+(?!(?:shared-secret|inheritance-disable)(?![^ \t\r\n]))"),
    ("isis-auth-key", r"(?:isis[ \t]+)?authentication[ \t]+key" + TYPE + r"[ \t]+"),
    ("isis-auth-key-id",
     r"(?:isis[ \t]+)?authentication[ \t]+key-id[ \t]+\d+[ \t]+algorithm[ \t]+\S+(?:[ \t]+rfc-5310)?[ \t]+key" + TYPE + r"[ \t]+"),
    ("isis-password", r"(?:isis[ \t]+password|area-password|domain-password)" + TYPE + r"[ \t]+"),
    ("xr-isis-password", r"(?:lsp|hello)-password[ \t]+(?!keychain[ \t])(?:(?:hmac-md5|text)[ \t]+)?" + _XR_TYPE),
    ("key-string", r"key-string(?:[ \t]+(?:password|clear|encrypted))?" + TYPE + r"[ \t]+"),
    ("fhrp-text-auth", _FHRP + r"authentication[ \t]+text[ \t]+"),
    ("fhrp-md5-key-string", _FHRP + r"authentication[ \t]+(?:md5|ietf-md5)[ \t]+key-string" + TYPE + r"[ \t]+"),
    ("hsrp-plain-auth", r"standby[ \t]+(?:\d+[ \t]+)?authentication[ \t]+(?!(?:text|md5)(?![^ \t\r\n]))"),
    # `mpls ldp password required|option|rollover` are policy; `fallback` and per-neighbour are keys.
    ("ldp-password",
     r"mpls[ \t]+ldp[ \t]+(?:neighbor[ \t]+(?:vrf[ \t]+\S+[ \t]+)?\S+[ \t]+)?password(?:[ \t]+fallback)?" + TYPE
     + r"[ \t]+(?!(?:required|option|rollover|fallback)(?![^ \t\r\n]))"),
    ("ospfv3-ipsec-auth-key",
     _OSPF3_IPSEC + r"(?:[^\n]*?[ \t])?" + _IPSEC_AUTH_ALG + r"(?:[ \t]+passphrase)?" + TYPE + r"[ \t]+"),
    ("ospfv3-ipsec-esp-key",
     _OSPF3_IPSEC + _IPSEC_ESP + r"(?:[ \t]+passphrase)?" + TYPE + r"[ \t]+(?!" + _IPSEC_AUTH_ALG + r"(?![^ \t\r\n]))"),
    ("vtp-password", r"vtp[ \t]+password" + TYPE + r"[ \t]+"),
    ("wpa-passphrase", r"(?:wpa-passphrase|wpa2?-psk)(?:[ \t]+(?:ascii|hex))?" + TYPE + r"[ \t]+"),
    ("ikev2-profile-psk", r"authentication[ \t]+(?:local|remote)[ \t]+pre-share[ \t]+key(?:[ \t]+[06])?[ \t]+"),
    ("rsvp-auth-key", r"ip[ \t]+rsvp[ \t]+authentication[ \t]+key" + TYPE + r"[ \t]+"),
    ("xr-vrrp-text-auth", r"text-authentication[ \t]+"),
    ("cts-sxp-password", r"cts[ \t]+sxp[ \t]+default[ \t]+password" + TYPE + r"[ \t]+"),
    ("l2tp-tunnel-password", r"l2tp[ \t]+tunnel[ \t]+password" + TYPE + r"[ \t]+"),
    # EOS dot1x supplicant profiles; NX-OS `username x passphrase lifetime ...` is a policy, not a key
    ("passphrase", r"passphrase(?:[ \t]+(?:0|7|8a))?[ \t]+(?!(?:lifetime|warntime|gracetime)(?![^ \t\r\n]))"),
    ("eigrp-hmac-key", r"authentication[ \t]+mode[ \t]+hmac-sha-256" + TYPE + r"[ \t]+"),
    ("nhrp-auth", r"ip[ \t]+nhrp[ \t]+authentication[ \t]+"),
    ("pim-hello-auth", r"ip[ \t]+pim[ \t]+hello-authentication[ \t]+ah-md5" + TYPE + r"[ \t]+"),
    ("bfd-auth-key", r"bfd[ \t]+authentication[ \t]+\S+[ \t]+key-id[ \t]+\d+[ \t]+(?:hex-)?key[ \t]+"),
    # -- services and the rest ------------------------------------------------------------------
    ("ntp-key", r"ntp[ \t]+authentication-key[ \t]+\d+[ \t]+\S+(?:[ \t]+(?:0|7|8a|encrypted|clear))?[ \t]+"),
    ("ntp-child-key",
     r"authentication-key[ \t]+\d+[ \t]+(?:md5|sha\S*|cmac\S*|hmac\S*)(?:[ \t]+(?:0|7|8a|encrypted|clear))?[ \t]+"),
    ("wpa-psk", r"(?:wpa-psk|security[ \t]+wpa[ \t]+psk[ \t]+set-key)[ \t]+(?:ascii|hex)" + TYPE + r"[ \t]+"),
    ("ppp-password", r"ppp[ \t]+(?:chap|pap)[ \t]+(?:sent-username[ \t]+\S+[ \t]+)?password" + TYPE + r"[ \t]+"),
    ("ip-client-password", r"ip[ \t]+(?:ftp|http[ \t]+client)[ \t]+password" + TYPE + r"[ \t]+"),
    ("config-key", r"key[ \t]+config-key[ \t]+password-encrypt[ \t]+"),
    # -- Junos: curly-brace statements and `set` lines ------------------------------------------
    ("junos-set-snmp-community", r"set[ \t]+snmp[ \t]+community[ \t]+"),
    ("junos-ntp-key-value", _junos(r"authentication-key[ \t]+\d+[ \t]+(?:type[ \t]+\S+[ \t]+)?value")),
    ("junos-ospf-md5-key", _junos(r"md5[ \t]+\d+[ \t]+key")),
    ("junos-pre-shared-key", _junos(r"pre-shared-key[ \t]+(?:ascii-text|hexadecimal)")),
    # manual IPsec SAs (OSPFv3 authentication, `security ipsec security-association ... manual`)
    # Junos' secret-control hierarchy list (access privilege bits): mobile-ip SA keys, `key (hex | ascii)`
    ("junos-mobile-ip-key", _junos(r"key[ \t]+(?:hex|ascii)")),
    ("junos-sa-key", _junos(r"(?:authentication|encryption)[ \t]+(?:algorithm[ \t]+\S+[ \t]+)?key[ \t]+(?:ascii-text|hexadecimal)")),
    (
        "junos-secret",
        _junos(
            r"encrypted-password|(?:hello-)?authentication-key" + _KEY_ID_FOLLOWS
            + r"|authentication-password|privacy-password|privacy-key|community-name|shared-secret|secret"
            + r"|plain-text-password-value|simple-password|chap-secret|default-chap-secret|default-pap-password|cak"
            + r"|pap[ \t]+password|pap-password|default-password|local-password|firewall-user[ \t]+password"
        ),
    ),
    ("authentication-key", r"authentication-key" + _KEY_ID_FOLLOWS + TYPE + r"[ \t]+"),
)

# (name, child body, scope): the child is secret only under an ancestor line matching scope.
SCOPED_FORMS: tuple[tuple[str, str, str], ...] = (
    ("line-password", r"password" + TYPE + r"[ \t]+", r"line[ \t]"),
    (
        "aaa-server-block-key",
        r"(?:pac[ \t]+)?key" + TYPE + r"[ \t]+",
        r"(?:tacacs|radius)(?:[ \t]+|-)server|aaa[ \t]+group[ \t]+server|server-private",
    ),
    ("macsec-key", r"key[ \t]+\S+[ \t]+(?:0|7)[ \t]+", r"mac[ \t]+security"),
    (
        "snmp-vrf-host-community",
        r"host[ \t]+\S+(?:[ \t]+(?:informs|traps))?(?:[ \t]+version[ \t]+(?:1|2c))?[ \t]+" + _NOT_A_COMMUNITY + _XR_TYPE,
        r"snmp-server[ \t]+vrf",
    ),
    ("junos-snmp-community", r"community[ \t]+", r"snmp[ \t]*\{|\[edit[ \t]+snmp\]"),
    ("isakmp-group-key", r"key(?:[ \t]+[06])?[ \t]+", r"crypto[ \t]+isakmp[ \t]+client[ \t]+configuration[ \t]+group"),
    # IOS-XR `router hsrp` groups: `authentication <string>` (md5/text/key-chain are other forms)
    ("xr-hsrp-auth", r"authentication[ \t]+(?!(?:md5|text|key-chain)(?![^ \t\r\n]))", r"hsrp[ \t]+\d+"),
)

# Community forms whose value may be a well-known default the audit must still recognise.
WELL_KNOWN_FORMS = frozenset(
    {"snmp-community", "snmp-host-community", "snmp-vrf-host-community", "junos-set-snmp-community", "junos-snmp-community"}
)
WELL_KNOWN_VALUES = frozenset({"public", "private"})
