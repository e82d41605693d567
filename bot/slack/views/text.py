"""Text helpers for Slack mrkdwn: escaping, cutting and splitting without breaking entities.

All text that came from people, devices or models is mrkdwn-escaped (`&`, `<`, `>`), so a
redacted secret shows as the literal `<redacted>` instead of vanishing as a bogus link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def escape(text: str) -> str:
    """Escape `&`, `<` and `>` for Slack mrkdwn.

    Slack reads `<...>` as links/mentions and `&...;` as entities; without escaping, a redacted
    `<redacted>` disappears and `a & b` can be mangled.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def safe_cut_point(text: str, limit: int) -> int:
    """An index <= limit that does not split an escape entity like `&amp;` in two."""
    m = _PARTIAL_ENTITY.search(text[:limit])
    return m.start() if m and m.start() > 0 else limit


def cut(text: str, limit: int) -> str:
    """`text` shortened to `limit` characters with a trailing ellipsis, preferring a word break."""
    if len(text) <= limit:
        return text
    end = safe_cut_point(text, limit - 1)
    space = text.rfind(" ", int(end * 0.8), end)
    if space > 0:
        end = space
    return text[:end].rstrip() + "…"


def _split_line(line: str, limit: int) -> list[str]:
    """One over-long line in pieces of at most `limit`, at spaces where possible."""
    pieces: list[str] = []
    while len(line) > limit:
        cut_at = line.rfind(" ", limit // 2, limit + 1)
        if cut_at <= 0:
            cut_at = safe_cut_point(line, limit)
            pieces.append(line[:cut_at])
            line = line[cut_at:]
        else:
            pieces.append(line[:cut_at])
            line = line[cut_at + 1 :]
    pieces.append(line)
    return pieces


def split(text: str, limit: int) -> list[str]:
    """`text` in chunks of at most `limit` characters, broken at line ends, then at spaces.

    Readers skim by line, so a line is only broken when it alone is longer than `limit`.
    Chunks that would be blank are left out (Slack rejects empty section text).
    """
    chunks: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for part in _split_line(line, limit):
            if current is None:
                current = part
            elif len(current) + 1 + len(part) <= limit:
                current += "\n" + part
            else:
                chunks.append(current)
                current = part
    if current is not None:
        chunks.append(current)
    return [c for c in chunks if c.strip()]


def code_span(text: str) -> str:
    """Inline code: escaped, and without backticks (Slack has no way to escape them inside)."""
    return escape(text).replace("`", "'")


def code_block(lines: Iterable[str]) -> str:
    """A ``` block with escaped content; a stray ``` inside is broken so it cannot close it."""
    body = "\n".join(escape(line.rstrip()) for line in lines).replace("```", "`\u200b``")
    return f"```\n{body or ' '}\n```"


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def pct(value: float) -> str:
    return f"{round(value * 100)}%"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
