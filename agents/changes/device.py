"""Device sessions for writes: preview a merge, commit it with a revert timer, confirm, roll back.

Reads go through the cached `Gateway`; writes never do. Each step here is one NAPALM session in a
worker thread with the network timeout, and the guards that must hold *on the device* run inside
the commit session itself: the running config still hashes to what was proposed, and
`compare_config` still hashes to the diff that was approved, else nothing is committed. Sessions
open through the gateway's `DeviceAccess` (real devices through the platform's NAPALM driver,
lab devices through the stateful lab driver), chosen at composition time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from agents.changes.models import digest
from agents.config import NetworkConfig
from agents.network.access import DeviceAccess
from agents.network.gateway import DeviceError, _classify
from agents.network.inventory import Device

T = TypeVar("T")


class ChangeAborted(Exception):
    """A guard failed before the commit: the device was left as it was."""


@dataclass(frozen=True)
class Committed:
    diff: str  # the device's compare_config text (raw)
    result_hash: str  # of the running config right after the commit: the approved result


@dataclass(frozen=True)
class DeviceState:
    """What recovery needs to know: the running config, and whether a commit waits for its
    confirm (None when the driver cannot say)."""

    running: str
    pending_commit: bool | None


@dataclass(frozen=True)
class Preview:
    running_hash: str
    diff: str  # the device's compare_config text (raw: redact before showing)


class ChangeDevice:
    def __init__(self, network: NetworkConfig, access: DeviceAccess, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._network = network
        self._access = access
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="napalm-change")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _run(self, device: Device, work: Callable[[Any], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._executor, self._session, device, work),
                                          timeout=self._network.timeout_s * 2)
        except (ChangeAborted, DeviceError):
            raise
        except Exception as exc:
            raise _classify(device, exc, self._network.timeout_s) from None

    def _session(self, device: Device, work: Callable[[Any], T]) -> T:
        driver = self._open(device)
        try:
            return work(driver)
        finally:
            try:
                driver.close()
            except Exception:  # noqa: BLE001 - a half-dead session must not hide the result
                pass

    def _open(self, device: Device) -> Any:
        return self._access.open_for_change(device, self._network.timeout_s, self._clock)

    async def preview(self, device: Device, lines: list[str]) -> Preview:
        """What the merge would change, and the running config it was computed against."""
        def work(driver: Any) -> Preview:
            running = _running(driver)
            driver.load_merge_candidate(config="\n".join(lines))
            try:
                diff = str(driver.compare_config() or "")
            finally:
                driver.discard_config()
            return Preview(digest(running), diff)
        return await self._run(device, work)

    async def commit(self, device: Device, lines: list[str], *, running_hash: str, diff_hash: str, revert_in: int) -> Committed:
        """Merge, compare, commit with `revert_in`; returns the diff committed and the hash of the
        result. Raises ChangeAborted (nothing committed) when the device is not as it was approved."""
        def work(driver: Any) -> Committed:
            problem = revert_problem(device, revert_in)
            if problem is None and not supports_revert(type(driver)):
                problem = f"the {device.platform} driver cannot commit with a revert timer"
            if problem is not None:
                raise ChangeAborted(f"{problem}; apply it by hand")
            if digest(_running(driver)) != running_hash:
                raise ChangeAborted("the running config changed since the proposal")
            driver.load_merge_candidate(config="\n".join(lines))
            diff = str(driver.compare_config() or "")
            if digest(diff) != diff_hash:
                driver.discard_config()
                raise ChangeAborted("compare_config differs from the approved diff")
            driver.commit_config(message="noc-chatops change", revert_in=revert_in)
            return Committed(diff, digest(_running(driver)))
        return await self._run(device, work)

    async def state(self, device: Device) -> DeviceState:
        """The running config and the pending-commit flag, read in one session (recovery)."""
        def work(driver: Any) -> DeviceState:
            try:
                pending: bool | None = bool(driver.has_pending_commit())
            except NotImplementedError:
                pending = None
            return DeviceState(_running(driver), pending)
        return await self._run(device, work)

    async def confirm(self, device: Device) -> None:
        await self._run(device, lambda driver: driver.confirm_commit())

    async def rollback(self, device: Device) -> None:
        await self._run(device, lambda driver: driver.rollback())


def supports_revert(driver_class: type) -> bool:
    """Whether a NAPALM driver can commit with `revert_in` and confirm later: it implements
    `confirm_commit` instead of inheriting the base class's NotImplementedError. Read from the
    driver itself, so a NAPALM release that adds the feature to a platform is picked up."""
    import napalm.base  # on first use: the package loads every driver it ships (about 0.5 s)

    return getattr(driver_class, "confirm_commit", None) is not napalm.base.NetworkDriver.confirm_commit


# Where the platform's NAPALM driver refuses `revert_in`, what the platform itself would offer.
_NATIVE = {"iosxr": "IOS-XR has `commit confirmed` natively, but NAPALM's IOS-XR drivers (iosxr, iosxr_netconf) do not expose it",
           "nxos": "NX-OS has no commit-confirmed for a merge (only checkpoints and `configure replace ... commit-timeout`), and NAPALM's NX-OS drivers do not expose a timer"}


def revert_problem(device: Device, revert_in: int) -> str | None:
    """Why a change on `device` cannot be committed with a `revert_in` s revert timer; None when it can.

    Read from the NAPALM driver of the device's platform (a lab device stands in for its OS's
    driver): NAPALM 5.2, and upstream as of August 2026, commits with a timer on ios, eos and junos
    only; nxos, nxos_ssh, iosxr and iosxr_netconf raise NotImplementedError. A change is never
    applied without a way back, so on those it is refused before anyone is asked to approve it.
    The timer's unit is checked too: Junos confirms in whole minutes, IOS in whole minutes of 1-120.
    """
    import napalm.base

    name = device.os if device.platform == "mock" else device.platform
    try:
        driver = napalm.get_network_driver(name)
    except napalm.base.exceptions.ModuleImportError:
        return f"no NAPALM driver {name!r} is installed, so no commit with a revert timer is possible on {device.name}"
    if not supports_revert(driver):
        native = _NATIVE.get(device.os, f"NAPALM's {name} driver does not implement it")
        return (f"{device.name} ({device.os}) cannot commit with a revert timer: {native} (commit_config(revert_in) "
                f"raises NotImplementedError), so the change could not undo itself if {device.name} stopped answering")
    if device.os in ("junos", "ios") and revert_in % 60:
        return f"{device.os} counts a revert timer in whole minutes: changes.confirm_s ({revert_in}) must be a multiple of 60"
    if device.os == "ios" and not 60 <= revert_in <= 7200:
        return f"IOS takes a revert timer of 1 to 120 minutes: changes.confirm_s ({revert_in}) is outside it"
    return None


def _running(driver: Any) -> str:
    return str(driver.get_config(retrieve="running").get("running", ""))

