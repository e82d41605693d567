"""Inventory sources: a Nornir folder, NetBox or Nautobot, chosen by the `inventory:` section.

`live_inventory` is what the composition root (agents.tools.build_toolbox) calls: it returns a
`LiveInventory` over the configured source, read once now and again on every refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agents.network.inventory import load_inventory
from agents.network.live import LiveInventory, Loaded
from agents.network.sources.config import InventoryConfig


def source_loader(config: InventoryConfig, folder: Path | None) -> tuple[Callable[[], Loaded], str]:
    """The loader of the configured source and how to name it in logs (`netbox https://nb/`)."""
    if config.source in ("netbox", "nautobot"):  # their HTTP client (requests) only where it is used
        from agents.network.sources.remote import load_nautobot, load_netbox, shown_url
    if config.source == "netbox":
        return (lambda: load_netbox(config)), f"netbox {shown_url(str(config.url))}"
    if config.source == "nautobot":
        return (lambda: load_nautobot(config)), f"nautobot {shown_url(str(config.url))}"
    if folder is None:
        raise ValueError("the file source needs network.inventory (the embedded lab is not read from a source)")
    return (lambda: Loaded(load_inventory(folder))), f"file {folder}"


def live_inventory(config: InventoryConfig, folder: Path | None, *, strict: bool = True) -> LiveInventory:
    loader, name = source_loader(config, folder)
    return LiveInventory(loader, name, strict=strict)
