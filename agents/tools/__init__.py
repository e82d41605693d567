"""Network tools: typed, async, redacted. `build_toolbox` wires them to the lab or real devices."""

from __future__ import annotations

from agents.config import AuditConfig, NetworkConfig, ThresholdsConfig
from agents.lab import lab_inventory
from agents.network.gateway import Gateway
from agents.network.inventory import Inventory, load_inventory
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox


def load_network_inventory(network: NetworkConfig, scenario: str | None = None) -> Inventory:
    """The configured inventory: a real Nornir inventory, or the lab under `scenario`."""
    if network.inventory is not None:
        return load_inventory(network.inventory)
    return lab_inventory(scenario or network.scenario)


def build_toolbox(
    network: NetworkConfig,
    audit: AuditConfig | None = None,
    thresholds: ThresholdsConfig | None = None,
    *,
    scenario: str | None = None,
) -> Toolbox:
    inventory = load_network_inventory(network, scenario)
    rules = load_rules((audit or AuditConfig()).rules_file)
    return Toolbox(inventory, Gateway(network), rules, thresholds)
