"""Serving the bot: HTTP mode (Bolt's aiohttp app at /slack/events) or Socket Mode, plus the
small HTTP server for /healthz (liveness), /readyz (readiness, bot/server/health.py) and /metrics that
runs in both modes."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.durability.recovery import open_journal, recover
from bot.http_input import quiet_malformed_http
from bot.metrics import BotMetrics, exposition, registry_for
from bot.runtime import Runtime
from bot.server.access_log import alert_access, log_slack_requests, startup_summary
from bot.server.health import Readiness
from bot.server.slack_door import DOOR_KEY, SlackDoor
from bot.slack.client import observer_of
from bot.slack.http_guard import signing_secret_of, slack_events_guard
from bot.triage.http import add_alert_routes

log = logging.getLogger(__name__)


EVENTS_PATH = "/slack/events"
# Connections the kernel holds for us before they are accepted (capped by net.core.somaxconn).
# aiohttp's default of 128 let a burst of 200 Slack requests overflow the queue: the connections
# past it were dropped and retried by the client after its 1 s SYN timeout (ack p95 1.25 s at
# N=200 through `noc run`, p50 0.38 s).
LISTEN_BACKLOG = 1024


READINESS_KEY = web.AppKey("readiness", Readiness)


def build_web_app(app: AsyncApp | None, runtime: Runtime, *, mode: str) -> web.Application:
    """/slack/events (HTTP mode only, screened by bot.slack.http_guard before Bolt), /healthz, /readyz and /metrics."""
    if app is not None:
        web_app = web.Application()
        # Acks first, Bolt's dispatch after (bot.server.slack_door); questions journalled before their ack.
        door = web_app[DOOR_KEY] = SlackDoor(app, runtime)
        web_app.router.add_post(EVENTS_PATH, door.handle)
        web_app.middlewares.append(slack_events_guard(EVENTS_PATH, signing_secret_of(app)))  # builds Bolt's request once
        web_app.middlewares.insert(0, runtime.acks.middleware)  # outermost: counts what the guard screens too
    else:
        web_app = web.Application()
    started = time.time()

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "mode": mode, "uptime_s": round(time.time() - started, 1),
                                  "devices": len(runtime.toolbox.inventory), "jobs": len(runtime.tasks),
                                  "llm": "anthropic" if runtime.claude else "offline", "inventory": runtime.inventory.status()})

    readiness = Readiness(runtime.store, mode=mode)
    web_app[READINESS_KEY] = readiness

    async def readyz(request: web.Request) -> web.Response:
        ready, checks = await readiness.check()
        return web.json_response({"status": "ready" if ready else "not ready", "mode": mode, "checks": checks},
                                 status=200 if ready else 503)

    registry = registry_for(runtime.resilience, bot=runtime.metrics, slack=observer_of(runtime.client),
                            gateway=runtime.toolbox.gateway, process=True)
    web_app.middlewares.insert(0, http_observer(runtime.metrics))

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=exposition(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics)
    add_alert_routes(web_app, runtime.triage, runtime.spawn)
    return web_app


def http_observer(metrics: BotMetrics) -> Middleware:
    """Outermost middleware: every HTTP request counted by route and status, timed, and alerts
    counted by endpoint and outcome (accepted: 202; rejected: any other answer)."""

    @web.middleware
    async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        code = 500
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as exc:
            code = exc.status
            raise
        finally:
            route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
            metrics.http_requests.labels(route, str(code)).inc()
            metrics.http_duration.labels(route).observe(time.monotonic() - started)
            if route.startswith("/alerts/"):
                metrics.alerts.labels(route.removeprefix("/alerts/"), "accepted" if code == 202 else "rejected").inc()
                alert_access(route.removeprefix("/alerts/"), code, time.monotonic() - started, request.remote)

    return observe


@dataclass
class RunningBot:
    runner: web.AppRunner
    port: int
    socket_handler: AsyncSocketModeHandler | None = None

    async def stop(self, runtime: Runtime) -> None:
        if self.socket_handler is not None:
            await self.socket_handler.close_async()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
        await runtime.shutdown()
        await self.runner.cleanup()


async def start_bot(app: AsyncApp, runtime: Runtime, *, host: str, port: int, app_token: str | None) -> RunningBot:
    """Start serving; returns once the HTTP server listens (and Socket Mode is connected)."""
    await runtime.identity.warm()  # who the bot is, asked once before the first request (bot.slack.identity)
    log_slack_requests(app)  # one access line per Slack request, user and channel on every line of its work
    mode = "socket" if app_token else "http"
    web_app = build_web_app(app if mode == "http" else None, runtime, mode=mode)
    quiet_malformed_http()  # aiohttp's own 400s (bad request line, header, chunk): one line each, no traceback
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=LISTEN_BACKLOG)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    handler = None
    if app_token:
        handler = AsyncSocketModeHandler(app, app_token=app_token, web_client=runtime.client,
                                         ping_interval=runtime.settings.slack.socket_ping_interval_s)
        await handler.connect_async()  # type: ignore[no-untyped-call]
        web_app[READINESS_KEY].socket = handler.client
    return RunningBot(runner=runner, port=bound, socket_handler=handler)


def freeze_heap() -> None:
    """Keep what start-up allocated (modules, the router model, the inventory, the app) out of the
    garbage collector's generations. Why: every full collection walked all of it on the event
    loop, about 50 ms each time (bench/throughput.py), and one falling inside a burst of Slack
    requests delayed every ack waiting behind it."""
    gc.collect()
    gc.freeze()


class StartupError(Exception):
    """The bot cannot start serving (port in use, bad address): one line for the operator."""


async def serve_forever(app: AsyncApp, runtime: Runtime, *, host: str, port: int, app_token: str | None,
                        shutdown_grace_s: float = 20.0) -> None:
    """Serve until SIGINT/SIGTERM. Then stop taking new work, let running requests finish for
    `shutdown_grace_s`, and cancel the rest: they are marked interrupted and their threads told.

    The signal handlers are installed before the server listens: a SIGTERM that arrives while it
    starts (a pod deleted during a rollout, right after its first request was acked) then stops
    it gracefully once started, instead of killing it with that request unanswered."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        orphans = open_journal(runtime)
    except OSError as exc:
        await runtime.shutdown()
        raise StartupError(f"cannot open the journal: {exc}") from None
    # Before listening: the full collection takes 0.1 s or more on this machine, and done once
    # serving, a burst sent as soon as /healthz answered could have every ack wait behind it.
    freeze_heap()
    try:
        bot = await start_bot(app, runtime, host=host, port=port, app_token=app_token)
    except OSError as exc:
        await runtime.shutdown()
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        await recover(app, runtime, orphans)
    except Exception:  # what could not be recovered now is swept again on every heartbeat
        log.exception("start-up recovery failed")
    startup_summary(runtime, mode="socket" if app_token else "http", host=host, port=bot.port)
    try:
        await stop.wait()
    finally:
        if bot.socket_handler is not None:
            await bot.socket_handler.close_async()  # type: ignore[no-untyped-call]
            bot.socket_handler = None
        for site in list(bot.runner.sites):
            await site.stop()
        if runtime.tasks or runtime.acks.listeners:
            log.info("shutting down: waiting up to %gs for %d running job(s) and %d acked request(s) starting theirs",
                     shutdown_grace_s, len(runtime.tasks), len(runtime.acks.listeners))
            await runtime.drain(timeout=shutdown_grace_s)
        log.info("shutting down: cancelling %d job(s)", len(runtime.tasks))
        await bot.stop(runtime)
