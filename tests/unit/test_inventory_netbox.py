"""NetBox as the source of truth, through its real client (pynetbox) against a loopback server that
answers as NetBox 4.6's REST API does (tests/fakes/netbox_api.py): mapping, paging, filters,
refused tokens, skipped records, and the live inventory's refresh, snapshot and last-good rules."""

from __future__ import annotations

import json
import logging

import pytest

from agents.models import Request
from agents.network.inventory import InventoryError
from agents.network.live import LiveInventory
from agents.network.sources import live_inventory
from agents.network.sources.config import InventoryConfig
from agents.network.sources.records import to_device
from agents.progress import RecordingObserver, Routed
from agents.supervisor import Supervisor
from agents.tools import build_toolbox
from bot.config.settings import Settings
from tests.harness.netbox import TOKEN_ENV, config
from tests.harness.paths import DATA as TEST_DATA

DATA = TEST_DATA / "netbox"


def test_devices_are_mapped_and_every_page_is_read(netbox):
    inventory = live_inventory(config(netbox), None)
    assert inventory.names == ["nb-core-1", "nb-core-2", "nb-edge-1", "nb-edge-2", "nb-dc-1", "nb-noip-1"]  # planned: filtered out
    core, edge, v6, dc, noip = (inventory.get(n) for n in ("nb-core-1", "nb-edge-1", "nb-edge-2", "nb-dc-1", "nb-noip-1"))
    assert (core.hostname, core.platform, core.os, core.site, core.role, core.model) == ("192.0.2.11", "ios", "ios", "hq", "core", "ISR4451")
    assert (edge.hostname, edge.platform, edge.os) == ("192.0.2.21", "junos", "junos")
    assert (v6.hostname, v6.platform, v6.os) == ("2001:db8::22", "nxos", "nxos")
    assert (dc.hostname, dc.platform) == ("198.51.100.7", "eos")
    assert noip.hostname == "nb-noip-1"  # no primary IP: reached by name (DNS)
    assert core.data["tags"] == ["noc"] and core.data["status"] == "active" and core.data["source_url"].endswith("/api/dcim/devices/1/")
    # Credentials are not the source's business: the configured environment variables apply.
    assert core.username is None and core.password_env is None
    # 6 devices, MAX_PAGE_SIZE 2: pynetbox asks for all (limit=0), gets a capped page, asks for the rest
    # (limit=count, offset=2), gets a capped page again, and follows its `next` link (offset=4).
    queries = [dict(r["query"]) for r in netbox.requests]
    assert [(q["limit"], q.get("offset")) for q in queries] == [("0", None), ("6", "2"), ("2", "4")]
    assert all(q["exclude"] == "config_context" and q["status"] == "active" for q in queries)
    assert all(r["auth"] == f"Token {netbox.token}" for r in netbox.requests)


def test_filters_are_the_apis_query_parameters(netbox):
    inventory = live_inventory(config(netbox, site=["hq", "branch"], tag=["noc"], status=["active", "planned"]), None)
    assert inventory.names == ["nb-core-1", "nb-core-2"]
    query = netbox.requests[0]["query"]
    assert [v for k, v in query if k == "site"] == ["hq", "branch"] and ("tag", "noc") in query
    assert [v for k, v in query if k == "status"] == ["active", "planned"]
    assert live_inventory(config(netbox, role=["edge"]), None).names == ["nb-edge-1", "nb-edge-2"]
    assert live_inventory(config(netbox, tag=["noc", "pci"]), None).names == ["nb-core-2"]  # tags: all of them


def test_a_refused_token_is_one_clear_line_without_the_token(netbox, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "f" * 40)
    with pytest.raises(InventoryError) as err:
        live_inventory(config(netbox), None)
    assert str(err.value) == f"inventory: netbox {netbox.url} refused the device list: HTTP 403: Invalid token"
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(InventoryError, match=f"no API token for netbox \\(set the environment variable {TOKEN_ENV}\\)"):
        live_inventory(config(netbox), None)


def test_an_unknown_slug_is_netboxs_own_answer(netbox):
    with pytest.raises(InventoryError, match="refused the device list: HTTP 400"):
        live_inventory(config(netbox, site=["atlantis"]), None)


def test_a_token_written_in_the_file_is_refused_by_the_settings():
    with pytest.raises(ValueError, match="NAME of an environment variable"):
        InventoryConfig(source="netbox", url="https://netbox.example.com", token_env="0123456789abcdef0123456789abcdef01234567")
    with pytest.raises(ValueError, match="inventory.url is required"):
        InventoryConfig(source="netbox")


def test_unusable_records_are_skipped_with_a_reason_and_a_password_is_never_shown(netbox, caplog):
    netbox.add_device(None, platform="cisco-ios")
    netbox.add_device("nb-fw-1", platform="fortinet-fortios", ip4="192.0.2.99/24")
    netbox.add_device("nb-pw-1", ip4="192.0.2.98/24", custom_fields={"noc_password_env": "hunter2-Secret!"})
    netbox.add_device("nb-pw-2", ip4="192.0.2.97/24", custom_fields={"noc_password_env": "NOC_PW_CORE"})
    netbox.add_device("nb-core-1", site="branch", ip4="192.0.2.96/24")  # names are unique per site in NetBox only
    caplog.set_level(logging.WARNING)
    cfg = config(netbox).model_copy(update={"password_env_field": "noc_password_env"})
    inventory = live_inventory(cfg, None)
    assert "nb-fw-1" not in inventory and "nb-pw-1" not in inventory
    assert inventory.get("nb-pw-2").password_env == "NOC_PW_CORE"
    skipped = inventory.status()["skipped"]
    assert any("has no name" in s for s in skipped)
    assert any("nb-fw-1" in s and "fortinet-fortios" in s and "inventory.platform_map" in s for s in skipped)
    assert any("nb-pw-1" in s and "not shown" in s for s in skipped)
    assert any("nb-core-1" in s and "another device has this name" in s for s in skipped)
    assert "hunter2" not in caplog.text + json.dumps(inventory.status())
    mapped = live_inventory(cfg.model_copy(update={"platform_map": {"fortinet-fortios": "ios"}}), None)
    assert mapped.get("nb-fw-1").platform == "ios"


def test_an_older_netbox_shape_maps_too():
    """pynetbox's own fixture (NetBox 2.x: `device_role`, a boolean status) -> the same Device."""
    record = json.loads((DATA / "pynetbox_fixture_device.json").read_text())
    device = to_device(record, InventoryConfig())
    assert (device.name, device.hostname, device.platform, device.os, device.role, device.site, device.model) == (
        "test1-edge1", "10.0.255.1", "junos", "junos", "router", "test1", "MX960")


def test_the_platforms_own_napalm_driver_comes_before_its_slug():
    """Nautobot's (and NetBox 3.x's) platform may name its NAPALM driver; a configured override wins over it."""
    record = {"id": 7, "name": "r1", "platform": {"name": "Arista", "network_driver": "arista_eos", "napalm_driver": "ios",
                                                  "network_driver_mappings": {"napalm": "eos"}}}
    assert to_device(record, InventoryConfig()).platform == "ios"
    assert to_device(record, InventoryConfig(platform_map={"arista_eos": "nxos"})).platform == "nxos"
    record["platform"]["napalm_driver"] = ""
    assert to_device(record, InventoryConfig()).platform == "eos"


def test_refresh_adds_and_drops_devices_and_an_unreachable_source_keeps_the_last_good(netbox, caplog):
    inventory = live_inventory(config(netbox), None)
    netbox.add_device("nb-new-1", platform="cisco-ios", ip4="192.0.2.50/24")
    netbox.remove_device("nb-edge-1")
    result = inventory.refresh()
    assert result.ok and result.added == ["nb-new-1"] and result.removed == ["nb-edge-1"]
    assert "nb-new-1" in inventory and "nb-edge-1" not in inventory
    netbox.available = False
    caplog.set_level(logging.WARNING)
    failed = inventory.refresh()
    assert not failed.ok and "nb-new-1" in inventory and len(inventory) == 6
    status = inventory.status()
    assert status["stale"] and status["consecutive_failures"] == 1 and status["devices"] == 6
    assert "HTTP 503" in status["last_error"] and "kept the last good inventory (6 devices)" in caplog.text
    netbox.stop()  # gone altogether: connection refused
    assert "unreachable (ConnectionError)" in (inventory.refresh().error or "")
    assert inventory.status()["consecutive_failures"] == 2 and len(inventory) == 6


def test_noc_run_starts_without_its_source_and_fills_in_on_refresh(netbox):
    netbox.available = False
    inventory = live_inventory(config(netbox), None, strict=False)
    assert len(inventory) == 0 and inventory.status()["stale"] and inventory.status()["loaded_at"] is None
    netbox.available = True
    assert inventory.refresh().ok and len(inventory) == 6


async def test_a_running_request_keeps_its_snapshot_and_the_next_one_sees_the_refresh(netbox):
    settings = Settings(inventory=config(netbox))
    toolbox = build_toolbox(settings.network, settings.audit, settings.thresholds, inventory=settings.inventory)
    live = toolbox.inventory
    assert isinstance(live, LiveInventory)

    def refresh_mid_request(event) -> None:
        """At routing time, the source drops a device and the bot refreshes (as the scheduler would)."""
        if isinstance(event, Routed) and "nb-edge-1" in {d["name"] for d in netbox._devices}:
            netbox.remove_device("nb-edge-1")
            assert live.refresh().removed == ["nb-edge-1"]
            assert "nb-edge-1" in live  # this request's snapshot

    seen = [RecordingObserver(on_event=refresh_mid_request) for _ in range(2)]
    supervisor = Supervisor(toolbox, settings.engine)
    try:
        await supervisor.run(Request.from_text("is ghost-rtr-1 healthy?"), seen[0])
        await supervisor.run(Request.from_text("is ghost-rtr-1 healthy?"), seen[1])
    finally:
        toolbox.gateway.close()
    unknown = [n for s in seen for n in s.notices() if n.startswith("Unknown device")]
    assert len(unknown) == 2 and "nb-edge-1" in unknown[0] and "nb-edge-1" not in unknown[1]
    assert "nb-edge-1" not in live  # outside any request: the latest snapshot
