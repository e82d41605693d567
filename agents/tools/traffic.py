"""Interface counters turned into rates and observations (the traffic and statistics tools).

Apart from the toolbox because it is pure arithmetic over two counter samples: no device, no
parsing, so it is tested and reasoned about on its own, and the thresholds are the only policy.
"""

from __future__ import annotations

import re
from typing import Any

from agents.config import ThresholdsConfig
from agents.network.gateway import DeviceError
from agents.network.parsers import find_interface
from agents.severity import Severity
from agents.tools.results import InterfaceTraffic, Observation
from agents.tools.sensors import known

__all__ = ["interface_filter", "known_int", "traffic_observations", "traffic_row"]


def interface_filter(interface: str | None, interfaces: dict[str, Any], device: str) -> list[str]:
    """The device's own name for `interface`, in any spelling or abbreviation of it."""
    if interface is None:
        return list(interfaces)
    found = find_interface(interface, interfaces)
    if found is None:
        raise DeviceError(device, "unsupported", f"{device} has no interface '{interface}'. Interfaces: {', '.join(interfaces)}")
    return [found]


def known_int(value: Any) -> int | None:
    number = known(value)
    return None if number is None else int(number)


def _delta(first: int, second: int) -> int:
    """Counter difference; a counter that went backwards was cleared, so count from zero."""
    return second - first if second >= first else second


def traffic_row(name: str, info: dict[str, Any], first: dict[str, int], second: dict[str, int], interval: float,
                description: str) -> InterfaceTraffic:
    """Rates of one interface between two samples; `description` is already redacted."""
    speed = known(info.get("speed")) or 0.0
    in_mbps = _delta(first["rx_octets"], second["rx_octets"]) * 8 / interval / 1e6
    out_mbps = _delta(first["tx_octets"], second["tx_octets"]) * 8 / interval / 1e6
    return InterfaceTraffic(
        name=name,
        description=description,
        speed_mbps=speed or None,
        in_mbps=round(in_mbps, 2),
        out_mbps=round(out_mbps, 2),
        in_util_pct=round(100 * in_mbps / speed, 1) if speed > 0 else 0.0,
        out_util_pct=round(100 * out_mbps / speed, 1) if speed > 0 else 0.0,
        rx_errors_delta=_delta(first["rx_errors"], second["rx_errors"]),
        tx_errors_delta=_delta(first["tx_errors"], second["tx_errors"]),
        rx_discards_delta=_delta(first["rx_discards"], second["rx_discards"]),
        tx_discards_delta=_delta(first["tx_discards"], second["tx_discards"]),
    )


def traffic_observations(device: str, row: InterfaceTraffic, interval: float, t: ThresholdsConfig) -> list[Observation]:
    out = []
    per_min = 60.0 / interval
    for direction, util in (("input", row.in_util_pct), ("output", row.out_util_pct)):
        if util >= t.utilisation_high_pct:
            sev = Severity.high if util >= t.utilisation_critical_pct else Severity.medium
            out.append(Observation(kind="high_utilisation", severity=sev, device=device, interface=row.name,
                data={"direction": direction, "util_pct": util, "speed_mbps": row.speed_mbps},
                message=(
                f"{device} {row.name} {direction} utilisation {util:.0f}% of {row.speed_mbps:g} Mbps")))
    errors = (row.rx_errors_delta + row.tx_errors_delta) * per_min
    if errors >= t.errors_per_min_high:
        kind = "input (CRC/framing)" if row.rx_errors_delta >= row.tx_errors_delta else "output"
        out.append(Observation(kind="interface_errors", severity=Severity.high, device=device, interface=row.name,
            data={"rx_errors_delta": row.rx_errors_delta, "tx_errors_delta": row.tx_errors_delta, "per_min": round(errors, 1), "direction": "input" if row.rx_errors_delta >= row.tx_errors_delta else "output"},
            message=(
            f"{device} {row.name} {kind} errors climbing: +{row.rx_errors_delta + row.tx_errors_delta} in "
            f"{interval:g}s ({errors:.0f}/min)")))
    drops = (row.rx_discards_delta + row.tx_discards_delta) * per_min
    if drops >= t.discards_per_min_high:
        direction = "output" if row.tx_discards_delta >= row.rx_discards_delta else "input"
        out.append(Observation(kind="drops", severity=Severity.medium, device=device, interface=row.name,
            data={"direction": direction, "rx_discards_delta": row.rx_discards_delta, "tx_discards_delta": row.tx_discards_delta, "per_min": round(drops, 1)},
            message=(
            f"{device} {row.name} {direction} drops: +{row.tx_discards_delta + row.rx_discards_delta} in "
            f"{interval:g}s ({drops:.0f}/min)")))
    return out


def in_use(name: str, info: dict[str, Any], addressed: set[str] | None) -> bool:
    """Whether a down interface is one somebody configured for use: it has a description or an
    address, or is a logical/aggregate interface. A port with neither is a spare (Junos and NX-OS
    leave unused ports administratively up, so `is_enabled` alone cannot tell). When the
    addresses are unknown, every enabled port counts as in use (no fault is hidden)."""
    if addressed is None or str(info.get("description") or "").strip():
        return True
    if name in addressed or any(a.split(".")[0] == name for a in addressed):
        return True
    return bool(re.match(r"(?i)(port-?channel|ae\d|bundle-ether|loopback|lo\d|vlan|irb|tunnel)", name))
