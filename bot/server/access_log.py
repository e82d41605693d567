"""Access lines and the start-up summary of `noc run` (logger `noc.access` and `bot.server.app`).

One INFO line per Slack request (both modes: `log_slack_requests` wraps Bolt's dispatch, so
Socket Mode envelopes are logged as HTTP events are) and per alert notification (the HTTP
middleware in bot/server/app.py calls `alert_access`), with what it was, who sent it, the answer's
status and the time to ack.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.request.internals import extract_channel_id, extract_user_id

from agents.log_context import log_fields

access_log = logging.getLogger("noc.access")
log = logging.getLogger("bot.server.app")
# In the Bolt context of a request bot.server.slack_door acked before dispatching it: its ack's
# time (ms), which the access line reports instead of the dispatch's.
ACK_MS = "noc_ack_ms"


def _what(body: dict[str, Any]) -> tuple[str, str]:
    """The kind of Slack request and its subject: an event's type, a command, an action's id."""
    if body.get("command"):
        return "command", str(body["command"])
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        return "event", str((body.get("event") or {}).get("type") or "unknown")
    if kind == "block_actions":
        actions = body.get("actions") or [{}]
        return "action", str(actions[0].get("action_id") or "unknown")
    if kind in ("view_submission", "view_closed", "shortcut", "message_action"):
        return kind, str(body.get("callback_id") or (body.get("view") or {}).get("callback_id") or "")
    return kind, ""


def log_slack_requests(app: Any) -> None:
    """Wrap the app's dispatch: every Slack request, over HTTP or Socket Mode, passes through it
    (both of Bolt's adapters call `app.async_dispatch`), from before its middleware to its ack.
    Why not a Bolt global middleware: Bolt runs those one after the other before any listener, so
    one cannot time the ack, see its status, or bind the user and channel around the listener.
    Inside, the user and channel are bound (agents/log_context.py): the work the listener spawns
    inherits them. A request the front door acked before dispatching it (bot.server.slack_door)
    is logged when Bolt dispatches it, with the door's ack time."""
    dispatch = app.async_dispatch

    async def logged(req: Any) -> Any:
        started = time.monotonic()
        body = req.body if isinstance(getattr(req, "body", None), dict) else {}
        kind, subject = _what(body)
        status: int | str = "error"
        with log_fields(user=extract_user_id(body), channel=extract_channel_id(body)):
            try:
                response = await dispatch(req)
                status = response.status
                return response
            finally:
                acked = req.context.get(ACK_MS) if isinstance(getattr(req, "context", None), dict) else None
                ms = acked if acked is not None else round((time.monotonic() - started) * 1000, 1)
                access_log.info("slack %s %s status=%s ack_ms=%s", kind, subject, status, ms,
                                extra={"fields": {"access": "slack", "kind": kind, "subject": subject, "status": status, "ack_ms": ms}})

    app.async_dispatch = logged


def alert_access(endpoint: str, status: int, seconds: float, remote: str | None) -> None:
    ms = round(seconds * 1000, 1)
    access_log.info("alert %s status=%s ms=%s from=%s", endpoint, status, ms, remote or "-",
                    extra={"fields": {"access": "alert", "endpoint": endpoint, "status": status, "ms": ms, "remote": remote}})


def startup_summary(runtime: Any, *, mode: str, host: str, port: int) -> None:
    """What `noc run` loaded, in one INFO line (and as fields in JSON)."""
    from agents.router.cache import loaded_digest
    from bot.store.engine import async_url, describe

    settings = runtime.settings
    inventory = settings.network.inventory
    source = f"inventory {inventory}" if inventory else f"embedded lab (scenario {settings.network.scenario})"
    devices = len(runtime.toolbox.inventory)
    store = f"{describe(async_url(runtime.store.url))} at schema {runtime.store.revision}"
    engine = "Claude (anthropic)" if runtime.claude else "offline rules (no ANTHROPIC_API_KEY)"
    slack = "Socket Mode" if mode == "socket" else f"HTTP mode (/slack/events on {host}:{port})"
    log.info("noc-chatops ready: %s, %d devices; store %s; engine %s; router model %s; Slack %s; HTTP on %s:%s",
             source, devices, store, engine, loaded_digest(), slack, host, port,
             extra={"fields": {"inventory": str(inventory) if inventory else "lab", "devices": devices, "store": store,
                               "engine": "anthropic" if runtime.claude else "offline", "slack_mode": mode, "port": port}})
