"""Inventory of devices, loaded from Nornir SimpleInventory files.

Nornir's own loader resolves groups and defaults, so an inventory that works with Nornir works
here unchanged. Passwords are never read from the files: each device names the environment
variable that holds its password (`data.password_env`, else the configured default).

Inventories written for Netmiko or Nornir's netmiko plugin say `platform: cisco_ios` and give the
NAPALM driver under `connection_options.napalm`; both spellings are accepted. netutils' lib_mapper
translates Netmiko names to NAPALM driver names, so the table of who calls what lives there.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from netutils.lib_mapper import NAPALM_LIB_MAPPER, NAPALM_LIB_MAPPER_REVERSE, NETMIKO_LIB_MAPPER
from nornir.core.inventory import Host
from nornir.plugins.inventory.simple import SimpleInventory
from pydantic import BaseModel, Field

from agents.safe_yaml import YamlInputError, load_yaml_file

# NAPALM driver name -> the network OS used to pick parsers and audit rules.
_OS_BY_PLATFORM = {
    "ios": "ios",
    "eos": "eos",
    "nxos": "nxos",
    "nxos_ssh": "nxos",
    "iosxr": "iosxr",
    "iosxr_netconf": "iosxr",
    "junos": "junos",
}


class InventoryError(Exception):
    """The inventory files are missing or malformed; the message says which and how."""


class UnknownDeviceError(LookupError):
    """A device name that is not in the inventory; the message lists the known ones."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        super().__init__(f"Unknown device '{name}'.{hint} Known devices: {', '.join(known)}")


class Device(BaseModel):
    """One device as the tools see it: how to reach it and what it is."""

    name: str
    hostname: str
    platform: str
    os: str
    role: str = "unknown"
    site: str = "unknown"
    model: str = ""
    username: str | None = None
    password_env: str | None = None
    port: int | None = None
    optional_args: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


class Inventory:
    """Devices by name, in inventory order; `defaults` is the data every device inherits (Nornir's
    defaults.yaml), for what is asked of the network rather than of one device."""

    def __init__(self, devices: list[Device], defaults: dict[str, Any] | None = None) -> None:
        self._devices = {d.name: d for d in devices}
        self._defaults: dict[str, Any] = dict(defaults or {})

    def _table(self) -> dict[str, Device]:
        """The devices by name; a live inventory (agents.network.live) answers with its snapshot."""
        return self._devices

    def device_table(self) -> dict[str, Device]:
        """The devices by name, as one object: a refresh replaces it, so the same object (compared
        with `is`) means the same devices, which lets what is built from them be cached by it."""
        return self._table()

    @property
    def defaults(self) -> dict[str, Any]:
        return self._defaults

    @contextmanager
    def pinned(self) -> Iterator["Inventory"]:
        """The inventory one request works with from start to end: this one (a live inventory pins
        its current snapshot for the code running inside the block)."""
        yield self

    def __iter__(self) -> Iterator[Device]:
        return iter(self._table().values())

    def __len__(self) -> int:
        return len(self._table())

    def __contains__(self, name: object) -> bool:
        return name in self._table()

    @property
    def names(self) -> list[str]:
        return list(self._table())

    def get(self, name: str) -> Device:
        try:
            return self._table()[name]
        except KeyError:
            raise UnknownDeviceError(name, self.names) from None

    def filter(self, *, role: str | None = None, site: str | None = None) -> list[Device]:
        return [
            d
            for d in self
            if (role is None or d.role == role) and (site is None or d.site == site)
        ]


# Inventories already loaded, by the content of their files and the extras: Nornir's YAML
# loading was most of the cost of building a toolbox (about 100 ms on a busy host), paid per
# `noc ask`, per report and per lab scenario. Bounded; an edited file is a new key.
_LOADED: OrderedDict[tuple[str, ...], tuple[tuple[Device, ...], dict[str, Any]]] = OrderedDict()
_LOADED_MAX = 32
_LOADED_LOCK = threading.Lock()
_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


def load_inventory(directory: Path, extra_optional_args: dict[str, dict[str, Any]] | None = None,
                   extra_data: dict[str, dict[str, Any]] | None = None) -> Inventory:
    """Load hosts.yaml/groups.yaml/defaults.yaml from `directory` with Nornir's SimpleInventory.

    `extra_optional_args` merges NAPALM optional_args per host name (the lab uses it to point
    the mock driver at its fixture directory); `extra_data` merges host data (lab fault knobs).
    Loaded once per content of the files (an edited file is read again); every call gets its own
    copies of the devices, so a caller that changes one changes nobody else's.
    """
    hosts_file = directory / "hosts.yaml"
    if not hosts_file.exists():
        raise InventoryError(
            f"network.inventory: {directory} has no hosts.yaml "
            "(expected Nornir SimpleInventory files hosts.yaml, groups.yaml, defaults.yaml)"
        )
    present = [directory / name for name in _FILES if (directory / name).exists()]
    for path in present:  # a FIFO or a device: one line naming the file, not a hang
        if not path.is_file():
            raise InventoryError(f"network.inventory: {path}: not a regular file")
    key = (str(directory.resolve()), *(_digest(directory / name) for name in _FILES),
           json.dumps([extra_optional_args, extra_data], sort_keys=True, default=str))
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
    if loaded is None:
        for path in present:  # a repeated key or runaway nesting: one line with the line number
            try:
                load_yaml_file(path, fast=True)
            except YamlInputError as exc:
                raise InventoryError(f"network.inventory: {exc}") from None
        found, defaults = _load(directory, hosts_file, extra_optional_args or {}, extra_data or {})
        loaded = (tuple(found), defaults)
        with _LOADED_LOCK:
            _LOADED[key] = loaded
            while len(_LOADED) > _LOADED_MAX:
                _LOADED.popitem(last=False)
    devices, defaults = loaded
    return Inventory([device.model_copy(deep=True) for device in devices], defaults=copy.deepcopy(defaults))


def _digest(path: Path) -> str:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
    except FileNotFoundError:
        return "-"


def _load(directory: Path, hosts_file: Path, extra: dict[str, dict[str, Any]],
          extra_data: dict[str, dict[str, Any]]) -> tuple[list[Device], dict[str, Any]]:
    """The devices, and the data of the inventory defaults."""
    try:
        nr_inventory = SimpleInventory(
            host_file=str(hosts_file),
            group_file=str(directory / "groups.yaml"),
            defaults_file=str(directory / "defaults.yaml"),
        ).load()
    except Exception as exc:  # nornir raises bare KeyError/TypeError/YAMLError on bad files
        raise InventoryError(f"network.inventory: cannot load {directory}: {type(exc).__name__}: {exc}") from exc
    devices = [_device_from_host(host, extra.get(name, {})) for name, host in nr_inventory.hosts.items()]
    for device in devices:
        device.data.update(extra_data.get(device.name, {}))
    if not devices:
        raise InventoryError(f"network.inventory: {hosts_file} lists no hosts")
    return devices, dict(nr_inventory.defaults.data)


def napalm_driver_name(platform: str) -> str | None:
    """`ios` -> ios, `cisco_ios`/`cisco_xe` -> ios, `arista_eos` -> eos; None if no NAPALM driver is known."""
    if platform == "mock" or platform in NAPALM_LIB_MAPPER or platform in _OS_BY_PLATFORM:
        return platform
    normalised = NETMIKO_LIB_MAPPER.get(platform, platform)
    return NAPALM_LIB_MAPPER_REVERSE.get(normalised)


def _driver_for(host: Host, platform: str) -> str:
    return resolve_driver(host.name, platform)


def resolve_driver(name: str, platform: str) -> str:
    """The NAPALM driver for a device's platform, or an InventoryError that says what to write instead."""
    driver = napalm_driver_name(platform)
    if driver is None:
        raise InventoryError(
            f"inventory host '{name}': platform '{platform}' has no NAPALM driver; use a NAPALM driver name "
            f"({', '.join(sorted(_OS_BY_PLATFORM))}) or a Netmiko name such as cisco_ios, arista_eos, cisco_nxos"
        )
    if driver not in _OS_BY_PLATFORM and driver != "mock":
        import napalm  # imported when needed: the package loads every driver it ships (about 0.5 s)
        from napalm.base.exceptions import ModuleImportError

        try:
            napalm.get_network_driver(driver)
        except (ModuleImportError, ImportError):
            raise InventoryError(
                f"inventory host '{name}': platform '{platform}' needs the NAPALM driver '{driver}', which is not "
                f"installed; supported here: {', '.join(sorted(_OS_BY_PLATFORM))}"
            ) from None
    return driver


def _device_from_host(host: Host, extra_optional_args: dict[str, Any]) -> Device:
    napalm_opts = host.get_connection_parameters("napalm")
    platform = napalm_opts.platform or host.platform
    if not platform:
        raise InventoryError(f"inventory host '{host.name}': no platform (set a NAPALM driver name such as ios or eos)")
    platform = _driver_for(host, platform)
    if host.password or napalm_opts.password:
        raise InventoryError(
            f"inventory host '{host.name}': a password is written in the inventory files; remove it and "
            "put it in an environment variable (network.credentials.password_env, or data.password_env per host)"
        )
    data = dict(host.items())  # resolved through groups and defaults
    given_os = str(data.get("os") or "")
    os_name = _OS_BY_PLATFORM.get(napalm_driver_name(given_os) or "", given_os) or _OS_BY_PLATFORM.get(platform)
    if not os_name:
        raise InventoryError(
            f"inventory host '{host.name}': cannot tell the network OS of platform '{platform}'; set data.os"
        )
    optional_args = dict(napalm_opts.extras.get("optional_args", {}) if napalm_opts.extras else {})
    optional_args.update(extra_optional_args)
    return Device(
        name=host.name,
        hostname=napalm_opts.hostname or host.name,
        platform=platform,
        os=os_name,
        role=str(data.get("role", "unknown")),
        site=str(data.get("site", "unknown")),
        model=str(data.get("model", "")),
        username=napalm_opts.username,
        password_env=data.get("password_env"),
        port=napalm_opts.port,
        optional_args=optional_args,
        data=data,
    )


def network_os(driver: str) -> str | None:
    """The network OS (parsers, audit rules) of a NAPALM driver name; None if not one this project reads."""
    return _OS_BY_PLATFORM.get(driver)
