"""The independent secret oracle for real-world configurations, shared by the tests and the bench.

Written independently of the redactor (agents/tools/redact.py): a table of secret-bearing line
shapes per platform, deliberately broad, read line by line with the block each line sits in.
tests/unit/test_realworld_secrets.py checks the oracle against NAPALM's and netutils' sanitizers and
the redactor against the oracle; bench/realworld.py counts oracle values that reach any tool output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from tests.harness.paths import ROOT

PLATFORMS = ("ios", "eos", "nxos", "iosxr", "junos")

# A value token: a double-quoted string or a run of non-blanks (a Junos `;` is not part of it).
V = r'(?P<v>"[^"]*"|[^\s;"]+)'
# An optional encryption type or keyword before a value.
T = r"(?:(?:0|3|5|6|7|8|9|8a|sha512|encrypted|clear)\s+)?"
CISCO = ("ios", "eos", "nxos", "iosxr")
ALL = PLATFORMS


@dataclass(frozen=True)
class Shape:
    """A secret-bearing line shape: where the value is, and (optionally) the block it needs."""

    name: str
    platforms: tuple[str, ...]
    line: re.Pattern[str]
    block: re.Pattern[str] | None = None  # an ancestor line must match (searched)
    not_values: frozenset[str] = frozenset()  # words in the value position that are not values


def shape(name: str, platforms: tuple[str, ...], line: str, block: str | None = None, not_values: str = "") -> Shape:
    return Shape(name, platforms, re.compile(line), re.compile(block) if block else None, frozenset(not_values.split()))


SHAPES: tuple[Shape, ...] = (
    # local accounts and privileged access
    shape("enable", CISCO, rf"^enable (?:algorithm-type \S+ )?(?:secret|password)(?: level \d+)? {T}{V}", not_values="level"),
    shape("enable-other", CISCO, rf"^enable (?:read-only-password|super-user-password|telnet password) {V}"),
    shape("boot-secret", CISCO, rf"^boot secret {T}{V}"),
    shape("aaa-root", CISCO, rf"^aaa root secret {T}{V}"),
    shape("username", CISCO, rf"^username \S+ (?:.* )?(?:password|secret) {T}{V}"),
    shape("eos-session-secret", CISCO, rf"^secret \S+ (?:0|7|8a) {V}"),
    shape("child-secret", CISCO, rf"^secret (?!\S+ (?:0|7|8a) ){T}{V}", not_values="hash"),
    shape("child-password", CISCO, rf"^(?:redis )?password {T}{V}",
          not_values="minimum maximum policy encryption encryption-key strength-check inheritance-disable shared-secret"),
    # AAA servers
    shape("aaa-server", CISCO, rf"^(?:tacacs|radius)-server (?:host \S+ (?:.* )?)?key {T}{V}"),
    shape("aaa-block-key", CISCO, rf"^(?:pac )?key {T}{V}", block=r"^(?:tacacs|radius)[ -]server|^aaa group server|^server-private"),
    shape("server-private", CISCO, rf"^server-private \S+ (?:.* )?key {T}{V}"),
    shape("server-key", CISCO, rf"(?:^|\s)server-key {T}{V}"),
    shape("ldap", CISCO, rf"^(?:bind authenticate root-dn|ldap-server host) .* password {T}{V}"),
    # SNMP
    shape("snmp-community", CISCO, rf"^snmp-server community (?:clear |encrypted )?{V}"),
    shape("snmp-community-map", CISCO, rf"^snmp-server (?:mib )?community-map {V}"),
    shape("snmp-host", CISCO, rf"^snmp-server host \S+ (?:vrf \S+ )?(?:informs |traps )?(?:version (?:1|2c) )?(?:encrypted |clear )?{V}",
          not_values="version vrf use-vrf filter-vrf source-interface udp-port informs traps"),
    shape("snmp-vrf-host", CISCO, rf"^host \S+ (?:informs |traps )?(?:version (?:1|2c) )?(?:encrypted |clear )?{V}", block=r"^snmp-server vrf",
          not_values="version informs traps"),
    shape("snmp-user-auth", CISCO, rf"^snmp-server user .* auth \S+ (?:encrypted |clear )?{V}"),
    shape("snmp-user-priv", CISCO, rf"^snmp-server user .* priv (?:(?:3des|des56|des|aes(?: \d+)?|aes-\d+) )?(?:encrypted |clear )?{V}"),
    # VPN
    shape("isakmp", CISCO, rf"^crypto isakmp key (?:[06] )?{V}"),
    shape("keyring-psk", CISCO, rf"^pre-shared-key (?:address|hostname) .* key (?:[06] )?{V}"),
    shape("ikev2-psk", CISCO, rf"^pre-shared-key (?:local |remote )?(?:[06] )?{V}", not_values="address hostname"),
    shape("shared-key", CISCO, rf"^shared-key {T}{V}"),
    shape("macsec", CISCO, rf"^key \S+ [07] {V}", block=r"^mac security"),
    # routing protocols, first-hop redundancy
    shape("ospf-md5", CISCO, rf"(?:^|\s)message-digest-key \d+ \S+ {T}{V}"),
    shape("auth-key", CISCO, rf"(?:^|\s)authentication-key (?!\d+ (?:md5|sha\S*|hmac\S*|cmac\S*) ){T}{V}"),
    shape("ntp-key", CISCO, rf"^(?:ntp )?authentication-key \d+ \S+ (?:(?:0|7|8a|encrypted) )?{V}"),
    shape("bgp", CISCO, rf"^neighbor \S+ password {T}{V}", not_values="shared-secret inheritance-disable"),
    shape("isis", CISCO, rf"(?:^|\s)authentication key {T}{V}"),
    shape("isis-key-id", CISCO, rf"authentication key-id \d+ algorithm \S+ (?:rfc-5310 )?key {T}{V}"),
    shape("isis-password", CISCO, rf"^(?:isis password|area-password|domain-password) {T}{V}"),
    shape("xr-isis-password", CISCO, rf"^(?:lsp|hello)-password (?:hmac-md5 |text )?(?:encrypted |clear )?{V}", not_values="keychain"),
    shape("key-string", CISCO, rf"(?:^|\s)key-string (?:password |clear )?{T}{V}"),
    shape("fhrp-text", CISCO, rf"(?:^|\s)authentication text {V}"),
    shape("hsrp-plain", CISCO, rf"^standby (?:\d+ )?authentication {V}", not_values="text md5"),
    shape("misc-auth", CISCO, rf"(?:ip nhrp authentication|hello-authentication ah-md5 {T}|hmac-sha-256 {T}|wpa-psk ascii {T}) ?{V}"),
    shape("misc-password", CISCO, rf"^(?:ppp (?:chap|pap) (?:.* )?password|ip (?:ftp|http client) password) {T}{V}"),
    # anywhere on a line
    shape("type-7", CISCO, rf"(?:^|\s)(?:password|secret|key) 7 {V}"),
    shape("cv-auth-key", ALL, r"auth=key,(?P<v>[^\s,]+)"),
    shape("url-password", ALL, r"://[^/\s:@]+:(?P<v>[^/\s@]+)@"),
    shape("crypt", ALL, r'(?:^|[\s"])(?P<v>\$(?:1|5|6|8|9)\$[^\s";]+)'),
    # Junos, curly and set style
    shape("junos-keyword", ("junos",),
          rf"(?:^|\s)(?:encrypted-password|(?:hello-)?authentication-key(?! \d+ (?:type|value) )|secret|community-name|authentication-password|privacy-password"
          rf"|pre-shared-key (?:ascii-text|hexadecimal)|md5 \d+ key|authentication-key \d+ value) {V}"),
    shape("junos-set-community", ("junos",), rf"^set snmp community {V}"),
    shape("junos-community", ("junos",), rf"^community {V}", block=r"^snmp \{"),
    shape("junos-secret-data", ("junos",), rf"{V};\s*## SECRET-DATA"),
)

# Placeholders already in the published data, and anonymised values too generic to search for.
_NOT_SEARCHABLE = re.compile(r"^(?:<[^>]*>|\*+|x+|%\w+%)$", re.IGNORECASE)


@dataclass(frozen=True)
class Secret:
    line: int  # 0-based
    start: int  # the value's span in the line
    end: int
    value: str
    shape: str


_LEAD = re.compile(r"^\s*(?:[+-]\s+)?(?:\S+#\s*)?(?:no\s+)?")


def _normalised(line: str) -> str:
    """The command of a line: no indentation, diff marker, prompt, `no ` or description."""
    body = line.rstrip("\r")[_LEAD.match(line).end() :]
    return "" if re.match(r"(?:description|remark|banner)\s", body) else body


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def oracle(platform: str, config: str) -> list[Secret]:
    """Every secret value in `config`, by the shapes above, with the block each line sits in."""
    found: list[Secret] = []
    stack: list[tuple[int, str]] = []
    for number, raw in enumerate(config.split("\n")):
        line = _normalised(raw)
        offset = _LEAD.match(raw).end()
        if not line or line.startswith(("!", "#")):
            continue
        indent = _indent(raw)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        ancestors = [text for _, text in stack]
        stack.append((indent, line))
        for s in SHAPES:
            if platform not in s.platforms:
                continue
            if s.block is not None and not any(s.block.search(a) for a in ancestors):
                continue
            for m in s.line.finditer(line):
                value = m.group("v").strip('"')
                if value and value not in s.not_values:
                    found.append(Secret(number, offset + m.start("v"), offset + m.end("v"), value, s.name))
    return found


# Words of the bot's own texts (rule titles, prompts): a value such as `password` (EOS IS-IS keys in
# the AVD examples are literally `password`) cannot be told apart from them in an answer.
_AGENTS = ROOT / "agents"
# The specialists' prompts and scopes only: their routing keywords are not text the bot writes.
_PROMPTS = [" ".join((spec.get("scope", ""), spec.get("system_prompt", "")))
            for spec in (yaml.safe_load(p.read_text()) for p in sorted(_AGENTS.glob("specialists/*/spec.yaml")))]
_BOT_WORDS = {
    word
    for text in [(_AGENTS / "tools/audit_rules.yaml").read_text(), (_AGENTS / "tools/registry.py").read_text(), *_PROMPTS]
    for word in re.findall(r"[a-z]+", text)
}


def outside_secrets(config: str, secrets: list[Secret]) -> str:
    """The config with every secret value blanked out: what may legitimately be shown."""
    lines = config.split("\n")
    hidden: dict[int, set[int]] = {}
    for secret in secrets:
        hidden.setdefault(secret.line, set()).update(range(secret.start, secret.end))
    for number, positions in hidden.items():
        lines[number] = "".join("\0" if i in positions else ch for i, ch in enumerate(lines[number]))
    return "\n".join(lines)


def searchable(config: str, secrets: list[Secret], shown: str | None = None) -> set[str]:
    """Values worth searching outputs for: not placeholders, not too short, not words of the bot's
    own texts, and not written anywhere in what may be shown (`username cisco password 0 cisco`,
    or a community named like a user, would be found where it is no secret)."""
    shown = outside_secrets(config, secrets) if shown is None else shown
    return {
        s.value
        for s in secrets
        if len(s.value) >= 4 and s.value not in _BOT_WORDS and not _NOT_SEARCHABLE.match(s.value) and s.value not in shown
    }
