"""What a site uses when a change request leaves a value out: its BGP AS, the users' access VLAN,
the names of its WAN QoS policies.

These are facts about a network, not about the templates, so they are inventory data (a Nornir
host's, group's or the defaults' `data`: `asn`, `access_vlan`, `qos_policy`, `qos_shaper`): the
embedded lab states its own in `agents/lab/data/inventory`, and a real network states its own or
none. A value the inventory does not give is missing, and the request has to say it; a value that
stands in is always said as an assumption. What no site decides (OSPF area 0, edge-port STP
protection, the class shares of a WAN policy) stays with the templates (`parameters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from agents.network.inventory import Inventory

# Per change kind: template parameter -> the SiteDefaults field that may stand in for it.
SITE_PARAMS: dict[str, dict[str, str]] = {
    "access_port": {"vlan": "access_vlan"},
    "bgp_neighbor": {"local_as": "local_as"},
    "qos_policy": {"policy_name": "qos_policy", "shaper_name": "qos_shaper"},
}


class SiteDefaults(BaseModel):
    """The inventory's values for one device (or the whole inventory), as read: the templates'
    checks judge them like any value a person typed, so a bad one is a problem, not a crash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    where: str = "the site"  # whose values these are, said in each assumption
    local_as: int | str | None = None
    access_vlan: int | str | None = None
    qos_policy: str | None = None
    qos_shaper: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any], where: str) -> SiteDefaults:
        return cls(where=where, local_as=data.get("asn"), access_vlan=data.get("access_vlan"),
                   qos_policy=_text(data.get("qos_policy")), qos_shaper=_text(data.get("qos_shaper")))

    def value(self, kind: str, param: str) -> Any:
        """The site's value for a template parameter of `kind`, or None when it has none."""
        field = SITE_PARAMS.get(kind, {}).get(param)
        return None if field is None else getattr(self, field)


def site_defaults(inventory: Inventory, device: str | None) -> SiteDefaults:
    """`device`'s values (its data, resolved through its groups and the inventory defaults), or the
    inventory defaults' when no device is named or the name is not in the inventory."""
    if device is not None and device in inventory:
        return SiteDefaults.from_data(inventory.get(device).data, device)
    return SiteDefaults.from_data(inventory.defaults, "the site")


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
