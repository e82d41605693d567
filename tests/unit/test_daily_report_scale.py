"""A large network: 500 lab-sized devices (copies of the lab's fixtures, some unreachable) are
swept with progress, one session per device, no read repeated, within
network.timeout_s x ceil(500 / max_parallel_devices); dead devices are rows, not failures."""

from __future__ import annotations

import threading
from collections import Counter

from agents.config import NetworkConfig
from agents.lab import lab_inventory
from agents.network.gateway import Gateway
from agents.network.inventory import Device, Inventory
from agents.tools import device_access
from agents.tools.audit import load_rules
from agents.tools.network import Toolbox
from bot.report.sweep import reads_for, sweep_network

DEVICES = 500


class CountingGateway(Gateway):
    """The real gateway, counting device sessions and the reads each one made."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__(config, access=device_access(config))
        self.sessions: Counter = Counter()
        self.reads: Counter = Counter()
        self._count_lock = threading.Lock()

    def _session(self, device, reads):
        with self._count_lock:
            self.sessions[device.name] += 1
            self.reads.update((device.name, r) for r in reads)
        return super()._session(device, reads)


def big_inventory(n: int) -> Inventory:
    """`n` devices cycling through the lab's eight, every 50th unreachable."""
    base = list(lab_inventory("healthy"))
    devices = []
    for i in range(n):
        model = base[i % len(base)]
        args = {**model.optional_args, "fail_on_open": i % 50 == 7}
        devices.append(Device(**{**model.model_dump(), "name": f"{model.name}-{i:03d}", "optional_args": args}))
    return Inventory(devices)


async def test_500_devices_one_session_each_with_progress():
    network = NetworkConfig(timeout_s=5, max_parallel_devices=25, cache_ttl_s=0)
    gateway = CountingGateway(network)
    inventory = big_inventory(DEVICES)
    toolbox = Toolbox(inventory, gateway, load_rules(None))
    progress: list[tuple[str, int, int]] = []
    try:
        section, configs = await sweep_network(toolbox, network, lambda *p: progress.append(p))
    finally:
        gateway.close()

    assert section.checked == DEVICES and len({r.device for r in section.devices}) == DEVICES
    assert set(gateway.sessions) == set(inventory.names) and max(gateway.sessions.values()) == 1, "one session per device"
    assert max(gateway.reads.values()) == 1, "no device read twice"
    reachable = [d for d in inventory if not d.optional_args["fail_on_open"]]
    assert all(gateway.reads[(d.name, r)] == 1 for d in reachable for r in reads_for(d))

    assert section.unreachable == DEVICES // 50
    dead = [r for r in section.devices if not r.reachable]
    assert all(r.errors and "unreachable" in r.errors[0] for r in dead)
    assert section.devices[0].reachable is False  # worst first
    assert len(configs) == DEVICES - DEVICES // 50

    for phase in ("reading", "analysing"):
        counts = [done for p, done, total in progress if p == phase]
        assert counts == list(range(1, DEVICES + 1)) and all(t == DEVICES for p, _, t in progress)
