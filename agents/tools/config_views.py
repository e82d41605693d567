"""Views derived from device text: what changed since the last save, one section, QoS, the log.

Each is a pure function of the (already redacted) text, so the toolbox caches it by content and
computes a miss in a worker thread (`agents.network.parse_cache`); results are tuples, read-only
like everything in that cache.
"""

from __future__ import annotations

from agents.tools.config_intake import redact_diff, redact_or_withhold
from agents.tools.config_tree import read_config
from agents.tools.logs import LogFinding, ParsedLog, analyse_events, parse_log
from agents.tools.qos import InterfaceQos, interface_qos, unused_policy_maps

__all__ = ["config_section", "qos_view", "read_log", "startup_changes"]

_BANNER = ("!", "Building configuration", "Current configuration", "! Time:", "end")


def _normalise(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.startswith(_BANNER)]


def startup_changes(os_name: str, running: str, startup: str, secrets_differ: bool) -> tuple[bool, tuple[str, ...]]:
    """Whether running differs from startup (unsaved changes), and hier_config's unified diff
    (startup -> running), redacted as a whole."""
    differs = _normalise(running) != _normalise(startup) or secrets_differ
    if not differs:
        return False, ()
    diff = list(read_config(os_name, startup).tree.unified_diff(read_config(os_name, running).tree))
    return True, tuple(redact_diff(diff))


def config_section(os_name: str, running: str, section: str) -> str:
    """Top-level blocks whose first line starts with `section` (e.g. 'router bgp', 'line vty').

    Read tolerantly (config_tree): a line hier_config cannot place does not fail the read. Junos
    is read in `set` form, so `system` finds the `set system ...` statements.
    """
    root = read_config(os_name, running).tree
    wanted = section.strip().lower()
    prefixes = (wanted, "set " + wanted) if os_name == "junos" else (wanted,)
    lines = [line for child in root.children if child.text.lower().startswith(prefixes) for line in child.lines()]
    return redact_or_withhold("\n".join(lines))


def qos_view(device: str, os_name: str, running: str) -> tuple[tuple[InterfaceQos, ...], tuple[str, ...]]:
    """The service-policies per routed interface, and the policy-maps applied nowhere."""
    return tuple(interface_qos(device, os_name, running)), tuple(unused_policy_maps(running))


def read_log(device: str, os_name: str, text: str) -> tuple[ParsedLog, tuple[LogFinding, ...]]:
    """The log buffer as events, and the patterns judged on all of it (bursts, flaps, CPU hogs)."""
    parsed = parse_log(os_name, text)
    return parsed, tuple(analyse_events(device, parsed.events))
