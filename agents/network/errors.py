"""The one error a device read or session raises, in its own module so that the gateway and the
device accesses it composes with (`agents.network.access`, the lab's) share it without a cycle."""

from __future__ import annotations

from typing import Literal

# By cause, because each asks for a different fix: unreachable/timeout (path, ACL), refused (the
# SSH/API service or port), dns (the inventory hostname), auth/credentials (the account), parse
# (the driver cannot read this device's output), unsupported (no driver or getter for it);
# not_checked: the request's time ran out before the device could be read (nothing is known of it).
ErrorKind = Literal["unreachable", "timeout", "refused", "dns", "auth", "credentials", "parse", "unsupported", "failed", "not_checked"]


class DeviceError(Exception):
    """A device read failed; `kind` lets callers and breakers tell outages from bugs."""

    def __init__(self, device: str, kind: ErrorKind, message: str) -> None:
        self.device = device
        self.kind = kind
        super().__init__(message)
