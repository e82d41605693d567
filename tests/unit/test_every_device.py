"""Every-device work stays linear: the address index behind the BGP/OSPF cross-checks is built
once and validated by the data's version (the inventory's device table, the gateway's generation
of the address reads), not by reading every device again for every check (issue 27). A device
the request's budget left no time for is "not checked in time", never "did not answer"."""

from __future__ import annotations

import asyncio

from agents.config import NetworkConfig
from agents.health import sweep
from agents.lab import lab_inventory
from agents.network.budget import step_deadline
from agents.network.gateway import DeviceError
from agents.network.inventory import Device, Inventory
from agents.tools import build_gateway
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox


def copies(n: int, scenario: str = "healthy") -> Inventory:
    """`n` devices cycling through the lab's eight (each copy reads its model's fixtures)."""
    base = list(lab_inventory(scenario))
    return Inventory([Device(**{**base[i % len(base)].model_dump(), "name": f"{base[i % len(base)].name}-{i:03d}"}) for i in range(n)])


def index_reads(toolbox: Toolbox) -> int:
    """Reads of the index's data, from the device or the cache: what the old validation paid per check."""
    return sum(n for (read, _), n in toolbox.gateway.outcomes.items() if read == "interfaces_ip")


async def test_checking_every_device_reads_each_devices_addresses_a_bounded_number_of_times():
    for n in (16, 64):
        toolbox = Toolbox(copies(n), build_gateway(NetworkConfig(cache_ttl_s=300)), load_rules(None))
        try:
            result = await sweep(toolbox)
        finally:
            toolbox.gateway.close()
        assert result.checked == n
        # Two routing checks per device: the old per-check validation read n devices each time
        # (2 n^2 reads: 512 at 16, 8,192 at 64); now one build, plus the tools' own reads.
        assert index_reads(toolbox) <= 4 * n, (n, index_reads(toolbox))


async def test_the_index_is_rebuilt_when_its_data_changes():
    inventory = copies(8)
    toolbox = Toolbox(inventory, build_gateway(NetworkConfig(cache_ttl_s=300)), load_rules(None))
    try:
        first = await toolbox._address_index()
        assert await toolbox._address_index() is first  # same data: the same index, no reads
        reads = index_reads(toolbox)
        await toolbox._address_index()
        assert index_reads(toolbox) == reads

        toolbox.gateway.invalidate(inventory.names[0])  # a commit on one device: its addresses may differ
        second = await toolbox._address_index()
        assert second is not first and "10.0.0.1" not in second.addresses_of("nobody")

        inventory._devices = dict(list(inventory._devices.items())[:4])  # what a refresh does: a new device table
        third = await toolbox._address_index()
        assert third is not second
        assert all(o.device in inventory for a in third._by_address.values() for o in a)
    finally:
        toolbox.gateway.close()


async def test_the_index_expires_with_the_cached_reads_it_was_built_from():
    now = [0.0]
    toolbox = Toolbox(copies(4), build_gateway(NetworkConfig(cache_ttl_s=30)), load_rules(None))
    toolbox.gateway._clock = lambda: now[0]
    try:
        first = await toolbox._address_index()
        now[0] = 29.0
        assert await toolbox._address_index() is first
        now[0] = 31.0  # the reads behind it expired: the devices are read again
        assert await toolbox._address_index() is not first
    finally:
        toolbox.gateway.close()


async def test_a_device_the_budget_left_no_time_for_is_not_checked_in_time_and_not_marked_slow():
    toolbox = Toolbox(copies(2), build_gateway(NetworkConfig(timeout_s=30)), load_rules(None))
    device = next(iter(toolbox.inventory))
    try:
        with step_deadline(0.0):
            await asyncio.sleep(0)
            try:
                await toolbox.gateway.read(device, ["facts"])
                raise AssertionError("a read with no time left must not answer")
            except DeviceError as exc:
                assert exc.kind == "not_checked" and "not checked in time" in str(exc)
                assert "did not answer" not in str(exc)
            result = await toolbox.get_device_health(device.name)
            assert not result.ok and result.error and result.error.kind == "not_checked"
        # the next request reads it: it was never judged slow
        assert (await toolbox.gateway.read(device, ["facts"]))["facts"]["hostname"]
    finally:
        toolbox.gateway.close()
