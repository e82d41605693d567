"""How sessions reach devices on NAPALM's mock driver: the embedded lab and recorded samples.

The gateway and the change pipeline take this access at composition time instead of asking each
device whether it is a lab device. Recordings need no credentials (the mock driver ignores them);
the two counter samples were recorded `sample_interval_s` apart (device data, 60 s unless the
inventory says otherwise), so nothing waits; a scenario's slow device (`lab_delay_s` in its data)
answers that much later unless the caller is shutting down; writes go to the stateful lab driver.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from agents.network.access import driver_args
from agents.network.inventory import Device

_USERNAME = "lab"  # the mock driver ignores credentials; a name keeps its session log readable


class LabAccess:
    """The `DeviceAccess` for mock-driver devices (see the module docstring)."""

    def open(self, device: Device, timeout_s: float, closing: threading.Event) -> Any:
        import napalm  # on the first read, not at start-up: the package loads every driver it ships

        delay = float(device.data.get("lab_delay_s", 0))
        if delay and closing.wait(delay):  # a lab fault: the device answers slowly
            raise ConnectionError(f"{device.name}: gateway closed while waiting for a slow device")
        driver = napalm.get_network_driver(device.platform)(
            hostname=device.hostname, username=device.username or _USERNAME, password="",
            timeout=int(timeout_s), optional_args=driver_args(device))
        driver.open()
        return driver

    def open_for_change(self, device: Device, timeout_s: float, clock: Callable[[], float]) -> Any:
        from agents.lab.stateful import LabDriver  # a subclass of NAPALM's mock driver: napalm on first use

        driver = LabDriver(device.hostname, device.username or _USERNAME, "", int(timeout_s),
                           {**driver_args(device), "lab_clock": clock, "lab_os": device.os})
        driver.open()
        return driver

    def between_samples(self, device: Device) -> float:
        # The fixtures' second sample was recorded this many seconds after the first.
        return float(device.data.get("sample_interval_s", 60))
