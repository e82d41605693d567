"""Environment sensors as get_device_health reports them: unknown stays unknown.

NAPALM marks what a driver could not read with -1 (uptime, MTU, speed, power output, a sensor's
temperature) and the IOS driver names a sensor `invalid` when the device gave no table at all.
Read as numbers, these become "a healthy PSU delivering -1 W" or "a fan that is fine", which is
worse than no answer in a health check. So -1 becomes None and `invalid` sensors become readings
whose state is unknown (`ok=None`).

One driver quirk is handled here too: NAPALM's NX-OS driver compares the temperature alarm status
and fan status with `"Ok"`, but NX-OS releases before 7.0 print `ok`. Every sensor then comes back
alerting (never critical, since that flag is computed from thresholds) and every fan failed. When
all temperature flags say alert and none critical on NX-OS, the flags are shown as unknown and the
critical flag, which the driver reads correctly, still raises an alarm.

Chassis with several route processors and line cards report one CPU and several sensors per slot.
The health check judges the busiest CPU and shows each slot's worst component (`slot_health`),
never an average that hides a hot card. Which slot a sensor belongs to is read from the names the
NAPALM drivers give (`slot_of`, hand-written: neither NAPALM nor ntc-templates maps them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.severity import Severity
from agents.tools.results import Observation, SensorReading, SlotHealth

# NAPALM's IOS driver names a placeholder sensor this when the device returned no data.
_PLACEHOLDER = "invalid"


def known(value: Any) -> float | None:
    """A NAPALM number, or None when it is missing or NAPALM's -1 "could not read"."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number == -1 else number


# Where a sensor sits, from the names NAPALM's drivers give: IOS-XR CPUs `0/3/CPU0` and temperature
# slots `RSP0` / `1` (rack 0), Junos `FPC 0 EX-PFE1` / `Routing Engine 0`, IOS-XE `R0 Temp: Inlet`
# and `Switch 1 - Inlet`, NX-OS `1-Intake` (module 1). Anything else is the chassis.
_SLOT_PATTERNS = (
    re.compile(r"^(\d+/(?:RSP|RP|LC)?\d+)/CPU\d+$"),
    re.compile(r"^((?:FPC|PIC|PEM|SCB|CB|MIC|Routing Engine|Fan Tray|Power Supply) ?\d+)\b", re.I),
    re.compile(r"^([RFP]\d+) Temp\b"),
    re.compile(r"^(Switch \d+) - "),
    re.compile(r"^(\d+)-\S"),
)


def slot_of(os_name: str, name: str) -> str:
    """The slot (line card, route processor, module) a sensor or CPU belongs to, or `chassis`."""
    if os_name == "iosxr" and re.fullmatch(r"(?:RSP|RP)?\d+|FT\d+|PM\d+", name):
        return f"0/{name}"  # the IOS-XR driver keys rack 0's slots by slot name
    for rx in _SLOT_PATTERNS:
        if m := rx.match(name):
            return m.group(1)
    return "chassis"


def cpu_readings(env: dict[str, Any]) -> list[SensorReading]:
    """One reading per CPU NAPALM reports (route processors and line cards alike), busiest first."""
    cpus = [SensorReading(name=str(name), ok=None, value=u) for name, v in (env.get("cpu") or {}).items()
            if (u := known(v.get("%usage"))) is not None]
    return sorted(cpus, key=lambda r: -(r.value or 0))


def slot_health(os_name: str, readings: HealthReadings, cpus: list[SensorReading]) -> list[SlotHealth]:
    """Per slot, its worst component: the busiest CPU and the hottest sensor, worst slot first.

    Why: an average across route processors and line cards hides a hot card (six CPUs at 3% and one
    at 29% average to 7%); the engineer needs the card."""
    slots: dict[str, SlotHealth] = {}

    def slot(name: str) -> SlotHealth:
        where = slot_of(os_name, name)
        return slots.setdefault(where, SlotHealth(slot=where))

    for c in cpus:  # busiest first, so the first CPU seen in a slot is its busiest
        s = slot(c.name)
        if s.cpu_pct is None:
            s.cpu_pct, s.cpu = c.value, c.name
    for t in sorted(readings.temperatures, key=lambda t: (t.ok is not False, -(t.value or 0))):  # alarms, then hottest
        s = slot(t.name)
        if s.temperature_sensor is None and t.value is not None:
            s.temperature_c, s.temperature_sensor, s.temperature_ok = t.value, t.name, t.ok
    for f in readings.fans + readings.power_supplies:
        if f.ok is False:
            slot(f.name).failed.append(f.name)
    return sorted(slots.values(), key=lambda s: (s.temperature_ok is not False and not s.failed, -(s.cpu_pct or 0), -(s.temperature_c or 0)))


@dataclass
class HealthReadings:
    temperatures: list[SensorReading] = field(default_factory=list)
    fans: list[SensorReading] = field(default_factory=list)
    power_supplies: list[SensorReading] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


def device_health_readings(device: str, os_name: str, env: dict[str, Any]) -> HealthReadings:
    """Sensor readings and the alarms they justify; unknown states raise no alarm and no all-clear."""
    out = HealthReadings()
    temps = env.get("temperature") or {}
    flags_unreadable = _nxos_flags_unreadable(os_name, temps)
    if flags_unreadable:
        out.observations.append(Observation(
            kind="sensor_flags_unknown", severity=Severity.info, device=device,
            data={"sensors": sorted(temps)},
            message=(f"{device}: temperature alarm and fan status flags are unknown (this NX-OS release prints them in a "
                     "form the NAPALM driver misreads); temperatures are shown, critical thresholds still checked")))
    for name, v in temps.items():
        value = known(v.get("temperature"))
        critical, alert = bool(v.get("is_critical")), bool(v.get("is_alert"))
        if name == _PLACEHOLDER or (value is None and not critical and not alert):
            out.temperatures.append(SensorReading(name=name, ok=None, value=value, detail="no reading"))
            continue
        if critical:
            ok, detail = False, "critical"
        elif alert and flags_unreadable:
            ok, detail = None, "alarm state unknown"
        else:
            ok, detail = not alert, "alert" if alert else ""
        out.temperatures.append(SensorReading(name=name, ok=ok, value=value, detail=detail))
        if ok is False:
            shown = f"{value:g}C" if value is not None else "an unknown temperature"
            slot = slot_of(os_name, name)
            if slot in {name, f"0/{name}"}:  # the driver names the sensor by its slot (IOS-XR)
                what = f"slot {slot} temperature"
            else:
                what = f"temperature sensor {name}" + (f" in slot {slot}" if slot != "chassis" else "")
            out.observations.append(Observation(
                kind="temperature", severity=Severity.critical if critical else Severity.high, data={"sensor": name, "slot": slot},
                message=f"{device} {what} at {shown} ({detail})", device=device))
    for name, v in (env.get("fans") or {}).items():
        if name == _PLACEHOLDER or "status" not in v:
            out.fans.append(SensorReading(name=name, ok=None, detail="no reading"))
        elif not v["status"] and flags_unreadable:
            out.fans.append(SensorReading(name=name, ok=None, detail="status unknown"))
        else:
            out.fans.append(SensorReading(name=name, ok=bool(v["status"])))
    out.observations += [Observation(kind="fan_failed", severity=Severity.medium, message=f"{device} fan {f.name} has failed",
                                     device=device, data={"fan": f.name}) for f in out.fans if f.ok is False]
    for name, v in (env.get("power") or {}).items():
        output, capacity = known(v.get("output")), known(v.get("capacity"))
        detail = f"capacity {capacity:g} W" if capacity is not None else "capacity unknown"
        if name == _PLACEHOLDER or "status" not in v:
            out.power_supplies.append(SensorReading(name=name, ok=None, value=output, detail="no reading"))
        else:
            out.power_supplies.append(SensorReading(name=name, ok=bool(v["status"]), value=output, detail=detail))
    out.observations += [Observation(kind="psu_failed", severity=Severity.high, message=f"{device} power supply {p.name} has failed",
                                     device=device, data={"psu": p.name}) for p in out.power_supplies if p.ok is False]
    return out


def _nxos_flags_unreadable(os_name: str, temps: dict[str, Any]) -> bool:
    flagged = [v for v in temps.values() if known(v.get("temperature")) is not None]
    return (os_name == "nxos" and bool(flagged)
            and all(v.get("is_alert") and not v.get("is_critical") for v in flagged))
