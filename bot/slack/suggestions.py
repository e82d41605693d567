"""Suggested prompts for a new assistant thread, chosen from the network itself.

A prompt that names a real device ("Why is branch-rtr-01 GigabitEthernet0/0/0 dropping?") is
one click away from a useful answer, where a generic one teaches only the syntax. The choice
reads the toolbox: traffic on every interface (the busiest one, dropping ones first) and the
audit risk score of every device (the riskiest one). Those reads touch devices, so they are
bounded (at most `max_devices`, `parallel` at a time, `deadline_s` in all), shared by
concurrent callers and cached for `ttl_s`: opening the assistant twice a minute costs one sweep.
Any failure (a read raising, the deadline passing, an empty inventory) falls back to static
prompts: the assistant always opens with something to click.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from agents.tools.network import Toolbox
from agents.tools.results import SecurityScan, TrafficAnalysis
from bot.slack.views.text import cut, escape

log = logging.getLogger(__name__)

# Slack shows at most four suggested prompts; each has a title (shown) and a message (sent).
MAX_PROMPTS = 4
HEALTH_PROMPT = {"title": "Health sweep", "message": "Is anything wrong with the network right now?"}
FAILOVER_HOWTO = {"title": "How-to: ISP failover", "message": "How do I fail over to the backup ISP?"}
QOS_HOWTO = {"title": "How-to: WAN QoS", "message": "How do I apply QoS on a congested WAN link?"}
STATIC_PROMPTS = [
    {"title": "Branch office slow?", "message": "Why is the branch office slow?"},
    {"title": "Audit every device", "message": "Audit all devices"},
    HEALTH_PROMPT,
    FAILOVER_HOWTO,
]
# Roles whose configuration faces the outside: the device to audit when every risk score ties.
_EXPOSED_ROLES = ("wan-edge", "branch-router", "firewall")


@dataclass(frozen=True)
class Hotspot:
    """The interface to ask about: the busiest one, or the busiest one that drops packets."""

    device: str
    interface: str
    util_pct: float
    discards: int


@dataclass(frozen=True)
class Risk:
    device: str
    score: int


def prompts_for(hotspot: Hotspot | None, risk: Risk | None) -> list[dict[str, str]]:
    """The four prompts: the hot interface, an audit, the health sweep, a how-to; static where data is missing."""
    chosen: list[dict[str, str]] = []
    if hotspot is not None:
        where = f"{hotspot.device} {hotspot.interface}"
        if hotspot.discards > 0:
            chosen.append({"title": f"Why is {where} dropping?", "message": f"Why is {where} dropping packets?"})
        else:
            chosen.append({"title": f"{where} at {hotspot.util_pct:.0f}%", "message": f"Why is {where} so busy?"})
    else:
        chosen.append(STATIC_PROMPTS[0])
    if risk is not None:
        chosen.append({"title": f"Audit {risk.device}", "message": f"Audit {risk.device}"})
    else:
        chosen.append(STATIC_PROMPTS[1])
    chosen.append(HEALTH_PROMPT)
    chosen.append(QOS_HOWTO if hotspot is not None and hotspot.discards > 0 else FAILOVER_HOWTO)
    # device and interface names come from the devices: the shown title is escaped like any such text
    return [{"title": cut(escape(p["title"]), 75), "message": p["message"]} for p in chosen[:MAX_PROMPTS]]


class PromptChooser:
    """`await chooser.prompts()`: the current suggestions, from a cache at most `ttl_s` old."""

    def __init__(self, toolbox: Toolbox, *, ttl_s: float = 300.0, retry_s: float = 60.0, deadline_s: float = 10.0,
                 max_devices: int = 40, parallel: int = 8, clock: Callable[[], float] = time.monotonic) -> None:
        self.toolbox = toolbox
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self.deadline_s = deadline_s
        self.max_devices = max_devices
        self.parallel = parallel
        self.clock = clock
        self._cached: tuple[float, list[dict[str, str]]] | None = None  # (expires at, prompts)
        self._pending: asyncio.Task[list[dict[str, str]]] | None = None

    async def prompts(self) -> list[dict[str, str]]:
        if self._cached is not None and self.clock() < self._cached[0]:
            return self._cached[1]
        if self._pending is None or self._pending.done():
            # One sweep for every caller that arrives while it runs; shielded so a caller
            # that gives up does not cancel it for the others.
            self._pending = asyncio.create_task(self._refresh(), name="suggested-prompts")
        return await asyncio.shield(self._pending)

    async def _refresh(self) -> list[dict[str, str]]:
        try:
            hotspot, risk = await asyncio.wait_for(self._survey(), timeout=self.deadline_s)
        except Exception:  # a dead gateway or a slow network: suggest static prompts, try again later
            log.warning("could not choose suggested prompts from the network; using static ones", exc_info=True)
            # Kept for `retry_s` only: the network is asked again soon, but not by every new thread.
            self._cached = (self.clock() + self.retry_s, list(STATIC_PROMPTS))
            return self._cached[1]
        chosen = prompts_for(hotspot, risk)
        self._cached = (self.clock() + self.ttl_s, chosen)
        return chosen

    async def _survey(self) -> tuple[Hotspot | None, Risk | None]:
        devices = self.toolbox.inventory.filter()[: self.max_devices]
        if not devices:
            raise LookupError("the inventory is empty")
        slots = asyncio.Semaphore(self.parallel)

        async def traffic(name: str) -> TrafficAnalysis:
            async with slots:
                return await self.toolbox.analyze_traffic_patterns(name)

        async def scan(name: str) -> SecurityScan:
            async with slots:
                return await self.toolbox.scan_security_vulnerabilities(name)

        names = [d.name for d in devices]
        traffics, scans = await asyncio.gather(asyncio.gather(*(traffic(n) for n in names)),
                                               asyncio.gather(*(scan(n) for n in names)))
        if not any(t.ok for t in traffics) and not any(s.ok for s in scans):
            raise LookupError("no device could be read")
        return busiest(traffics), riskiest(scans, {d.name: d.role for d in devices})


def busiest(analyses: list[TrafficAnalysis]) -> Hotspot | None:
    """The interface dropping packets with the highest utilisation, else the busiest one."""
    best: tuple[tuple[bool, float, int], Hotspot] | None = None
    for analysis in analyses:
        if not analysis.ok or analysis.device is None:
            continue
        for row in analysis.interfaces:
            util = max(row.in_util_pct, row.out_util_pct)
            discards = max(0, row.rx_discards_delta) + max(0, row.tx_discards_delta)
            key = (discards > 0, util, discards)
            if best is None or key > best[0]:
                best = (key, Hotspot(analysis.device, row.name, util, discards))
    return best[1] if best is not None else None


def riskiest(scans: list[SecurityScan], roles: dict[str, str]) -> Risk | None:
    """The device with the highest audit risk score; on a tie, an outward-facing one first."""
    readable = [(s.device, s.risk_score) for s in scans if s.ok and s.device]
    if not readable:
        return None
    device, score = min(readable, key=lambda r: (-r[1], roles.get(r[0], "") not in _EXPOSED_ROLES, r[0]))
    return Risk(device, score)
