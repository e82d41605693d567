"""What `noc run` recovers at start-up, and the journal's place on Slack's ack path.

At start-up (`open_journal`, before serving) this process takes a journal slot (bot.durability.journal)
and collects what processes that are gone left unsettled. `recover` (once serving) then: calls
those processes stopped, so their leases are taken back at once instead of after the dead
window; writes their delayed store records in order; sweeps (interrupted requests are told in
their threads); and replays the Slack events they acked but never recorded, through the app
exactly as a delivery (Socket Mode requests skip Bolt's signature check, so a replay needs no
secret). Slack does not retry an acked event: without the replay it would be lost.

`journal_middleware` records a question event (a mention, a person's DM) or a `/noc <question>`
slash command (keyed by its trigger_id) once the app has accepted it and before the ack leaves:
one local append, microseconds.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.durability.journal import Journal, Orphans
from bot.questions import is_question, person_dm
from bot.store import sqlite_path

log = logging.getLogger(__name__)



def journal_dir(store_config: Any) -> Path:
    if store_config.journal_dir:
        return Path(store_config.journal_dir)
    if store_config.url.startswith("sqlite:///"):
        return Path(sqlite_path(store_config.url)).resolve().parent / "noc-journal"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "noc-chatops" / "journal"


def open_journal(runtime: Any) -> Orphans:
    """Take this process's journal slot before serving; what gone processes left behind."""
    journal = Journal(journal_dir(runtime.settings.store))
    orphans = journal.open(runtime.store.owner)
    runtime.journal = journal
    runtime.outbox.journal = journal
    return orphans


async def recover(app: AsyncApp | None, runtime: Any, orphans: Orphans) -> dict[str, int]:
    """Settle what gone processes left: their owners, delayed writes, requests, acked events."""
    for owner in dict.fromkeys(orphans.owners):
        if owner != runtime.store.owner:
            try:
                await runtime.store.process_stopped(owner)
            except Exception:
                log.error("could not mark the earlier process %s stopped", owner, exc_info=True)
    writes = [e for e in orphans.entries if e.get("kind") == "write"]
    for entry in writes:
        runtime.outbox.queue(entry["op"], entry["kw"])
    await runtime.outbox.flush()
    told = await runtime.recover_interrupted()
    events = [e for e in orphans.entries if e.get("kind") in ("event", "command")]
    for entry in events:
        await replay(app, runtime, entry)
    await runtime.heartbeat.tick()  # beat now, and resume unheld alert notifications
    if writes or events:
        log.warning("recovered from an earlier process: %d delayed write(s), %d acked event(s) replayed", len(writes), len(events))
    return {"writes": len(writes), "told": told, "events": len(events)}


async def replay(app: AsyncApp | None, runtime: Any, entry: dict[str, Any]) -> None:
    """Dispatch an acked, unrecorded event or `/noc` question again, journalled again until settled.
    A slash command goes as a parsed form (Socket Mode style): its listener's ack goes nowhere."""
    body, kind = entry.get("body"), entry.get("kind", "event")
    if app is None or not isinstance(body, str):
        return
    runtime.journal.append({"kind": kind, "event_id": entry.get("event_id"), "body": body}, key=entry.get("event_id"))
    payload: str | dict[str, str] = dict(parse_qsl(body, keep_blank_values=True)) if kind == "command" else body
    try:
        response = await app.async_dispatch(AsyncBoltRequest(body=payload, mode="socket_mode"))
        if response.status != 200:
            log.error("replay of event %s answered %s", entry.get("event_id"), response.status)
    except Exception:
        log.exception("replay of event %s failed", entry.get("event_id"))


def question_event(raw: bytes) -> tuple[str, str] | None:
    """(event_id, body) of a mention or a person's DM, the events that become requests."""
    if b"app_mention" not in raw and b'"message"' not in raw:
        return None
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    event = body.get("event") if isinstance(body, dict) else None
    event_id = body.get("event_id") if isinstance(body, dict) else None
    if body.get("type") != "event_callback" or not isinstance(event, dict) or not isinstance(event_id, str):
        return None
    if event.get("bot_id"):
        return None
    if event.get("type") != "app_mention" and not (event.get("type") == "message" and person_dm(event)):
        return None
    return event_id, raw.decode("utf-8")


def question_command(raw: bytes) -> tuple[str, str] | None:
    """(trigger_id, body) of a `/noc <question>` slash command: the one that becomes a request.
    Help and `inventory [refresh]` answer at once and are not journalled (bot.questions)."""
    if b"command=%2Fnoc" not in raw:
        return None
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except ValueError:
        return None
    trigger = form.get("trigger_id")
    if form.get("command") != "/noc" or not isinstance(trigger, str) or not trigger or not is_question(form.get("text", "")):
        return None
    return trigger, raw.decode("utf-8")


def journal_middleware(runtime: Any, path: str) -> Middleware:
    @web.middleware
    async def journal(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if runtime.journal is None or request.method != "POST" or request.path != path or response.status != 200:
            return response
        raw = await request.read()
        found, kind = question_event(raw), "event"
        if found is None:
            found, kind = question_command(raw), "command"
        if found is not None:
            runtime.journal.append({"kind": kind, "event_id": found[0], "body": found[1]}, key=found[0])
        return response
    return journal
