"""One kept MCP session per configured server, so a call costs a request, not a process start.

The SDK's client must be entered and left in the same task, so a background task owns each
session: it opens the client, says it is ready, and holds the session open until it is reset or
its event loop ends (asyncio.run cancels it, and leaving the client stops a stdio server's
process). Any task may send requests through the open client meanwhile. A session that failed
(the server died, the connection dropped) is reset by the caller and opened afresh on next use;
a session from an event loop that has ended is never reused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class KeptSession:
    def __init__(self, open_client: Callable[[], Any]) -> None:
        self._open = open_client  # a fresh, not yet entered `mcp.Client`
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def client(self) -> Any:
        """The open client, opening the session first when there is none (raises why it cannot)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._loop is not loop:
            self._start(loop)
        assert self._ready is not None
        await asyncio.shield(self._ready)
        if self._client is None:
            raise ConnectionError("the session closed while opening")
        return self._client

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ready = loop.create_future()
        self._stop = asyncio.Event()
        self._task = loop.create_task(self._own(self._ready, self._stop))

    async def _own(self, ready: asyncio.Future[None], stop: asyncio.Event) -> None:
        try:
            async with self._open() as client:
                self._client = client
                ready.set_result(None)
                await stop.wait()
        except asyncio.CancelledError:
            if not ready.done():
                ready.set_exception(ConnectionError("the session was cancelled while opening"))
            raise
        except BaseException as exc:  # anyio wraps transport failures in exception groups
            if not ready.done():  # failed while opening: the waiting callers get the cause
                ready.set_exception(exc if isinstance(exc, Exception) else ConnectionError(str(exc)))
        finally:
            self._client = None

    def reset(self) -> None:
        """Close this session (after a failure): the next call opens a new one."""
        if self._stop is not None:
            self._stop.set()
        self._task = None

    async def aclose(self) -> None:
        task = self._task
        self.reset()
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            await asyncio.gather(task, return_exceptions=True)
