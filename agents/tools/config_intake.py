"""Where device configuration enters the tool layer: redacted once, before anything derives from it.

Why here and not at each output: a diff, a section, an audit finding or a template is computed
from lines, and once text is cut into `+ `/`- ` diff lines or lifted out of its block, a redactor
can no longer tell a `key 7 ...` under `tacacs server` from a key-chain id. So the running and
startup configs are redacted whole, with their structure, the moment they are read, and every
tool works on that text only; diffs are redacted again as diffs (whole, context included).

Fail closed: if redaction itself fails, the text is withheld behind `WITHHELD` and never shown
raw; the caller sees that the config could not be used (`IntakeConfig.withheld`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from agents.tools.redact import redact, unmark

__all__ = ["WITHHELD", "IntakeConfig", "redact_diff", "redact_or_withhold", "take_config"]

log = logging.getLogger(__name__)

WITHHELD = "<withheld: redaction failed>"


def redact_or_withhold(text: str, *, mark_well_known: bool = False) -> str:
    """`redact(text)`, or `WITHHELD` when redaction raises: never the raw text."""
    try:
        return redact(text, mark_well_known=mark_well_known)
    except Exception as exc:  # fail closed, whatever went wrong; the text itself is never logged
        log.error("redaction failed (%s); text withheld", type(exc).__name__)
        return WITHHELD


def redact_diff(lines: list[str]) -> list[str]:
    """Redact a unified diff as one text, so `+ `/`- ` lines keep their block context."""
    if not lines:
        return []
    cleaned = redact_or_withhold("\n".join(lines))
    return [WITHHELD] if cleaned == WITHHELD else cleaned.split("\n")


@dataclass(frozen=True)
class IntakeConfig:
    """A device's configuration as every tool may see it.

    `running`/`startup` are for display and derivations; `audit_running` additionally marks
    well-known SNMP communities (see `redact.WELL_KNOWN`) so audit rules can flag them;
    `secrets_differ` says a secret value changed between startup and running, which the
    redacted texts alone can no longer show.
    """

    running: str
    startup: str
    audit_running: str
    withheld: bool
    secrets_differ: bool


def _secret_lines(raw: str, redacted: str) -> list[str]:
    """The raw lines redaction changed (compared in memory only, never returned to a caller)."""
    return sorted(a.strip() for a, b in zip(raw.split("\n"), redacted.split("\n"), strict=False) if a != b)


def take_config(config: dict[str, Any]) -> IntakeConfig:
    """Redact a NAPALM `get_config()` result (running and startup) once, structure-aware."""
    raw_running = str(config.get("running") or "")
    raw_startup = str(config.get("startup") or "")
    audit_running = redact_or_withhold(raw_running, mark_well_known=True)
    running = WITHHELD if audit_running == WITHHELD else unmark(audit_running)
    startup = redact_or_withhold(raw_startup)
    withheld = WITHHELD in (running, startup)
    differ = (
        not withheld
        and bool(raw_startup)
        and _secret_lines(raw_running, running) != _secret_lines(raw_startup, startup)
    )
    return IntakeConfig(running=running, startup=startup, audit_running=audit_running, withheld=withheld, secrets_differ=differ)
