"""Remove secret values from network configuration and CLI text: IOS/IOS-XE, EOS, NX-OS, IOS-XR, Junos.

Why this exists: every piece of device text the bot shows (chat messages, audit evidence,
LLM prompts, logs, the store) must be free of credentials, yet an engineer still needs to read
the line to understand a finding. So `redact()` replaces only the secret VALUE with `REDACTED`
and keeps the line, its keywords, its ACL names and its trailing options:

    snmp-server community s3cr3t RO SNMP-RO   ->  snmp-server community <redacted> RO SNMP-RO
    username admin privilege 15 password 7 0822  ->  username admin privilege 15 password 7 <redacted>

Design notes:
- The forms are data (`agents.tools.secret_forms`). `SECRET_PATTERNS` holds each one compiled
  on its own (name + regex with a `val` group, plus a block scope where the form needs one) for
  tests and `contains_secret`; `redact` runs all line forms as ONE precompiled alternation behind a
  shared, atomic line lead, so each line is examined once per pass.
- Structure, not lines: a form that is only secret inside a block (` key 7 ...` under
  `tacacs server`, ` community x {` under Junos `snmp {`) is checked against the line's ancestors,
  found by indentation with diff markers (`+ `/`- `) counted as indentation, so a unified diff or
  hier_config's diff is redacted as a diff, with its context.
- Catch-alls follow for forms nobody listed: any `password|secret|key 7 <value>`, typed secrets
  (`password 0 x`), crypt hashes (`$1$`, `$6$`, Junos `"$9$"`), Junos `## SECRET-DATA` lines,
  credentials in URLs, TerminAttr `auth=key,...`, and PEM private key bodies. netutils' maintained
  sanitize filters run first, retargeted to the same marker and kept to one line.
- A value is one whitespace-free token (or one double-quoted string), matched possessively, that
  is neither the marker nor an angle-bracket placeholder such as `<community>` and is not followed
  by one. That makes a type digit such as the `9` in `enable secret 9 <redacted>` ineligible,
  which is what makes redaction idempotent. A trailing `;` (Junos) stays outside the value.
- Only the value is ever replaced and a value never spans lines, so line count and line endings
  (`\\n` or `\\r\\n`) are preserved. Every regex is linear in the line length (possessive tokens,
  one lazy scan per line at most), so hostile input cannot make redaction slow.
- `mark_well_known=True` replaces a well-known SNMP community (`public`, `private`) by
  `WELL_KNOWN` instead of `REDACTED`, so an audit rule can still flag a default community without
  the real value ever being kept; `unmark()` turns it back into `REDACTED` for display.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agents.tools.secret_forms import LINE_FORMS, SCOPED_FORMS, WELL_KNOWN_FORMS, WELL_KNOWN_VALUES

__all__ = [
    "REDACTED",
    "SECRET_PATTERNS",
    "WELL_KNOWN",
    "SecretPattern",
    "contains_secret",
    "redact",
    "redact_prose",
    "unmark",
]

REDACTED = "<redacted>"
WELL_KNOWN = "<redacted:well-known>"

# Start of a command line: optional indentation, an optional diff marker (`+ `, `- `), an
# optional echoed prompt (`edge-rtr-01(config)#`, `user@r1#`), and an optional `no ` (a removal
# still names the old value). Atomic, so a line that matches no form is rejected after one look.
_LEAD = r"^(?>[ \t]*+(?:[+-][ \t]++)?(?:[\w.@-]++(?:\([\w-]+\))?#[ \t]*+)?(?:no[ \t]++)?)"
# A token that is a placeholder (`<community>`) or the marker itself, never a real value.
_PLACEHOLDER = r"<[\w.:-]*>(?![^ \t\r\n;\"])"
# Lines an operator writes free text into: never treated as credentials by the type catch-alls.
_FREE_TEXT = re.compile(r"[ \t]*(?:[+-][ \t]+)?(?:description|remark|alias|banner)[ \t]")
# Cheap pre-check: text without any of these cannot hold a secret form, so it is returned as is.
_HINT = re.compile(r"(?i:password|secret|key|community|snmp|auth|psk|passphrase|private|://)|\$")


def _val(group: str) -> str:
    """The value regex: a quoted string or a token, not a placeholder, not before one, no final `;`."""
    return (
        rf"(?!{_PLACEHOLDER})(?P<{group}>\"[^\"\r\n]++\"(?=;?(?![^ \t\r\n]))|[^ \t\r\n]+?(?=;?(?![^ \t\r\n])))"
        rf"(?![ \t]+(?:(?:[0-9]|sha512|8a|encrypted|clear)[ \t]+)?{_PLACEHOLDER})"
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

_TYPE7_GENERIC = re.compile(
    r"(?:password|secret|key|key-string)(?<![\w-]password)(?<![\w-]secret)(?<![\w-]key)(?<![\w-]key-string)"
    # a type 7 value is hex (IOS) or base64 (EOS); prose such as "password 7 days" is neither
    r"[ \t]+7[ \t]+(?=(?:[0-9A-Fa-f]{4,}|[A-Za-z0-9+/]{8,}={0,2})(?![^ \t\r\n]))" + _val("val"),
    re.MULTILINE,
)
_TYPED_GENERIC = re.compile(
    r"(?:password|secret|key-string)(?<![\w-]password)(?<![\w-]secret)(?<![\w-]key-string)"
    # a catch-all also reads JSON dumps, where `<redacted>` is followed by `\\n` or `"`, not a space
    r"[ \t]+(?:0|5|6|8|9|encrypted)[ \t]+(?!<[\w.:-]*>)" + _val("val"),
    re.MULTILINE,
)
_CRYPT_HASH = re.compile(
    r"(?P<val>\$(?<![^ \t\r\n\"]\$)(?:1|2[aby]?|5|6|8|9|14|y|sha1|sha256|sha512)\$[^ \t\r\n\";]++)", re.MULTILINE
)
_URL_PASSWORD = re.compile(r"://[^/\s:@]++:(?!<[\w.:-]*>@)(?P<val>[^/\s@]++)@")
_TERMINATTR_KEY = re.compile(r"auth=key,(?!<[\w.:-]*>(?![^ \t\r\n,]))(?P<val>[^ \t\r\n,]++)")
_SECRET_DATA = re.compile(
    r"(?<=[ \t])(?P<q>\")?(?!<[\w.:-]*>[\";])(?P<val>(?(q)[^\"\r\n]++|[^ \t\r\n;\"]++))(?(q)\")[ \t]*;[ \t]*## SECRET-DATA"
)
_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_PEM_BODY_LINE = re.compile(r"[ \t]*(?:[A-Za-z0-9+/=]++|Proc-Type:.*|DEK-Info:.*)?[ \t]*\r?")
# Detection only, for `contains_secret`: a key's first body line. Not a `SecretPattern`, because a
# PEM body line is all value: `_pem_pass` replaces whole lines, keeping only their indentation.
_PEM_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----\r?\n[ \t]*(?P<val>[A-Za-z0-9+/=]{16,})")

SECRET_PATTERNS: tuple[SecretPattern, ...] = (
    *(SecretPattern(name, re.compile(_LEAD + body + _val("val"), re.MULTILINE)) for name, body in LINE_FORMS),
    *(
        SecretPattern(name, re.compile(_LEAD + body + _val("val"), re.MULTILINE), re.compile(rf"(?:[+-][ \t]+)?(?:{scope})"))
        for name, body, scope in SCOPED_FORMS
    ),
    SecretPattern("type7-generic", _TYPE7_GENERIC),
    SecretPattern("typed-generic", _TYPED_GENERIC),
    SecretPattern("url-password", _URL_PASSWORD),
    SecretPattern("terminattr-key", _TERMINATTR_KEY),
    SecretPattern("junos-secret-data", _SECRET_DATA),
    SecretPattern("crypt-hash", _CRYPT_HASH),
)
_LINE_PATTERNS = SECRET_PATTERNS[: len(LINE_FORMS)]
_SCOPED_PATTERNS = SECRET_PATTERNS[len(LINE_FORMS) : len(LINE_FORMS) + len(SCOPED_FORMS)]
_CATCH_ALL_PATTERNS = SECRET_PATTERNS[len(LINE_FORMS) + len(SCOPED_FORMS) :]
# Catch-alls that prose can trigger ("password 7 days"), so never on description/remark lines.
_NOT_IN_FREE_TEXT = frozenset({"type7-generic", "typed-generic"})

# All line forms in one alternation behind one shared lead: a line is examined once per pass.
_COMBINED = re.compile(
    _LEAD + "(?:" + "|".join(f"{body}{_val(f'v{i}')}" for i, (_, body) in enumerate(LINE_FORMS)) + ")", re.MULTILINE
)
_FORM_OF_GROUP = {f"v{i}": name for i, (name, _) in enumerate(LINE_FORMS)}
# Lines that hold a scoped form's value; only these need their ancestors looked up.
_SCOPED_CANDIDATE = re.compile(
    _LEAD + "(?:" + "|".join(f"{body}{_val(f's{i}')}" for i, (_, body, _) in enumerate(SCOPED_FORMS)) + ")", re.MULTILINE
)
# Indentation of a line, a diff marker counting as indentation.
_INDENT = re.compile(r"[ \t]*+(?:[+-][ \t]++)?")
# A pass redacts at most one value per line for the line forms; lines with two values (SNMPv3
# users) need another pass. Real configs settle in two or three.
_MAX_PASSES = 8


def _marker(form: str, value: str, mark_well_known: bool) -> str:
    if mark_well_known and form in WELL_KNOWN_FORMS and value.strip('"').lower() in WELL_KNOWN_VALUES:
        return WELL_KNOWN
    return REDACTED


def _replace_group(match: re.Match[str], group: str, marker: str) -> str:
    """The match with `group` replaced by `marker`; text after the group (a closing quote) is kept."""
    whole, base = match.group(0), match.start()
    return whole[: match.start(group) - base] + marker + whole[match.end(group) - base :]


def _in_free_text(text: str, pos: int) -> bool:
    """Whether `pos` lies on a description/remark/banner line (free text, not a credential)."""
    return _FREE_TEXT.match(text, text.rfind("\n", 0, pos) + 1) is not None


def _line_forms_pass(text: str, mark_well_known: bool) -> tuple[str, int]:
    def replace(match: re.Match[str]) -> str:
        group = match.lastgroup or ""
        form = _FORM_OF_GROUP.get(group, "")
        return _replace_group(match, group, _marker(form, match.group(group), mark_well_known))

    return _COMBINED.subn(replace, text)


class _Ancestry:
    """Ancestor lines by indentation, looked up backwards from a line and memoised.

    Blank and comment lines (`!`, `#`) neither have nor are parents, so they never break a block.
    Every same-indent sibling passed on the way up remembers the parent found, so the lines of a
    text are walked over a bounded number of times however many lines ask (linear, not quadratic).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.parent: dict[int, int] = {}  # line start -> parent line start (-1: top level)

    def _line(self, start: int) -> tuple[int, str]:
        end = self.text.find("\n", start)
        line = self.text[start : len(self.text) if end < 0 else end]
        indent = _INDENT.match(line).end()  # type: ignore[union-attr]
        return indent, line[indent:].strip()

    def parent_of(self, start: int) -> int:
        if start in self.parent:
            return self.parent[start]
        indent, _ = self._line(start)
        siblings, pos, found = [start], start, -1
        while indent and pos > 0:
            pos = self.text.rfind("\n", 0, pos - 1) + 1
            line_indent, body = self._line(pos)
            if not body or body[0] in "!#" or line_indent > indent:
                continue
            if line_indent < indent:
                found = pos
                break
            if pos in self.parent:
                found = self.parent[pos]
                break
            siblings.append(pos)
        for sibling in siblings:
            self.parent[sibling] = found
        return found

    def ancestors(self, start: int) -> list[str]:
        out, parent = [], self.parent_of(start)
        while parent >= 0:
            out.append(self._line(parent)[1])
            parent = self.parent_of(parent)
        return out


def _scoped_hits(text: str) -> list[tuple[re.Match[str], str]]:
    """(match, form name) for every scoped form whose line sits under its scope."""
    candidates = [m.start() for m in _SCOPED_CANDIDATE.finditer(text)]
    if not candidates:
        return []
    ancestry = _Ancestry(text)
    hits = []
    for start in candidates:
        ancestors = ancestry.ancestors(start)
        for pattern in _SCOPED_PATTERNS:
            match = pattern.regex.match(text, start)
            if match and any(pattern.scope.match(a) for a in ancestors):  # type: ignore[union-attr]
                hits.append((match, pattern.name))
                break
    return hits


def _scoped_pass(text: str, mark_well_known: bool) -> tuple[str, int]:
    hits = _scoped_hits(text)
    if not hits:
        return text, 0
    out, last = [], 0
    for match, name in hits:
        out += [text[last : match.start("val")], _marker(name, match.group("val"), mark_well_known)]
        last = match.end("val")
    out.append(text[last:])
    return "".join(out), len(hits)


def _sub_outside_free_text(regex: re.Pattern[str], text: str) -> tuple[str, int]:
    def replace(match: re.Match[str]) -> str:
        if _in_free_text(match.string, match.start()):
            return match.group(0)
        return _replace_group(match, "val", REDACTED)

    new = regex.sub(replace, text)
    return new, int(new != text)


def _sub_value(regex: re.Pattern[str], text: str, group: str = "val") -> tuple[str, int]:
    return regex.subn(lambda m: _replace_group(m, m.lastgroup or group, REDACTED), text)


def _pem_pass(text: str) -> tuple[str, int]:
    """Replace each body line of a PEM private key by the marker (certificates stay readable)."""
    begin = _PEM_BEGIN.search(text)
    if begin is None:
        return text, 0
    out, pos, count = [], 0, 0
    while begin is not None:
        line_end = text.find("\n", begin.end())
        if line_end < 0:
            break
        out.append(text[pos : line_end + 1])
        pos = line_end + 1
        while pos < len(text):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            line = text[pos:end]
            if _PEM_END.search(line) or not _PEM_BODY_LINE.fullmatch(line) or not line.strip():
                break
            cr = "\r" if line.endswith("\r") else ""
            indent = line[: len(line) - len(line.lstrip())]
            redacted = indent + REDACTED + cr
            count += redacted != line
            out.append(redacted + ("\n" if end < len(text) else ""))
            pos = end + 1
        begin = _PEM_BEGIN.search(text, pos)
    out.append(text[pos:])
    return "".join(out), count


def _netutils_pass(text: str) -> tuple[str, int]:
    new = _netutils_sanitize(text)
    return new, int(new != text)


def _load_netutils() -> Callable[[str], str]:
    """netutils' maintained sanitize filters, retargeted to `REDACTED` (identity if unavailable).

    Their patterns use `\\s`, which also matches a line break, and do not know placeholders, so a
    replacement is kept only when the match stays on one line and holds no `<...>` token yet.
    """
    try:
        from netutils.constants import _PROVIDED_SANITIZE_FILTERS  # noqa: PLC2701 - the library's own list
    except ImportError:  # pragma: no cover - netutils ships with NAPALM
        return lambda text: text
    filters = [
        (re.compile(f["regex"], re.MULTILINE), f["replace"].replace("<redacted_config>", REDACTED))
        for f in _PROVIDED_SANITIZE_FILTERS
        if "<redacted_config>" in f.get("replace", "")
    ]

    def safe(template: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            whole = match.group(0)
            return whole if "\n" in whole or "<" in whole else match.expand(template)

        return replace

    def sanitize(text: str) -> str:
        for regex, template in filters:
            text = regex.sub(safe(template), text)
        return text

    return sanitize


_netutils_sanitize = _load_netutils()


# Catch-alls after the line and block forms, each behind a substring test that skips it when
# the text cannot contain its form (most texts hold no URL, no PEM key, no Junos marker).
_CATCH_ALLS: tuple[tuple[str, Callable[[str], tuple[str, int]]], ...] = (
    ("7", lambda t: _sub_outside_free_text(_TYPE7_GENERIC, t)),
    ("", lambda t: _sub_outside_free_text(_TYPED_GENERIC, t)),
    ("$", lambda t: _sub_value(_CRYPT_HASH, t)),
    ("://", lambda t: _sub_value(_URL_PASSWORD, t)),
    ("auth=key,", lambda t: _sub_value(_TERMINATTR_KEY, t)),
    ("## SECRET-DATA", lambda t: _sub_value(_SECRET_DATA, t)),
    ("PRIVATE KEY-----", _pem_pass),
)


def redact(text: str, *, mark_well_known: bool = False) -> str:
    """Return `text` with every known secret value replaced by `REDACTED`, lines kept intact.

    Idempotent: `redact(redact(t)) == redact(t)`. Non-secret text is returned unchanged. With
    `mark_well_known`, default SNMP communities become `WELL_KNOWN` (for the audit only).

    Order: line forms until no line changes (a line can hold two values), then block forms, then
    the catch-alls. A later step only ever makes tokens ineligible (a value next to a marker is
    not a value), so it can never give an earlier step new work.
    """
    if not text or not _HINT.search(text):
        return text
    text, _ = _netutils_pass(text)
    for _ in range(_MAX_PASSES):
        text, count = _line_forms_pass(text, mark_well_known)
        if count == 0:
            break
    text, _ = _scoped_pass(text, mark_well_known)
    for needle, step in _CATCH_ALLS:
        if needle in text:
            text, _ = step(text)
    return text


def unmark(text: str) -> str:
    """Text for display: the audit-only `WELL_KNOWN` marker shown as a plain `REDACTED`."""
    return text.replace(WELL_KNOWN, REDACTED)


def contains_secret(text: str) -> list[str]:
    """Names of the secret forms that still show an unredacted value in `text`.

    Used as a safety net by tests of anything that renders device text: `[]` means clean.
    """
    if not text or redact(text) == text:
        return []
    found = [p.name for p in _LINE_PATTERNS if p.regex.search(text)]
    scoped = {name for _, name in _scoped_hits(text)}
    found += [p.name for p in _SCOPED_PATTERNS if p.name in scoped]
    for p in _CATCH_ALL_PATTERNS:
        if p.name in _NOT_IN_FREE_TEXT:
            if any(not _in_free_text(text, m.start()) for m in p.regex.finditer(text)):
                found.append(p.name)
        elif p.regex.search(text):
            found.append(p.name)
    if _PEM_KEY.search(text):
        found.append("pem-private-key")
    return found or ["unnamed"]


# Word starts inside a line: after whitespace or punctuation that can precede a quoted command.
_WORD_START = re.compile(r"(?<=[\s:;,(\"'`=])(?=[A-Za-z])")
# How far a quoted command reaches from its first word; cut at whitespace, so a value (one token)
# is never split. Bounding the window keeps prose redaction linear in the length of the text.
_COMMAND_WINDOW = 512


def _window(line: str, start: int) -> int:
    end = start + _COMMAND_WINDOW
    if end >= len(line):
        return len(line)
    cut = max(line.rfind(" ", start, end), line.rfind("\t", start, end))
    return cut if cut > start else end


def _redact_prose_line(line: str) -> str:
    line = redact(line)
    if not _HINT.search(line):
        return line
    for match in reversed(list(_WORD_START.finditer(line))):  # right to left: earlier offsets stay valid
        start = match.start()
        end = _window(line, start)
        piece = line[start:end]
        if not _HINT.search(piece):
            continue
        cleaned = redact(piece)
        if cleaned != piece:
            line = line[:start] + cleaned + line[end:]
    return line


def redact_prose(text: str) -> str:
    """Redact free text (chat questions, findings, reports) that may quote config mid-sentence.

    `redact` works on configuration lines; people write "we have snmp-server community x RO on
    the old boxes". Each line is redacted as a whole, then again from every word start (over the
    next few hundred characters, as far as one command reaches), which is safe because `redact`
    is idempotent.
    """
    return "\n".join(_redact_prose_line(line) for line in text.split("\n"))
