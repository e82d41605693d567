"""What stands in for a value a change request left out, and the assumption said when it does.

Two sources, kept apart on purpose: defaults no site decides (edge-port STP protection, OSPF
area 0, the class shares of a WAN policy) are constants here; what a site decides (its AS, the
users VLAN, the policy names) is the site's, read from the inventory per device (`site`). A
default is never silent: the engineer reads every value that was not theirs.
"""

from __future__ import annotations

from typing import Any

from agents.specialists.config_templates.checks import Notes
from agents.specialists.config_templates.kinds import (
    DEFAULT_BUSINESS_PCT,
    DEFAULT_OSPF_AREA,
    DEFAULT_OSPF_PROCESS,
    DEFAULT_VOICE_PCT,
)
from agents.specialists.config_templates.site import SiteDefaults


class FromSite:
    """A default that is the site's (`SiteDefaults`), read from the inventory per device."""


SITE = FromSite()

# Per kind: parameter -> (default, the assumption said when it stands in; None: said elsewhere).
DEFAULT_NOTES: dict[str, dict[str, tuple[Any, str | None]]] = {
    "access_port": {
        "vlan": (SITE, "access VLAN {value} ({where}'s access VLAN in the inventory): no VLAN was given"),
        "portfast": (True, "edge port: spanning-tree portfast enabled"),
        "bpduguard": (True, "edge port: BPDU guard enabled (a switch plugged in here err-disables the port)"),
    },
    "trunk": {},
    "ospf": {
        "process_id": (DEFAULT_OSPF_PROCESS, "OSPF process {value}: none was given"),
        "area": (DEFAULT_OSPF_AREA, "OSPF area {value} (backbone): none was given"),
    },
    "bgp_neighbor": {
        "local_as": (SITE, "local AS {value} ({where}'s AS in the inventory): none was given"),
    },
    "static_route": {},
    "qos_policy": {
        "voice_pct": (DEFAULT_VOICE_PCT, "voice (DSCP EF) gets a {value}% priority queue: no voice share was given"),
        "business_pct": (DEFAULT_BUSINESS_PCT, "business data (DSCP AF31/AF21) gets {value}% bandwidth: no business share was given"),
        "policy_name": (SITE, "policy-map name {value} ({where}'s WAN policy name in the inventory)"),
        "shaper_name": (SITE, None),  # named in the shaper's own assumption
    },
}


# Defaults a platform's template does not render, said instead of the default's own note.
_NOT_RENDERED = {
    ("junos", "portfast"): "edge port: not in the Junos template (set protocols rstp interface <port> edge by hand if the switch runs RSTP)",
    ("junos", "bpduguard"): "BPDU protection: not in the Junos template (set protocols layer2-control bpdu-block interface <port> by hand)",
}


def fill_defaults(kind: str, params: dict[str, Any], missing: list[str], notes: Notes, site: SiteDefaults) -> None:
    """Defaults where the text gave nothing; a value the text did not give (`missing`) that
    detection filled is replaced by `site`'s, which knows the device."""
    for key, (default, text) in DEFAULT_NOTES[kind].items():
        from_site = default is SITE
        value = site.value(kind, key) if from_site else default
        if value is not None and (params.get(key) is None or (from_site and key in missing)):
            params[key] = value
        elif not (key in missing and params.get(key) is not None):
            continue
        if text is not None and (notes.os, key) in _NOT_RENDERED:
            notes.assume(_NOT_RENDERED[(notes.os, key)])
        elif text is not None:
            notes.assume(text.format(value=params[key], where=site.where).replace(
                "spanning-tree portfast", "spanning-tree port type edge" if notes.os == "nxos" else "spanning-tree portfast"))
