"""The one path from the tools to devices: NAPALM drivers run in worker threads.

NAPALM is synchronous, so every device session runs in a bounded thread pool; the asyncio side
enforces the per-device timeout, limits parallel sessions, and coalesces identical reads that
arrive while one is in flight (several agents asking for the same device at once cost one
session). Results are cached for a short TTL; failures are not cached, except a timeout: a
device that did not answer is not asked again for `network.timeout_s` (later reads fail at once,
naming the timeout), so one slow device costs a request one timeout, not one per step. A read
inside a step waits at most a share of what is left of the step (`agents.network.budget`), so a
slow device is a tool error the step answers with, never a step timeout; a read the step left no
time for is "not checked in time" (kind not_checked), never "did not answer", and does not mark
the device slow.

How a session reaches a device is a `DeviceAccess` chosen at composition time (real devices
through their NAPALM driver, the embedded lab through NAPALM's `mock` driver). The mock driver
reads one fixture file per getter call and counts calls per driver instance, which is why every
read opens a fresh driver and why the two counter samples are taken inside one session.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from agents.config import NetworkConfig
from agents.network.access import DeviceAccess, NapalmAccess
from agents.network.budget import device_timeout
from agents.network.commands import command
from agents.network.errors import DeviceError, ErrorKind
from agents.network.inventory import Device

log = logging.getLogger(__name__)

__all__ = ["DeviceError", "ErrorKind", "Gateway", "Read", "log_command", "ospf_command", "ping_read", "ping_target"]

# What a tool may ask of a device. "counters" returns two samples and the interval between them;
# "instances" (VRF membership) is None where the driver cannot tell. Besides these, "ping:<target>"
# pings from the device (the mock driver numbers pings per session: one session pings in order).
Read = Literal["facts", "interfaces", "interfaces_ip", "instances", "counters", "bgp", "environment", "config", "ospf", "logs"]
PING_READ = "ping:"  # a read of one ping: "ping:<target>" or "ping:<target>@<vrf>"


def ping_read(target: str, vrf: str | None = None) -> str:
    """The read name of one ping from the device to `target` (in `vrf`)."""
    return f"{PING_READ}{target}" + (f"@{vrf}" if vrf else "")


def ping_target(read: str) -> tuple[str, str]:
    """(target, vrf) of a ping read; vrf is "" for the global table."""
    target, _, vrf = read.removeprefix(PING_READ).partition("@")
    return target, vrf

# The OSPF neighbour table and the local log buffer have no NAPALM getter, so they are CLI text;
# the command per platform comes from the command table (`agents/network/commands.yaml`). Read the
# log in a session of its own: the mock driver numbers CLI calls per session, so a second CLI read
# in the same session would look for another fixture file.


# Less time than this left of the step for a read: the device is not asked at all ("not checked in time").
_TOO_LITTLE_S = 0.01


@dataclass
class _Entry:
    expires: float
    future: asyncio.Future[Any]


def ospf_command(os_name: str) -> str | None:
    return command(os_name, "ospf_neighbors")


def log_command(os_name: str) -> str | None:
    return command(os_name, "logs")


class Gateway:
    """Reads device state through NAPALM with timeouts, parallelism limits and a short cache."""

    def __init__(
        self,
        config: NetworkConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        access: DeviceAccess | None = None,
    ) -> None:
        """`access` opens the sessions (real devices through NAPALM when not given; `sleep` then
        waits between the two counter samples)."""
        self._config = config
        self._clock = clock
        self._sleep = sleep
        self.access: DeviceAccess = access or NapalmAccess(config.credentials, config.sample_interval_s, sleep=sleep)
        self._executor = ThreadPoolExecutor(max_workers=config.max_parallel_devices, thread_name_prefix="napalm")
        self._cache: dict[tuple[str, str], _Entry] = {}
        self._semaphore: asyncio.Semaphore | None = None
        self._closing = threading.Event()
        self._slow: dict[str, tuple[float, DeviceError]] = {}  # device -> (not asked again before, its timeout)
        # (read, outcome) -> count: ok, cached, cancelled or the DeviceError's kind (exported as
        # noc_device_reads_total by the bot's /metrics; plain counts, so agents needs no metrics library)
        self.outcomes: Counter[tuple[str, str]] = Counter()
        # read -> how many times its cached data changed (new data read, or forgotten): what is built
        # from cached reads (the address index) is still valid while these numbers stand. A failed
        # read changes nothing cached, so it leaves them alone.
        self._generations: Counter[str] = Counter()

    def close(self) -> None:
        self._closing.set()  # wakes sessions still waiting to open (the lab's slow devices)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def invalidate(self, device: str) -> None:
        """Forget cached reads of `device`: after a commit or rollback the cache would show the past."""
        for key in [k for k in self._cache if k[0] == device]:
            self._cache.pop(key, None)
            self._generations[key[1]] += 1
        self._slow.pop(device, None)

    def generation(self, reads: Sequence[Read]) -> tuple[int, ...]:
        """The version of the cached data of `reads`, across devices: it changes whenever one of them
        is read anew or forgotten, so an equal version means the same data."""
        return tuple(self._generations[r] for r in reads)

    def cached_until(self, devices: Sequence[str], reads: Sequence[Read]) -> float:
        """When the first cached entry of `reads` on `devices` expires (gateway clock); now when none is cached."""
        now = self._clock()
        expiries = [e.expires for d in devices for r in reads if (e := self._cache.get((d, r))) is not None]
        return min(expiries, default=now)

    def now(self) -> float:
        return self._clock()

    async def read(self, device: Device, reads: Sequence[Read]) -> dict[str, Any]:
        """Return {read: data} for `device`, opening at most one session for uncached reads."""
        loop = asyncio.get_running_loop()
        now = self._clock()
        slow = self._slow.get(device.name)
        if slow is not None and slow[0] > now:
            self.outcomes.update((name, "timeout") for name in dict.fromkeys(reads))
            raise DeviceError(device.name, "timeout", f"{slow[1]} (not asked again for {max(0.1, round(slow[0] - now, 1)):g}s)")
        pending: dict[str, asyncio.Future[Any]] = {}
        missing: list[str] = []
        for name in dict.fromkeys(reads):
            entry = self._cache.get((device.name, name))
            if entry is not None and entry.expires > now:
                pending[name] = entry.future
                self.outcomes[(name, "cached")] += 1
            else:
                missing.append(name)
        if missing:
            futures = {read: loop.create_future() for read in missing}
            expires = now + self._config.cache_ttl_s
            for read, fut in futures.items():
                self._cache[(device.name, read)] = _Entry(expires, fut)
            pending.update(futures)
            await self._fill(device, missing, futures)
        return {name: await asyncio.shield(fut) for name, fut in pending.items()}

    async def _fill(self, device: Device, missing: list[str], futures: dict[str, asyncio.Future[Any]]) -> None:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._config.max_parallel_devices)
        loop = asyncio.get_running_loop()
        timeout_s = self._config.timeout_s
        try:
            async with self._semaphore:
                # The share of the step is taken once a session slot is free: waiting for one is the
                # request's queue, not the device's time.
                timeout_s = device_timeout(self._config.timeout_s)
                if timeout_s < _TOO_LITTLE_S < self._config.timeout_s:  # nothing left: no session it cannot wait for
                    raise asyncio.TimeoutError
                data = await asyncio.wait_for(
                    loop.run_in_executor(self._executor, self._session, device, missing),
                    timeout=timeout_s,
                )
        except BaseException as exc:
            cut = isinstance(exc, asyncio.TimeoutError) and timeout_s < _TOO_LITTLE_S < self._config.timeout_s
            # A read the request's budget left no time for says nothing about the device: it is "not
            # checked in time", and the device is not treated as slow by the next request. (A read
            # given a real share of the step that timed out is the device's: "did not answer".)
            error = (DeviceError(device.name, "not_checked", f"{device.name} not checked in time: the request's time ran out "
                                 f"({timeout_s:g}s left for it)") if cut else _classify(device, exc, timeout_s))
            outcome = "cancelled" if isinstance(exc, asyncio.CancelledError) else error.kind
            self.outcomes.update((name, outcome) for name in missing)
            if isinstance(exc, asyncio.TimeoutError) and not cut:
                self._slow[device.name] = (self._clock() + self._config.timeout_s, error)
            for name, fut in futures.items():
                self._cache.pop((device.name, name), None)
                if not fut.done():
                    fut.set_exception(error)
                    fut.exception()  # mark retrieved: callers that care await it and see the error
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise error from None
        self.outcomes.update((name, "ok") for name in missing)
        for name, fut in futures.items():
            self._generations[name] += 1
            if not fut.done():
                fut.set_result(data[name])

    # -- sync side, runs in a worker thread ---------------------------------------------------

    def _session(self, device: Device, reads: list[str]) -> dict[str, Any]:
        driver = self._open(device)
        try:
            return {name: self._read_one(driver, device, name) for name in reads}
        except _PARSE_ERRORS as exc:  # inside a getter: the driver could not read what the device said
            log.warning("driver %s could not read %s", device.platform, device.name, exc_info=True)
            raise DeviceError(device.name, "parse",
                              f"{device.name}: the '{device.platform}' driver could not read the device's output ({type(exc).__name__})") from None
        finally:
            try:
                driver.close()
            except Exception:  # closing a half-dead session must not hide the real result
                log.debug("closing %s failed", device.name, exc_info=True)

    def _open(self, device: Device) -> Any:
        return self.access.open(device, self._config.timeout_s, self._closing)

    def _read_one(self, driver: Any, device: Device, name: str) -> Any:
        if name == "facts":
            return driver.get_facts()
        if name == "interfaces":
            return driver.get_interfaces()
        if name == "interfaces_ip":
            return driver.get_interfaces_ip()
        if name == "instances":
            try:  # optional: only chooses between devices that share an address
                return driver.get_network_instances()
            except NotImplementedError:
                return None
        if name == "bgp":
            return driver.get_bgp_neighbors()
        if name == "environment":
            return driver.get_environment()
        if name == "config":
            return driver.get_config(retrieve="all")
        if name == "ospf":
            command = ospf_command(device.os)
            if command is None:
                raise NotImplementedError(f"no OSPF neighbour command known for os '{device.os}'")
            return _cli(driver, device, command)
        if name == "logs":
            command = log_command(device.os)
            if command is None:
                raise NotImplementedError(f"no log command known for os '{device.os}'")
            return _cli(driver, device, command)
        if name.startswith(PING_READ):  # NAPALM's ping, run on the device (agents.tools.latency)
            target, vrf = ping_target(name)
            return driver.ping(target, vrf=vrf) if vrf else driver.ping(target)
        if name == "counters":
            first = driver.get_interfaces_counters()
            interval = self.access.between_samples(device)
            second = driver.get_interfaces_counters()
            return {"interval_s": interval, "first": first, "second": second}
        raise ValueError(f"unknown read '{name}'")


def _cli(driver: Any, device: Device, command: str) -> Any:
    """One CLI command's output. The mock driver raises FileNotFoundError for a command it has no
    recording of: that device cannot provide the data (unsupported), it is not a bug or an outage."""
    try:
        return driver.cli([command])[command]
    except FileNotFoundError:
        raise NotImplementedError(f"no recorded '{command}' output for {device.name}") from None


# Cause words in the text of transport errors that NAPALM drivers re-raise as ConnectionException.
_CAUSE_TEXT = [
    ("dns", re.compile(r"name or service not known|nodename nor servname|getaddrinfo failed|temporary failure in name resolution|no address associated with hostname", re.I)),
    ("refused", re.compile(r"connection refused|errno 111\b|errno 61\b|actively refused", re.I)),
    ("timeout", re.compile(r"timed? ?out", re.I)),
    ("auth", re.compile(r"authenticat|unauthori[sz]ed|\b401\b|permission denied|bad password|login (?:failed|incorrect)", re.I)),
    ("unreachable", re.compile(r"no route to host|network is unreachable|host is unreachable|host unreachable", re.I)),
]
_UNREACHABLE_ERRNOS = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
# Raised inside a getter after the session opened: the driver could not read what the device said.
_PARSE_ERRORS = (ValueError, KeyError, IndexError, AttributeError, TypeError)


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in out and len(out) < 8:
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def _cause(exc: BaseException) -> str | None:
    """What went wrong, from the exception types in the chain first, then from their text."""
    from napalm.base import exceptions as napalm_exc  # NAPALM is imported by the first read, not at start-up

    chain = _chain(exc)
    for e in chain:
        name = type(e).__name__
        if isinstance(e, socket.gaierror):
            return "dns"
        if isinstance(e, ConnectionRefusedError):
            return "refused"
        if isinstance(e, (TimeoutError, socket.timeout, napalm_exc.ConnectTimeoutError)) or "Timeout" in name:
            return "timeout"
        if isinstance(e, napalm_exc.ConnectAuthError) or "Authentication" in name or "AuthError" in name:
            return "auth"
        if isinstance(e, OSError) and e.errno in _UNREACHABLE_ERRNOS:
            return "unreachable"
    text = " ".join(str(e) for e in chain)
    return next((kind for kind, rx in _CAUSE_TEXT if rx.search(text)), None)


def _classify(device: Device, exc: BaseException, timeout_s: float) -> DeviceError:
    """Turn whatever NAPALM or its transports raised into a DeviceError that names the cause."""
    name, where = device.name, f"{device.name} ({device.hostname})"
    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, asyncio.TimeoutError):
        return DeviceError(name, "timeout", f"{where} did not answer within {timeout_s:g}s")
    if isinstance(exc, asyncio.CancelledError):
        return DeviceError(name, "failed", f"read from {name} was cancelled")
    from napalm.base import exceptions as napalm_exc

    if isinstance(exc, (NotImplementedError, napalm_exc.ModuleImportError)):
        return DeviceError(name, "unsupported", f"{name} cannot provide this data (its driver '{device.platform}' does not support it)")
    cause = _cause(exc)
    messages = {
        "dns": f"{where}: the hostname does not resolve (check the inventory hostname or DNS)",
        "refused": f"{where} refused the connection (is SSH/the API enabled on that port?)",
        "timeout": f"{where} did not answer in time",
        "auth": f"{where} rejected the credentials",
        "unreachable": f"{where} is unreachable: no route to it",
    }
    if cause in messages:
        return DeviceError(name, cause, messages[cause])  # type: ignore[arg-type]
    if isinstance(exc, (napalm_exc.ConnectionException, ConnectionRefusedError)):
        return DeviceError(name, "unreachable", f"{where} is unreachable: the connection could not be opened")
    if isinstance(exc, (ConnectionError, napalm_exc.ConnectionClosedException)):
        return DeviceError(name, "failed", f"{where}: the session was dropped ({type(exc).__name__})")
    log.warning("read from %s failed", name, exc_info=(type(exc), exc, exc.__traceback__))
    return DeviceError(name, "failed", f"reading {name} failed: {type(exc).__name__}")
