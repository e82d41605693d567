"""Network tools: typed, async, redacted. `build_toolbox` wires them to the lab or real devices.

This is the composition root of the network side: the only place that decides between the lab
and real devices (the inventory, and the `DeviceAccess` the gateway opens sessions with).
"""

from __future__ import annotations

from agents.config import AuditConfig, NetworkConfig, ThresholdsConfig
from agents.lab import lab_inventory
from agents.lab.access import LabAccess
from agents.network.access import ByPlatform, DeviceAccess, NapalmAccess
from agents.network.gateway import Gateway
from agents.network.inventory import Inventory, load_inventory
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox


def load_network_inventory(network: NetworkConfig, scenario: str | None = None) -> Inventory:
    """The configured inventory: a real Nornir inventory, or the lab under `scenario`."""
    if network.inventory is not None:
        return load_inventory(network.inventory)
    return lab_inventory(scenario or network.scenario)


def device_access(network: NetworkConfig) -> DeviceAccess:
    """Devices on NAPALM's mock driver (the embedded lab, or recorded samples in an inventory)
    through the lab's access; every other platform through its real NAPALM driver."""
    return ByPlatform({"mock": LabAccess()}, default=NapalmAccess(network.credentials, network.sample_interval_s))


def build_gateway(network: NetworkConfig) -> Gateway:
    """The gateway over `device_access(network)`."""
    return Gateway(network, access=device_access(network))


def build_toolbox(
    network: NetworkConfig,
    audit: AuditConfig | None = None,
    thresholds: ThresholdsConfig | None = None,
    *,
    scenario: str | None = None,
) -> Toolbox:
    inventory = load_network_inventory(network, scenario)
    rules = load_rules((audit or AuditConfig()).rules_file)
    return Toolbox(inventory, build_gateway(network), rules, thresholds)
