"""Every failure of a tool becomes a typed result of the tool's own type, never an exception.

Why: one dead device, one unsupported getter or one bug in a tool must not abort the
investigation that called it; the caller (an offline analyst or Claude) reads `ok=False` with a
`ToolError` whose kind says what went wrong, and goes on with the other devices.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from agents.network.gateway import DeviceError
from agents.network.inventory import UnknownDeviceError
from agents.tools.results import ToolError, ToolResult

log = logging.getLogger(__name__)

R = TypeVar("R", bound=ToolResult)

__all__ = ["typed_errors"]


def typed_errors(result_cls: type[R]) -> Callable[[Callable[..., Awaitable[R]]], Callable[..., Awaitable[R]]]:
    """Turn every failure of a tool method into a typed error result of `result_cls`."""

    def decorate(fn: Callable[..., Awaitable[R]]) -> Callable[..., Awaitable[R]]:
        tool_name = fn.__name__
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> R:
            device = kwargs.get("device", args[0] if args else None)
            try:
                return await fn(self, *args, **kwargs)
            except UnknownDeviceError as exc:
                error = ToolError(kind="unknown_device", message=str(exc))
            except DeviceError as exc:
                error = ToolError(kind=exc.kind, message=str(exc))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a tool bug must not crash the agent that called it
                log.exception("tool %s failed for %s", tool_name, device)
                error = ToolError(kind="failed", message=f"{tool_name} failed: {type(exc).__name__}")
            return _failed(result_cls, tool_name, device, error, _echoed(signature, result_cls, self, args, kwargs))

        return wrapper

    return decorate


def _echoed(signature: inspect.Signature, result_cls: type[ToolResult], self: Any, args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> dict[str, Any]:
    """Arguments that are also result fields (a failed `protocol=ospf` check says ospf, not bgp)."""
    try:
        bound = signature.bind(self, *args, **kwargs).arguments
    except TypeError:
        return {}
    skip = {"self", "device", "tool", "ok", "error"}
    return {k: v for k, v in bound.items() if k in result_cls.model_fields and k not in skip and v is not None}


def _failed(result_cls: type[R], tool: str, device: Any, error: ToolError, echoed: dict[str, Any]) -> R:
    try:
        return result_cls(tool=tool, device=device, ok=False, error=error, **echoed)
    except Exception:  # an echoed value the result cannot hold (protocol='isis'): leave it out
        return result_cls(tool=tool, device=device, ok=False, error=error)
