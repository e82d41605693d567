"""The secret forms compiled: what `agents.tools.redact` looks for, and what counts as a value.

The forms themselves are data (`agents.tools.secret_forms`); here each becomes a regex whose `val`
group is the secret. A value is one whitespace-free token (or one double-quoted string), matched
possessively, that is neither the marker nor an angle-bracket placeholder such as `<community>`
and is not followed by one: a type digit such as the `9` in `enable secret 9 <redacted>` is
therefore never a value, which is what makes redaction idempotent. Every regex is linear in the
line length, so hostile input cannot make redaction slow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agents.tools.secret_forms import LINE_FORMS, SCOPED_FORMS

REDACTED = "<redacted>"
WELL_KNOWN = "<redacted:well-known>"

# Start of a command line: optional indentation, an optional diff marker (`+ `, `- `), an
# optional echoed prompt (`edge-rtr-01(config)#`, `user@r1#`), and an optional `no ` (a removal
# still names the old value). Atomic, so a line that matches no form is rejected after one look.
LEAD = r"^(?>[ \t]*+(?:[+-][ \t]++)?(?:[\w.@-]++(?:\([\w-]+\))?#[ \t]*+)?(?:no[ \t]++)?)"
# A token that is a placeholder (`<community>`) or the marker itself, never a real value.
PLACEHOLDER = r"<[\w.:-]*>(?![^ \t\r\n;\"])"
# Lines an operator writes free text into: never treated as credentials by the type catch-alls.
FREE_TEXT = re.compile(r"[ \t]*(?:[+-][ \t]+)?(?:description|remark|alias|banner)[ \t]")
# Cheap pre-check: text without any of these cannot hold a secret form, so it is returned as is.
HINT = re.compile(r"(?i:password|secret|key|community|snmp|auth|psk|passphrase|private|ipsec|://)|\$")


def value_regex(group: str) -> str:
    """The value regex: a quoted string or a token, not a placeholder, not before one, no final `;`."""
    return (
        rf"(?!{PLACEHOLDER})(?P<{group}>\"[^\"\r\n]++\"(?=;?(?![^ \t\r\n]))|[^ \t\r\n]+?(?=;?(?![^ \t\r\n])))"
        rf"(?![ \t]+(?:(?:[0-9]|sha512|8a|encrypted|clear)[ \t]+)?{PLACEHOLDER})"
    )


@dataclass(frozen=True, slots=True)
class SecretPattern:
    """One secret form: a stable name (reported by `contains_secret`) and its compiled regex.

    The regex's `val` group is the secret; everything else in the match is kept. `scope`, when
    set, must match one of the line's ancestor lines for the form to apply.
    """

    name: str
    regex: re.Pattern[str]
    scope: re.Pattern[str] | None = None


# -- catch-alls: literal-led so the regex engine skips ahead instead of trying every position --

TYPE7_GENERIC = re.compile(
    r"(?:password|secret|key|key-string)(?<![\w-]password)(?<![\w-]secret)(?<![\w-]key)(?<![\w-]key-string)"
    # a type 7 value is hex (IOS) or base64 (EOS); prose such as "password 7 days" is neither
    r"[ \t]+7[ \t]+(?=(?:[0-9A-Fa-f]{4,}|[A-Za-z0-9+/]{8,}={0,2})(?![^ \t\r\n]))" + value_regex("val"),
    re.MULTILINE,
)
TYPED_GENERIC = re.compile(
    r"(?:password|secret|key-string)(?<![\w-]password)(?<![\w-]secret)(?<![\w-]key-string)"
    # a catch-all also reads JSON dumps, where `<redacted>` is followed by `\\n` or `"`, not a space
    r"[ \t]+(?:0|5|6|8|9|encrypted)[ \t]+(?!<[\w.:-]*>)" + value_regex("val"),
    re.MULTILINE,
)
CRYPT_HASH = re.compile(
    r"(?P<val>\$(?<![^ \t\r\n\"]\$)(?:1|2[aby]?|5|6|8|9|14|y|sha1|sha256|sha512)\$[^ \t\r\n\";]++)", re.MULTILINE
)
URL_PASSWORD = re.compile(r"://[^/\s:@]++:(?!<[\w.:-]*>@)(?P<val>[^/\s@]++)@")
# A credential written as prose ("wifi password: x", "the community is x"), as banners, MOTDs,
# alert summaries and log lines carry them: free text no command form matches.
PROSE_CREDENTIAL = re.compile(
    r"(?i:(?<![\w-])(?:password|passwd|passphrase|secret|community(?:[ \t]+string)?|psk|pre-shared[ \t]+key|wi-?fi[ \t]+key)"
    r"(?:[ \t]*[:=][ \t]*|[ \t]+is[ \t]+)"
    r"(?!(?:required|not|set|the|a|an|now|also|being|needed|enabled|disabled|configured|changed|expired|wrong|invalid"
    r"|incorrect|empty|missing|too|strong|weak)(?![^ \t\r\n]))"
    r"(?!<[\w.:-]*>))(?P<val>[^ \t\r\n\"',;]{4,})",
)
TERMINATTR_KEY = re.compile(r"auth=key,(?!<[\w.:-]*>(?![^ \t\r\n,]))(?P<val>[^ \t\r\n,]++)")
SECRET_DATA = re.compile(
    r"(?<=[ \t])(?P<q>\")?(?!<[\w.:-]*>[\";])(?P<val>(?(q)[^\"\r\n]++|[^ \t\r\n;\"]++))(?(q)\")[ \t]*;[ \t]*## SECRET-DATA"
)
PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----")
PEM_BODY_LINE = re.compile(r"[ \t]*(?:[A-Za-z0-9+/=]++|Proc-Type:.*|DEK-Info:.*)?[ \t]*\r?")
# Detection only, for `contains_secret`: a key's first body line. Not a `SecretPattern`, because a
# PEM body line is all value: `_pem_pass` replaces whole lines, keeping only their indentation.
PEM_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\r?\n[ \t]*(?P<val>[A-Za-z0-9+/=]{16,})")

# Catch-alls that prose can trigger ("password 7 days"), so never on description/remark lines.
NOT_IN_FREE_TEXT = frozenset({"type7-generic", "typed-generic"})
FORM_OF_GROUP = {f"v{i}": name for i, (name, _) in enumerate(LINE_FORMS)}


CATCH_ALL_PATTERNS = (
    SecretPattern("type7-generic", TYPE7_GENERIC),
    SecretPattern("typed-generic", TYPED_GENERIC),
    SecretPattern("url-password", URL_PASSWORD),
    SecretPattern("terminattr-key", TERMINATTR_KEY),
    SecretPattern("junos-secret-data", SECRET_DATA),
    SecretPattern("crypt-hash", CRYPT_HASH),
    SecretPattern("prose-credential", PROSE_CREDENTIAL),
)

# The forms below are compiled on first use, once per process: about 0.1 s of regex compilation
# that text without a `HINT` (most device output) never needs, and that commands which redact
# nothing should not pay at start-up.


@dataclass(frozen=True, slots=True)
class RedactionTables:
    """What `redact` runs: `combined`, all line forms in one alternation behind one shared lead (a
    line is examined once per pass); `scoped_candidate`, the lines that hold a scoped form's value
    (only these need their ancestors looked up); `scoped_patterns`, each scoped form on its own."""

    combined: re.Pattern[str]
    scoped_candidate: re.Pattern[str]
    scoped_patterns: tuple[SecretPattern, ...]


@cache
def redaction_tables() -> RedactionTables:
    combined = re.compile(
        LEAD + "(?:" + "|".join(f"{body}{value_regex(f'v{i}')}" for i, (_, body) in enumerate(LINE_FORMS)) + ")", re.MULTILINE
    )
    scoped_candidate = re.compile(
        LEAD + "(?:" + "|".join(f"{body}{value_regex(f's{i}')}" for i, (_, body, _) in enumerate(SCOPED_FORMS)) + ")", re.MULTILINE
    )
    scoped = tuple(
        SecretPattern(name, re.compile(LEAD + body + value_regex("val"), re.MULTILINE), re.compile(rf"(?:[+-][ \t]+)?(?:{scope})"))
        for name, body, scope in SCOPED_FORMS
    )
    return RedactionTables(combined, scoped_candidate, scoped)


@cache
def line_patterns() -> tuple[SecretPattern, ...]:
    """Each line form compiled on its own: for naming the forms a text holds (`contains_secret`),
    not for redacting (that is `combined`)."""
    return tuple(SecretPattern(name, re.compile(LEAD + body + value_regex("val"), re.MULTILINE)) for name, body in LINE_FORMS)


def secret_patterns() -> tuple[SecretPattern, ...]:
    """Every secret form compiled on its own, in order: line forms, scoped forms, catch-alls."""
    return (*line_patterns(), *redaction_tables().scoped_patterns, *CATCH_ALL_PATTERNS)


# Indentation of a line, a diff marker counting as indentation.
INDENT = re.compile(r"[ \t]*+(?:[+-][ \t]++)?")
