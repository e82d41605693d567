"""How a session reaches a device, chosen once at composition time.

The gateway (reads) and the change pipeline (writes) open their sessions through a
`DeviceAccess`, so neither knows whether a device is real or simulated: `NapalmAccess` reaches
real devices with the platform's NAPALM driver and credentials from the environment; the
embedded lab supplies its own access (`agents.lab.access`), and `ByPlatform` lets one inventory
mix them. The composition root (`agents.tools.build_toolbox`) decides which is used.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from agents.config import CredentialsConfig
from agents.network.errors import DeviceError
from agents.network.inventory import Device


def load_device_drivers(*, background: bool = False) -> None:
    """Import NAPALM (every driver it ships: about 0.5 s of CPU) ahead of the first device session.

    Why: imported at the first read, it stood on a request's critical path. `noc run` loads it at
    start-up, before it serves; `noc ask` on Claude loads it in a thread while the process waits
    for its first model calls (network time), where it costs nothing. Imports are locked per
    module, so a read that comes first simply waits for the same import."""
    if "napalm" in sys.modules:
        return
    if background:
        threading.Thread(target=importlib.import_module, args=("napalm",), name="load-napalm", daemon=True).start()
    else:
        importlib.import_module("napalm")


class DeviceAccess(Protocol):
    """Opens driver sessions to devices and says how the two counter samples are spaced."""

    def open(self, device: Device, timeout_s: float, closing: threading.Event) -> Any:
        """An opened NAPALM driver for reads; `closing` is set when the caller shuts down."""
        ...

    def open_for_change(self, device: Device, timeout_s: float, clock: Callable[[], float]) -> Any:
        """An opened driver that can merge, commit with a revert timer, confirm and roll back;
        `clock` is the one the change pipeline measures revert timers with."""
        ...

    def between_samples(self, device: Device) -> float:
        """Seconds between the two interface-counter samples, waited out where the device is live."""
        ...


def driver_args(device: Device) -> dict[str, Any]:
    """The inventory's NAPALM optional_args, with the port added when the inventory names one."""
    args = dict(device.optional_args)
    if device.port:
        args.setdefault("port", device.port)
    return args


class NapalmAccess:
    """Real devices: the platform's NAPALM driver, credentials from the inventory and environment,
    and a real wait between the two counter samples (`sleep` is injectable for tests)."""

    def __init__(self, credentials: CredentialsConfig, sample_interval_s: float, *,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._credentials = credentials
        self._sample_interval_s = sample_interval_s
        self._sleep = sleep

    def credentials(self, device: Device) -> tuple[str, str]:
        creds = self._credentials
        username = device.username or os.environ.get(creds.username_env)
        password_env = device.password_env or creds.password_env
        password = os.environ.get(password_env)
        if not username:
            raise DeviceError(device.name, "credentials",
                              f"{device.name}: no username (set it in the inventory or ${creds.username_env})")
        if password is None:
            raise DeviceError(device.name, "credentials", f"{device.name}: no password (set ${password_env})")
        return username, password

    def open(self, device: Device, timeout_s: float, closing: threading.Event) -> Any:
        import napalm  # on first use: the package loads every driver it ships (about 0.5 s)

        username, password = self.credentials(device)
        driver = napalm.get_network_driver(device.platform)(
            hostname=device.hostname, username=username, password=password,
            timeout=int(timeout_s), optional_args=driver_args(device))
        driver.open()
        return driver

    def open_for_change(self, device: Device, timeout_s: float, clock: Callable[[], float]) -> Any:
        return self.open(device, timeout_s, threading.Event())

    def between_samples(self, device: Device) -> float:
        self._sleep(self._sample_interval_s)
        return self._sample_interval_s


class ByPlatform:
    """One access per NAPALM platform name, and a default for the rest."""

    def __init__(self, routes: Mapping[str, DeviceAccess], default: DeviceAccess) -> None:
        self._routes = dict(routes)
        self._default = default

    def _for(self, device: Device) -> DeviceAccess:
        return self._routes.get(device.platform, self._default)

    def open(self, device: Device, timeout_s: float, closing: threading.Event) -> Any:
        return self._for(device).open(device, timeout_s, closing)

    def open_for_change(self, device: Device, timeout_s: float, clock: Callable[[], float]) -> Any:
        return self._for(device).open_for_change(device, timeout_s, clock)

    def between_samples(self, device: Device) -> float:
        return self._for(device).between_samples(device)
