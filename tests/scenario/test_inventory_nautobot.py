"""Nautobot as the source of truth, against a real Nautobot server (installed from PyPI, on the
CI's PostgreSQL and a Redis, seeded by .ci/nautobot_seed.py; .ci/nautobot.sh starts it and exports
NOC_TEST_NAUTOBOT_URL and NOC_TEST_NAUTOBOT_TOKEN). Skipped, saying why, without one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from agents.network.inventory import InventoryError
from agents.network.sources import live_inventory
from agents.network.sources.config import InventoryConfig, InventoryFilters
from tests.harness.paths import ROOT

URL_ENV, TOKEN_ENV = "NOC_TEST_NAUTOBOT_URL", "NOC_TEST_NAUTOBOT_TOKEN"
SEEDED = ["nb-core-1", "nb-core-2", "nb-edge-1"]  # active; nb-edge-9 is planned

pytestmark = pytest.mark.skipif(not (os.environ.get(URL_ENV) and os.environ.get(TOKEN_ENV)),
                                reason=f"Nautobot tests need a real server: {URL_ENV} and {TOKEN_ENV} (.ci/nautobot.sh starts one)")


def config(**filters) -> InventoryConfig:
    return InventoryConfig(source="nautobot", url=os.environ[URL_ENV], token_env=TOKEN_ENV, filters=InventoryFilters(**filters))


ADDED = "nb-new-"  # the prefix of the devices a test adds for a while (another worker may see one)


def ours(names: list[str]) -> list[str]:
    """The seeded devices: not those a test adds, which a test running beside it in another
    worker may be holding, nor others the server holds from earlier runs."""
    return sorted(n for n in names if n.startswith("nb-") and not n.startswith(ADDED))


def test_seeded_devices_are_mapped():
    inventory = live_inventory(config(), None)
    assert ours(inventory.names) == SEEDED
    core, eos = inventory.get("nb-core-1"), inventory.get("nb-core-2")
    assert (core.hostname, core.platform, core.os, core.site, core.role, core.model) == ("192.0.2.11", "ios", "ios", "HQ", "core", "ISR4451")
    assert (eos.hostname, eos.platform, eos.os) == ("192.0.2.12", "eos", "eos")
    assert core.data["tags"] == ["noc"] and core.data["status"] == "Active"
    assert core.username is None and core.password_env is None  # credentials: network.credentials


def test_filters_by_location_role_tag_and_status():
    assert ours(live_inventory(config(site=["HQ"]), None).names) == ["nb-core-1", "nb-core-2"]
    assert ours(live_inventory(config(role=["edge"]), None).names) == ["nb-edge-1"]
    assert ours(live_inventory(config(role=["edge"], status=["active", "planned"]), None).names) == ["nb-edge-1", "nb-edge-9"]
    assert ours(live_inventory(config(tag=["noc"]), None).names) == ["nb-core-1", "nb-core-2"]


def test_an_invalid_token_is_refused_without_showing_it(monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, "f" * 40)
    with pytest.raises(InventoryError) as err:
        live_inventory(config(), None)
    assert "refused the device list: HTTP 403: Invalid token" in str(err.value) and "f" * 40 not in str(err.value)


def test_a_device_added_and_removed_in_nautobot_follows_on_refresh():
    import pynautobot

    api = pynautobot.api(os.environ[URL_ENV], token=os.environ[TOKEN_ENV])
    template = api.dcim.devices.get(name="nb-edge-1")
    inventory = live_inventory(config(), None)
    name = f"{ADDED}{uuid.uuid4().hex[:6]}"
    device = api.dcim.devices.create(name=name, device_type=template.device_type.id, role=template.role.id,
                                     location=template.location.id, status=template.status.id, platform=template.platform.id)
    try:
        added = inventory.refresh()
        assert added.ok and added.added == [name]
        assert inventory.get(name).hostname == name  # no primary IP yet: reached by name
    finally:
        device.delete()
    removed = inventory.refresh()
    assert removed.ok and removed.removed == [name] and name not in inventory


def test_noc_tool_lists_nautobots_devices(tmp_path):
    """The user's path: a config file pointing at Nautobot, `noc tool list_devices` in a subprocess."""
    cfg = tmp_path / "noc.yml"
    cfg.write_text(json.dumps({"inventory": {"source": "nautobot", "url": os.environ[URL_ENV], "token_env": TOKEN_ENV,
                                             "filters": {"site": ["HQ", "Branch"]}}}))
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(cfg), "tool", "list_devices"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    devices = {d["name"]: d for d in json.loads(done.stdout)["devices"] if d["name"] in ours([d["name"]])}
    assert sorted(devices) == SEEDED
    assert devices["nb-edge-1"]["mgmt_address"] == "192.0.2.21" and devices["nb-edge-1"]["site"] == "Branch"
