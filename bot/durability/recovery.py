"""What `noc run` recovers at start-up, and the journal's place on Slack's ack path.

At start-up (`open_journal`, before serving) this process takes a journal slot (bot.durability.journal)
and collects what processes that are gone left unsettled. `recover` (once serving) then: calls
those processes stopped, so their leases are taken back at once instead of after the dead
window; writes their delayed store records in order; sweeps (interrupted requests are told in
their threads); and replays the Slack events they acked but never recorded, through the app
exactly as a delivery (Socket Mode requests skip Bolt's signature check, so a replay needs no
secret). Slack does not retry an acked event: without the replay it would be lost.

`journal_question` records a question event (a mention, a person's DM) or a `/noc <question>`
slash command (keyed by its trigger_id) before its ack leaves (bot.server.slack_door): one local
append, microseconds, from the body the front door parsed once.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

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


def question_entry(body: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, key) of a request that becomes a question, by its parsed body (as Bolt parsed it):
    a mention or a person's DM ("event", keyed by its event_id), or a `/noc <question>` slash
    command ("command", keyed by its trigger_id). Help and `inventory [refresh]` answer at once
    and are not journalled (bot.questions)."""
    if body.get("type") == "event_callback":
        event, event_id = body.get("event"), body.get("event_id")
        if not isinstance(event, dict) or not isinstance(event_id, str) or not event_id or event.get("bot_id"):
            return None
        if event.get("type") == "app_mention" or (event.get("type") == "message" and person_dm(event)):
            return "event", event_id
        return None
    trigger, text = body.get("trigger_id"), body.get("text", "")
    if body.get("command") == "/noc" and isinstance(trigger, str) and trigger and isinstance(text, str) and is_question(text):
        return "command", trigger
    return None


def journal_question(journal: Journal | None, body: dict[str, Any], raw: str) -> None:
    """Record an accepted question before its ack leaves (`raw`: its body as Slack sent it, which
    `replay` dispatches again). A Slack retry of one still unsettled adds nothing."""
    if journal is None or (found := question_entry(body)) is None:
        return
    kind, key = found
    if not journal.holds(key):
        journal.append({"kind": kind, "event_id": key, "body": raw}, key=key)
