"""Remove secret values from network configuration and CLI text: IOS/IOS-XE, EOS, NX-OS, IOS-XR, Junos.

Why this exists: every piece of device text the bot shows (chat messages, audit evidence,
LLM prompts, logs, the store) must be free of credentials, yet an engineer still needs to read
the line to understand a finding. So `redact()` replaces only the secret VALUE with `REDACTED`
and keeps the line, its keywords, its ACL names and its trailing options:

    snmp-server community s3cr3t RO SNMP-RO   ->  snmp-server community <redacted> RO SNMP-RO
    username admin privilege 15 password 7 0822  ->  username admin privilege 15 password 7 <redacted>

Design notes:
- The forms are data (`agents.tools.secret_forms`), compiled in `agents.tools.redact_patterns`.
  `secret_patterns()` holds each one compiled on its own (name + regex with a `val` group, plus
  a block scope where the form needs one) for tests and `contains_secret`; `redact` runs all
  line forms as ONE alternation behind a shared, atomic line lead, so each line is examined once
  per pass. They are compiled on the first text that has a `HINT` of a secret (`redaction_tables`).
- Structure, not lines: a form that is only secret inside a block (` key 7 ...` under
  `tacacs server`, ` community x {` under Junos `snmp {`) is checked against the line's ancestors,
  found by indentation with diff markers (`+ `/`- `) counted as indentation, so a unified diff or
  hier_config's diff is redacted as a diff, with its context.
- Catch-alls follow for forms nobody listed: any `password|secret|key 7 <value>`, typed secrets
  (`password 0 x`), crypt hashes (`$1$`, `$6$`, Junos `"$9$"`), Junos `## SECRET-DATA` lines,
  credentials in URLs, TerminAttr `auth=key,...`, PEM private key bodies, and credentials written
  as prose (`agents.tools.prose_secrets`: banner text, log lines). netutils' maintained
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

from agents.tools.prose_secrets import prose_pass
from agents.tools.redact_patterns import (
    CATCH_ALL_PATTERNS,
    CRYPT_HASH,
    FORM_OF_GROUP,
    FREE_TEXT,
    HINT,
    INDENT,
    NOT_IN_FREE_TEXT,
    PEM_BEGIN,
    PEM_BODY_LINE,
    PEM_END,
    PEM_KEY,
    REDACTED,
    SECRET_DATA,
    TERMINATTR_KEY,
    TYPE7_GENERIC,
    TYPED_GENERIC,
    URL_PASSWORD,
    WELL_KNOWN,
    SecretPattern,
    line_patterns,
    redaction_tables,
    secret_patterns,
)
from agents.tools.secret_forms import WELL_KNOWN_FORMS, WELL_KNOWN_VALUES

__all__ = [
    "REDACTED",
    "WELL_KNOWN",
    "SecretPattern",
    "contains_secret",
    "redact",
    "redact_prose",
    "secret_patterns",
    "unmark",
]

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
    return FREE_TEXT.match(text, text.rfind("\n", 0, pos) + 1) is not None


def _line_forms_pass(text: str, mark_well_known: bool) -> tuple[str, int]:
    def replace(match: re.Match[str]) -> str:
        group = match.lastgroup or ""
        form = FORM_OF_GROUP.get(group, "")
        return _replace_group(match, group, _marker(form, match.group(group), mark_well_known))

    return redaction_tables().combined.subn(replace, text)


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
        indent = INDENT.match(line).end()  # type: ignore[union-attr]
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
    candidates = [m.start() for m in redaction_tables().scoped_candidate.finditer(text)]
    if not candidates:
        return []
    ancestry = _Ancestry(text)
    hits = []
    scoped = redaction_tables().scoped_patterns
    for start in candidates:
        ancestors = ancestry.ancestors(start)
        for pattern in scoped:
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
    begin = PEM_BEGIN.search(text)
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
            if PEM_END.search(line) or not PEM_BODY_LINE.fullmatch(line) or not line.strip():
                break
            cr = "\r" if line.endswith("\r") else ""
            indent = line[: len(line) - len(line.lstrip())]
            redacted = indent + REDACTED + cr
            count += redacted != line
            out.append(redacted + ("\n" if end < len(text) else ""))
            pos = end + 1
        begin = PEM_BEGIN.search(text, pos)
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
    ("7", lambda t: _sub_outside_free_text(TYPE7_GENERIC, t)),
    ("", lambda t: _sub_outside_free_text(TYPED_GENERIC, t)),
    ("$", lambda t: _sub_value(CRYPT_HASH, t)),
    ("://", lambda t: _sub_value(URL_PASSWORD, t)),
    ("auth=key,", lambda t: _sub_value(TERMINATTR_KEY, t)),
    ("## SECRET-DATA", lambda t: _sub_value(SECRET_DATA, t)),
    ("PRIVATE KEY-----", _pem_pass),
    ("", prose_pass),
)


def redact(text: str, *, mark_well_known: bool = False) -> str:
    """Return `text` with every known secret value replaced by `REDACTED`, lines kept intact.

    Idempotent: `redact(redact(t)) == redact(t)`. Non-secret text is returned unchanged. With
    `mark_well_known`, default SNMP communities become `WELL_KNOWN` (for the audit only).

    Order: line forms until no line changes (a line can hold two values), then block forms, then
    the catch-alls. A later step only ever makes tokens ineligible (a value next to a marker is
    not a value), so it can never give an earlier step new work.
    """
    if not text or not HINT.search(text):
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
    found = [p.name for p in line_patterns() if p.regex.search(text)]
    scoped = {name for _, name in _scoped_hits(text)}
    found += [p.name for p in redaction_tables().scoped_patterns if p.name in scoped]
    for p in CATCH_ALL_PATTERNS:
        if p.name in NOT_IN_FREE_TEXT:
            if any(not _in_free_text(text, m.start()) for m in p.regex.finditer(text)):
                found.append(p.name)
        elif p.regex.search(text):
            found.append(p.name)
    if PEM_KEY.search(text):
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
    if not HINT.search(line):
        return line
    for match in reversed(list(_WORD_START.finditer(line))):  # right to left: earlier offsets stay valid
        start = match.start()
        end = _window(line, start)
        piece = line[start:end]
        if not HINT.search(piece):
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
