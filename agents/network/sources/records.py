"""A source of truth's device record (NetBox's or Nautobot's REST shape, as a dict) -> `Device`.

Both APIs nest related objects (site or location, role, platform, device type, primary IPs) the
same way, so one mapping serves both; where they differ (NetBox's slugs and `site`, Nautobot's
names, `location` and `network_driver`) the record says which it has. A device that cannot be
used (no name, no platform the project can drive, a password field that is not a variable name)
is skipped with a reason instead of failing the whole inventory: one bad record in 2,000 must not
leave the NOC with none.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.network.inventory import Device, InventoryError, napalm_driver_name, network_os, resolve_driver
from agents.network.sources.config import ENV_NAME, InventoryConfig

log = logging.getLogger(__name__)


@dataclass
class Mapped:
    """The devices a read produced and the records it skipped, with why (for logs and health)."""

    devices: list[Device] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def map_records(records: Iterable[Mapping[str, Any]], config: InventoryConfig) -> Mapped:
    mapped = Mapped()
    seen: set[str] = set()
    for record in records:
        try:
            device = to_device(record, config)
        except InventoryError as exc:
            mapped.skipped.append(str(exc))
            continue
        if device.name in seen:  # NetBox names are unique per site only; the bot addresses devices by name
            mapped.skipped.append(f"device '{device.name}' (id {record.get('id')}): another device has this name; skipped")
            continue
        seen.add(device.name)
        mapped.devices.append(device)
    for reason in mapped.skipped:
        log.warning("inventory: %s", reason)
    return mapped


def to_device(record: Mapping[str, Any], config: InventoryConfig) -> Device:
    name = str(record.get("name") or "").strip()
    if not name:
        raise InventoryError(f"device id {record.get('id')}: has no name; skipped (the bot addresses devices by name)")
    driver = platform_driver(name, record.get("platform"), config.platform_map)
    os_name = network_os(driver)
    if os_name is None and driver != "mock":
        raise InventoryError(f"device '{name}': cannot tell the network OS of platform '{driver}'; skipped")
    place = _nested(record, "site") or _nested(record, "location")
    device_type = _nested(record, "device_type")
    data: dict[str, Any] = {
        "source_id": record.get("id"),
        "status": _status(record.get("status")),
        "tags": [_label(t) for t in record.get("tags") or [] if isinstance(t, Mapping)],
    }
    if record.get("url"):
        data["source_url"] = record["url"]
    return Device(
        name=name,
        hostname=management_address(record) or name,
        platform=driver,
        os=os_name or "ios",
        role=_label(_nested(record, "role") or _nested(record, "device_role")) or "unknown",
        site=_label(place) or "unknown",
        model=str(device_type.get("model") or "") if device_type else "",
        password_env=_password_env(name, record, config.password_env_field),
        data=data,
    )


def platform_driver(name: str, platform: Any, overrides: Mapping[str, str]) -> str:
    """The NAPALM driver for a record's platform: the configured override first, then the
    platform's own `napalm_driver` (Nautobot, NetBox before 4.0), then Nautobot's mapping of its
    network_driver, else the slug / network_driver / name read as a NAPALM or Netmiko name
    (`cisco-ios`, `cisco_ios`, `ios` -> ios) by netutils' tables."""
    if not isinstance(platform, Mapping):
        raise InventoryError(f"device '{name}': has no platform; skipped (set one, e.g. cisco-ios or arista-eos)")
    mapped = platform.get("network_driver_mappings")
    napalm = platform.get("napalm_driver") or (mapped.get("napalm") if isinstance(mapped, Mapping) else None)
    keys = [str(k) for k in (platform.get("network_driver"), platform.get("slug"), platform.get("name")) if k]
    for key in keys:
        if key in overrides:
            return resolve_driver(name, overrides[key])
    if napalm:
        return resolve_driver(name, str(napalm))
    for key in keys:
        for spelling in (key, key.replace("-", "_"), key.lower().replace("-", "_").replace(" ", "_")):
            if napalm_driver_name(spelling):
                return resolve_driver(name, spelling)
    raise InventoryError(f"device '{name}': platform '{keys[0] if keys else '?'}' has no known NAPALM driver; skipped "
                         "(map it in inventory.platform_map, e.g. {" + (keys[0] if keys else "my-platform") + ": ios})")


def management_address(record: Mapping[str, Any]) -> str | None:
    """The primary IPv4 address, else IPv6, else NetBox's `primary_ip`, without its prefix length."""
    for key in ("primary_ip4", "primary_ip6", "primary_ip"):
        ip = record.get(key)
        address = ip.get("address") if isinstance(ip, Mapping) else None
        if address:
            try:
                return str(ipaddress.ip_interface(str(address)).ip)
            except ValueError:
                log.warning("inventory: device '%s': %s '%s' is not an IP address; ignored", record.get("name"), key, address)
    return None


def _nested(record: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = record.get(key)
    return value if isinstance(value, Mapping) else None


def _label(obj: Mapping[str, Any] | None) -> str:
    """NetBox objects by slug (what its filters take), Nautobot's by name."""
    if not obj:
        return ""
    return str(obj.get("slug") or obj.get("name") or obj.get("display") or "")


def _status(status: Any) -> str:
    if isinstance(status, Mapping):  # NetBox {"value", "label"}; Nautobot a Status object with a name
        return str(status.get("value") or status.get("name") or status.get("display") or "")
    return str(status or "")


def _password_env(name: str, record: Mapping[str, Any], field_name: str | None) -> str | None:
    if not field_name:
        return None
    value = (record.get("custom_fields") or {}).get(field_name)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not ENV_NAME.match(value):  # a password typed there: never used, never shown
        raise InventoryError(f"device '{name}': custom field {field_name} must name an environment variable; "
                             "its value is not a variable name (not shown); skipped")
    return value
