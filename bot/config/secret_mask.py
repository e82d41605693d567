"""Credentials out of messages: the password of a URL (`postgresql://u:PASSWORD@h/db`) and a
`password=` query parameter are replaced by `***` wherever settings are quoted back.

Why here and not at each message: a configuration error, a store error, a log line and the
CLI's last-resort error line all may quote `store.url`; the error classes and the CLI's log
formatter pass their text through `mask_credentials`, so a new message cannot forget it.
Hand-written (two regular expressions): SQLAlchemy's `render_as_string(hide_password=True)` only
works on a URL it could parse, and the URLs worth masking are often the ones that do not parse.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@host - the password runs to the last "@" before the host (an unencoded
# "@" in a password is common), never across whitespace, quotes or a slash.
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<secret>[^\s'\"/]+)@")
_QUERY = re.compile(r"(?i)(?P<head>[?&;](?:password|passwd|pwd|sslpassword|token|secret)=)(?P<secret>[^&;\s'\"]+)")


def mask_credentials(text: str) -> str:
    """`text` with URL passwords and password-like query parameters replaced by ***."""
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: m["head"] + MASK + "@", text)
    return _QUERY.sub(lambda m: m["head"] + MASK, text)
