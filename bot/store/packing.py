"""Large JSON documents kept compressed in their text columns (the answer, the plan).

Why: an answer document repeats field names and evidence lines, and was most of the 6-19 KB a
request took on disk (issue 27: at most 5 KB). zlib shrinks it several times; the result is kept
as base64 text behind a `z1:` marker, so the columns stay TEXT on both backends (no migration)
and rows written before this change (plain JSON, which never starts with the marker) read as
they are. Short texts are kept plain: below about 200 bytes compression gains nothing.
"""

from __future__ import annotations

import base64
import zlib

__all__ = ["pack", "unpack"]

_MARK = "z1:"
_SMALL = 200


def pack(text: str) -> str:
    """`text` as stored: compressed behind the marker when that is shorter, else unchanged."""
    if len(text) < _SMALL:
        return text
    packed = _MARK + base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
    return packed if len(packed) < len(text) else text


def unpack(stored: str) -> str:
    """The text `pack` was given (plain rows from before compression pass through)."""
    if not stored.startswith(_MARK):
        return stored
    return zlib.decompress(base64.b64decode(stored[len(_MARK):])).decode("utf-8")
