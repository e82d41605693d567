"""The lifecycle both loopback fakes share: an aiohttp app on 127.0.0.1 (port 0) served from a
background thread with its own event loop, so the code under test may run (and end) its own
loops with `asyncio.run` while the fake keeps serving."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class LoopbackServer:
    name = "loopback"

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.url = ""

    # hooks for subclasses
    def build_app(self) -> web.Application:
        raise NotImplementedError

    def on_started(self) -> None:
        """Called in the server thread once `port` and `url` are known."""

    async def before_cleanup(self) -> None:
        """Called in the server loop before the app is torn down (close sockets etc.)."""

    def start(self):
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread = None
            raise RuntimeError(f"{type(self).__name__} failed to start: {failure[0] if failure else 'timeout'}")
        return self

    async def _serve(self) -> None:
        # handler_cancellation: a client that gives up cancels the handler (slow replies stop at once).
        self._runner = web.AppRunner(self.build_app(), access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"
        self.on_started()

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return

        async def shutdown() -> None:
            await self.before_cleanup()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(timeout=10)
        except Exception:  # noqa: BLE001 - best effort on teardown
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = self._runner = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
