"""Network tools: typed, async, redacted. `build_toolbox` wires them to the lab or real devices.

This is the composition root of the network side: the only place that decides between the lab
and real devices (the inventory, and the `DeviceAccess` the gateway opens sessions with).
"""

from __future__ import annotations

from collections.abc import Sequence

from agents.config import AuditConfig, NetworkConfig, ThresholdsConfig
from agents.lab import lab_inventory
from agents.lab.access import LabAccess
from agents.network.access import ByPlatform, DeviceAccess, NapalmAccess
from agents.network.gateway import Gateway
from agents.network.inventory import Inventory
from agents.network.sources import live_inventory
from agents.network.sources.config import InventoryConfig
from agents.tools.audit import load_rules
from agents.tools.mcp_config import McpServerConfig
from agents.tools.mcp_toolsets import McpToolsets
from agents.tools.network import Toolbox
from agents.tools.runbooks import LAB_DIR as LAB_RUNBOOKS


def load_network_inventory(network: NetworkConfig, scenario: str | None = None, source: InventoryConfig | None = None,
                           *, strict: bool = True) -> Inventory:
    """The configured inventory: NetBox or Nautobot (`inventory.source`), a Nornir folder
    (`network.inventory`), both live (refreshed without a restart), or the lab under `scenario`.
    `strict=False` starts with an empty inventory when the source cannot be read (`noc run`)."""
    source = source or InventoryConfig()
    if source.source != "file" or network.inventory is not None:
        return live_inventory(source, network.inventory, strict=strict)
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
    inventory: InventoryConfig | None = None,
    strict: bool = True,
    mcp_servers: Sequence[McpServerConfig] = (),
) -> Toolbox:
    live = load_network_inventory(network, scenario, inventory, strict=strict)
    rules = load_rules((audit or AuditConfig()).rules_file)
    lab = network.inventory is None and (inventory or InventoryConfig()).source == "file"
    return Toolbox(live, build_gateway(network), rules, thresholds, McpToolsets(mcp_servers),
                   runbooks_dir=network.runbooks or (LAB_RUNBOOKS if lab else None))
