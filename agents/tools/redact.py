"""Remove secret values from Cisco IOS/IOS-XE and Arista EOS configuration and CLI text.

Why this exists: every piece of device text the bot shows (chat messages, audit evidence,
LLM prompts, logs) must be free of credentials, yet an engineer still needs to read the line
to understand a finding. So `redact()` replaces only the secret VALUE with `REDACTED` and keeps
the line, its keywords, its ACL names and its trailing options:

    snmp-server community s3cr3t RO SNMP-RO   ->  snmp-server community <redacted> RO SNMP-RO
    username admin privilege 15 password 7 0822  ->  username admin privilege 15 password 7 <redacted>

Design notes:
- Each form is a command prefix followed by a value group; everything but the value is kept.
  `SECRET_PATTERNS` holds every form compiled on its own (name + regex, with a `val` group) for
  tests and `contains_secret`; `redact` runs all command forms as ONE precompiled alternation
  behind a shared, atomic line lead, so each line is examined once per pass. Two literal-led
  catch-alls (any `password|secret|key 7 <value>`, any `$1$/$5$/$6$/$8$/$9$/$14$` hash) follow.
  A 5,000-line config takes well under 50 ms.
- A value is one whitespace-free token, matched possessively, that is neither the marker itself
  nor an angle-bracket placeholder such as `<community>` (runbooks and remediation hints use
  those), and that is not followed by a marker or placeholder. The last condition makes a type
  digit such as the `9` in `enable secret 9 <redacted>` ineligible, which is what makes
  redaction idempotent.
- Forms that are only secret inside a block (` key ...` under `tacacs server`, ` password ...`
  under `line vty`) match from the block header down, so a key-chain ` key 1` is never touched.
- Only the value is ever replaced and a value never contains whitespace, so line count and
  line endings (`\\n` or `\\r\\n`) are preserved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["REDACTED", "SECRET_PATTERNS", "SecretPattern", "contains_secret", "redact"]

REDACTED = "<redacted>"

# Start of a command line: optional indentation, an optional echoed prompt
# (`edge-rtr-01(config)#`), and an optional `no ` (a removal still names the old value).
# Atomic, so a line that matches no form is rejected after one look at its first word.
_LEAD = r"^(?>[ \t]*+(?:[\w.-]++(?:\([\w-]+\))?#[ \t]*+)?(?:no[ \t]++)?)"
# A token that is a placeholder (`<community>`) or the marker itself, never a real value.
_PLACEHOLDER = r"<[\w.:-]*>(?![^ \t\r\n])"
# Optional encryption type in front of a value: 0 clear, 5/8/9 hashes, 6 AES, 7 Vigenere.
_TYPE = r"(?:[ \t]+(?:[0-9]|sha512|8a))?"
# Lines an operator writes free text into: never treated as credentials by the catch-all.
_FREE_TEXT = re.compile(r"[ \t]*(?:description|remark|alias|banner)[ \t]")


def _val(group: str) -> str:
    """The value regex (see module docstring for why each condition is there)."""
    return rf"(?P<{group}>(?!{_PLACEHOLDER})[^ \t\r\n]++)(?![ \t]+{_PLACEHOLDER})"


@dataclass(frozen=True, slots=True)
class SecretPattern:
    """One secret form: a stable name (reported by `contains_secret`) and its compiled regex.

    The regex's `val` group is the secret; everything else in the match is kept.
    """

    name: str
    regex: re.Pattern[str]


def _block(header: str, inner: str) -> str:
    """Body of a form that is only secret inside a block opened by a top-level `header` line.

    The match spans the header and any indented lines before the secret line, so it needs the
    block context; a block with several such lines is finished by the next redaction pass.
    """
    return rf"{header}[^\n]*\n(?:[ \t]+[^\n]*\n)*?[ \t]+(?:no[ \t]+)?{inner}"


# Command forms: (name, body). Each body follows `_LEAD` and ends right before the value.
_COMMAND_FORMS: tuple[tuple[str, str], ...] = (
    # -- local credentials ----------------------------------------------------------------------
    (
        "enable-secret",
        r"enable(?:[ \t]+algorithm-type[ \t]+\S+)?[ \t]+secret(?:[ \t]+level[ \t]+\d+)?" + _TYPE + r"[ \t]+",
    ),
    ("enable-password", r"enable[ \t]+password(?:[ \t]+level[ \t]+\d+)?" + _TYPE + r"[ \t]+"),
    ("username-secret", r"username[ \t]+\S++(?:[ \t]+(?!secret[ \t])\S++)*+[ \t]+secret" + _TYPE + r"[ \t]+"),
    ("username-password", r"username[ \t]+\S++(?:[ \t]+(?!password[ \t])\S++)*+[ \t]+password" + _TYPE + r"[ \t]+"),
    ("aaa-root-secret", r"aaa[ \t]+root[ \t]+secret" + _TYPE + r"[ \t]+"),
    ("line-password", _block(r"line[ \t]", r"password" + _TYPE + r"[ \t]+")),
    # -- AAA servers ----------------------------------------------------------------------------
    ("aaa-server-block-key", _block(r"(?:tacacs|radius)[ \t]+server[ \t]", r"key" + _TYPE + r"[ \t]+")),
    ("aaa-server-key", r"(?:tacacs|radius)-server[ \t]+(?:host[ \t]+[^\n]*?[ \t]+)?key" + _TYPE + r"[ \t]+"),
    ("radius-client-server-key", r"client[ \t]+\S+(?:[ \t]+vrf[ \t]+\S+)?[ \t]+server-key" + _TYPE + r"[ \t]+"),
    # -- SNMP -----------------------------------------------------------------------------------
    ("snmp-community", r"snmp-server[ \t]+community[ \t]+"),
    (
        "snmp-host-community",
        r"snmp-server[ \t]+host[ \t]+\S+(?:[ \t]+vrf[ \t]+\S+)?(?:[ \t]+(?:informs|traps))?"
        r"(?:[ \t]+version[ \t]+(?:1|2c))?[ \t]+(?!(?:version|vrf|informs|traps)(?![^ \t\r\n]))",
    ),
    ("snmp-user-auth", r"snmp-server[ \t]+user[ \t][^\n]*?[ \t]auth[ \t]+\S+[ \t]+"),
    (
        "snmp-user-priv",
        r"snmp-server[ \t]+user[ \t][^\n]*?[ \t]priv[ \t]+"
        r"(?>(?:3des|des|aes(?:[ \t]+(?:128|192|256))?|aes-?(?:128|192|256))[ \t]+)",
    ),
    # -- VPN ------------------------------------------------------------------------------------
    ("isakmp-key", r"crypto[ \t]+isakmp[ \t]+key(?:[ \t]+[06])?[ \t]+"),
    ("keyring-psk-address", r"pre-shared-key[ \t]+(?:address|hostname)[ \t][^\n]*?[ \t]key(?:[ \t]+[06])?[ \t]+"),
    (
        "ikev2-psk",
        r"pre-shared-key(?:[ \t]+(?:local|remote))?(?:[ \t]+[06])?[ \t]+"
        r"(?!(?:address|hostname|local|remote)(?![^ \t\r\n]))",
    ),
    # -- routing protocols ----------------------------------------------------------------------
    ("ospf-md5-key", r"(?:(?:ip|ipv6)[ \t]+ospf[ \t]+)?message-digest-key[ \t]+\d+[ \t]+md5" + _TYPE + r"[ \t]+"),
    ("ospf-auth-key", r"(?:ip|ipv6)[ \t]+ospf[ \t]+authentication-key" + _TYPE + r"[ \t]+"),
    ("bgp-neighbor-password", r"neighbor[ \t]+\S+[ \t]+password" + _TYPE + r"[ \t]+"),
    ("isis-auth-key", r"(?:isis[ \t]+)?authentication[ \t]+key" + _TYPE + r"[ \t]+"),
    ("isis-password", r"(?:isis[ \t]+password|area-password|domain-password)[ \t]+"),
    ("key-string", r"key-string" + _TYPE + r"[ \t]+"),
    # -- services and the rest ------------------------------------------------------------------
    ("ntp-key", r"ntp[ \t]+authentication-key[ \t]+\d+[ \t]+\S+(?:[ \t]+(?:0|7|8a))?[ \t]+"),
    ("wpa-psk", r"(?:wpa-psk|security[ \t]+wpa[ \t]+psk[ \t]+set-key)[ \t]+(?:ascii|hex)" + _TYPE + r"[ \t]+"),
    ("ppp-password", r"ppp[ \t]+(?:chap|pap)[ \t]+(?:sent-username[ \t]+\S+[ \t]+)?password" + _TYPE + r"[ \t]+"),
    ("ip-client-password", r"ip[ \t]+(?:ftp|http[ \t]+client)[ \t]+password" + _TYPE + r"[ \t]+"),
    ("config-key", r"key[ \t]+config-key[ \t]+password-encrypt[ \t]+"),
)

# Catch-alls for forms not listed above, anywhere on a line. They start with a literal so the
# regex engine can skip ahead instead of trying every position.
_TYPE7_GENERIC = re.compile(
    r"(?:password|secret|key|key-string)(?<![\w-]password)(?<![\w-]secret)(?<![\w-]key)(?<![\w-]key-string)"
    # a type 7 value is hex (IOS) or base64 (EOS); prose such as "password 7 days" is neither
    r"[ \t]+7[ \t]+(?=(?:[0-9A-Fa-f]{4,}|[A-Za-z0-9+/]{8,}={0,2})(?![^ \t\r\n]))" + _val("val"),
    re.MULTILINE,
)
_CRYPT_HASH = re.compile(r"(?P<val>\$(?<![^ \t\r\n]\$)(?:1|5|6|8|9|14)\$[^ \t\r\n]++)", re.MULTILINE)

SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    *(SecretPattern(name, re.compile(_LEAD + body + _val("val"), re.MULTILINE)) for name, body in _COMMAND_FORMS),
    SecretPattern("type7-generic", _TYPE7_GENERIC),
    SecretPattern("crypt-hash", _CRYPT_HASH),
)

# All command forms in one alternation behind one shared lead: a line is examined once per pass
# instead of once per form, which is what keeps a 5,000-line config in a few milliseconds.
_COMBINED = re.compile(
    _LEAD + "(?:" + "|".join(f"{body}{_val(f'v{i}')}" for i, (_, body) in enumerate(_COMMAND_FORMS)) + ")",
    re.MULTILINE,
)
# A pass redacts at most one value per line (or block); lines with two values (SNMPv3 users)
# or blocks with two keys need another pass. Real configs settle in two or three.
_MAX_PASSES = 8


def _replace_value(match: re.Match[str]) -> str:
    """The match with its value group (the last group that matched) replaced by the marker."""
    group = match.lastgroup or "val"
    return match.group(0)[: match.start(group) - match.start()] + REDACTED


def _in_free_text(text: str, pos: int) -> bool:
    """Whether `pos` lies on a description/remark/banner line (free text, not a credential)."""
    return _FREE_TEXT.match(text, text.rfind("\n", 0, pos) + 1) is not None


def _replace_type7(match: re.Match[str]) -> str:
    if _in_free_text(match.string, match.start()):
        return match.group(0)
    return _replace_value(match)


def redact(text: str) -> str:
    """Return `text` with every known secret value replaced by `REDACTED`, lines kept intact.

    Idempotent: `redact(redact(t)) == redact(t)`. Non-secret text is returned unchanged.
    """
    if not text:
        return text
    for _ in range(_MAX_PASSES):
        text, count = _COMBINED.subn(_replace_value, text)
        if count == 0:
            break
    text = _TYPE7_GENERIC.sub(_replace_type7, text)
    return _CRYPT_HASH.sub(_replace_value, text)


def contains_secret(text: str) -> list[str]:
    """Names of the secret forms that still show an unredacted value in `text`.

    Used as a safety net by tests of anything that renders device text: `[]` means clean.
    """
    if not text or redact(text) == text:
        return []
    found = [p.name for p in SECRET_PATTERNS[:-2] if p.regex.search(text)]
    if any(not _in_free_text(text, m.start()) for m in _TYPE7_GENERIC.finditer(text)):
        found.append("type7-generic")
    if _CRYPT_HASH.search(text):
        found.append("crypt-hash")
    return found


# Word starts inside a line: after whitespace or punctuation that can precede a quoted command.
_WORD_START = re.compile(r"(?<=[\s:;,(\"'`=])(?=[A-Za-z])")


def _redact_prose_line(line: str) -> str:
    line = redact(line)
    for match in reversed(list(_WORD_START.finditer(line))):  # right to left: earlier offsets stay valid
        suffix = line[match.start():]
        cleaned = redact(suffix)
        if cleaned != suffix:
            line = line[: match.start()] + cleaned
    return line


def redact_prose(text: str) -> str:
    """Redact free text (chat questions, findings, reports) that may quote config mid-sentence.

    `redact` works on configuration lines; people write "we have snmp-server community x RO on
    the old boxes". Each line is redacted as a whole, then again from every word start, which is
    safe because `redact` is idempotent.
    """
    return "\n".join(_redact_prose_line(line) for line in text.split("\n"))
