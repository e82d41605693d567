"""Credentials written as prose: banner and MOTD text, log lines, alert summaries.

Why a pass of its own: command forms (`agents.tools.secret_forms`) match a command's shape, but
people write "Guest Wi-Fi password: x" in a banner or "the community is x" in an alert, and no
command form sees those. `PROSE_CREDENTIAL` (in `redact_patterns`, so `contains_secret` reports
it too) is only tried where one of its words starts, found with `bytes.find`, because letting a
case-insensitive alternation try every position of a 5,000-line config is what costs.
"""

from __future__ import annotations

from agents.tools.redact_patterns import PROSE_CREDENTIAL, REDACTED

_PROSE_WORDS = (b"password", b"passwd", b"passphrase", b"secret", b"community", b"psk", b"pre-shared", b"wi-fi", b"wifi")


def prose_pass(text: str) -> tuple[str, int]:
    """PROSE_CREDENTIAL tried only where one of its words starts: found with bytes.find over an
    ASCII-lowered copy of the same length (non-ASCII becomes `?`), which is far faster than letting
    a case-insensitive alternation try every position of a long config."""
    if ":" not in text and "=" not in text and " is" not in text and " IS" not in text and " Is" not in text:
        return text, 0
    low = text.encode("ascii", "replace").lower()
    starts: set[int] = set()
    for word in _PROSE_WORDS:
        at = low.find(word)
        while at >= 0:
            starts.add(at)
            at = low.find(word, at + 1)
    out: list[str] = []
    last = count = 0
    for start in sorted(starts):
        if start < last:
            continue
        match = PROSE_CREDENTIAL.match(text, start)
        if match:
            out += [text[last:match.start("val")], REDACTED]
            last = match.end("val")
            count += 1
    return ("".join(out) + text[last:], count) if count else (text, 0)
