"""`noc run`'s event loop (bot.server.event_loop): uvloop when installed, asyncio's on request or
when uvloop cannot be imported, and an error when uvloop is required but missing."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.server.event_loop import loop_factory, run


async def _loop_class() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_auto_runs_on_uvloop_when_installed() -> None:
    pytest.importorskip("uvloop")
    assert loop_factory("auto")[1] == "uvloop"
    assert run(_loop_class(), "auto").startswith("uvloop")


def test_asyncio_chosen_runs_on_the_standard_loop() -> None:
    assert loop_factory("asyncio") == (None, "asyncio")
    assert run(_loop_class(), "asyncio").startswith("asyncio")


def test_without_uvloop_auto_falls_back_and_uvloop_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # what `import uvloop` meets when it is not installed
    assert loop_factory("auto") == (None, "asyncio")
    assert run(_loop_class(), "auto").startswith("asyncio")
    with pytest.raises(RuntimeError, match="uvloop is not installed"):
        loop_factory("uvloop")
