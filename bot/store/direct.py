"""PostgreSQL: the hot writes of a group-commit batch as one statement a kind, on the driver's
own connection, outside any transaction.

Why (issue 27, the store under a burst): through SQLAlchemy a batch of claims, access records,
request rows or answers cost BEGIN, a statement a table, COMMIT: three to six round trips, each
waiting for the server's backend to be scheduled, and SQLAlchemy's execution path costs about
twice asyncpg's CPU a statement. Here each kind is one statement on the asyncpg connection, which
is in autocommit when SQLAlchemy has opened no transaction on it: a table's rows travel as one
JSON parameter (`json_to_recordset`), the answer's four tables are data-modifying CTEs of one
statement. One statement is atomic by itself, so what a caller is told is written, is, and a
statement that raised wrote nothing. The text does not depend on how many rows, so asyncpg
prepares it once a connection.

What a statement does not settle it returns as `UNDONE`, and the group commit writes those works
the usual way (`Merged.one`, in a transaction, after the statement), so the rare cases keep their
one tested path: a repeated id in a batch (written as if in turn), a claim that exists already
(perhaps to take over), an answer without a Slack event or with an event another answer in the
batch has.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import schema
from bot.store.group_commit import UNDONE, first_of_each


@contextlib.asynccontextmanager
async def driver(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled connection's asyncpg connection. One found closed after use is invalidated, so the
    pool opens a fresh one instead of handing it out again."""
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        if raw is None:
            raise RuntimeError("the pooled connection has no driver connection")
        try:
            yield raw
        finally:
            if raw.is_closed():
                await conn.invalidate()


# The newest answer of each thread asked for (`RequestsMixin.last_answer_in_thread`, read for every
# request), in one statement for the reads that arrive together (bot.store.read_batch).
_LAST_ANSWERS = ("SELECT k.n, (SELECT r.answer_json FROM requests AS r WHERE r.channel = k.channel "
                 "AND r.thread_ts = k.thread_ts AND r.answer_json IS NOT NULL ORDER BY r.created_at DESC LIMIT 1) "
                 "FROM json_to_recordset($1::json) AS k(n int, channel text, thread_ts text)")


async def last_answers(conn: Any, threads: list[tuple[str, str]]) -> list[str | None]:
    """The stored answer document of each (channel, thread_ts) in order; None where there is none."""
    rows = await conn.fetch(_LAST_ANSWERS, _json({"n": n, "channel": c, "thread_ts": t} for n, (c, t) in enumerate(threads)))
    answers: list[str | None] = [None] * len(threads)
    for n, answer in rows:
        answers[n] = answer
    return answers


_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]  # (only compiles the columns' types)


def _rows_of(table: Table, columns: Sequence[str], param: int) -> str:
    """The rows of JSON parameter `param` (a list of objects, keyed by column) as `columns`."""
    types = ", ".join(f'"{c}" {table.c[c].type.compile(dialect=_DIALECT)}' for c in columns)
    return f"SELECT {_names(columns)} FROM json_to_recordset(${param}::json) AS x({types})"


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _insert(table: Table, columns: Sequence[str], param: int = 1) -> str:
    return f"INSERT INTO {table.name} ({_names(columns)}) {_rows_of(table, columns, param)}"


def _json(rows: Iterable[dict[str, Any]]) -> str:
    """The rows as one parameter: json.dumps is C, where asyncpg's array encoding checks every
    element's type in Python (most of this module's CPU when the rows travelled as arrays)."""
    return json.dumps(list(rows), separators=(",", ":"))


@lru_cache(maxsize=8)
def _claims_sql(columns: tuple[str, ...]) -> str:
    return f"{_insert(schema.processed_events, columns)} ON CONFLICT (event_id) DO NOTHING RETURNING event_id"


async def claims(conn: Any, items: list[dict[str, Any]]) -> list[Any]:
    """New event ids in one INSERT; an id that exists (or repeats in the batch) is left UNDONE:
    `Merged.one` decides it (an expired claim may be taken over)."""
    first, _ = first_of_each([c["event_id"] for c in items])
    columns = tuple(items[0])
    fresh = {row[0] for row in await conn.fetch(_claims_sql(columns), _json(items[n] for n in first))}
    firsts = set(first)
    return [True if n in firsts and c["event_id"] in fresh else UNDONE for n, c in enumerate(items)]


@lru_cache(maxsize=8)
def _audits_sql(columns: tuple[str, ...]) -> str:
    return _insert(schema.audit_events, columns)


async def audits(conn: Any, items: list[dict[str, Any]]) -> list[Any]:
    columns = tuple(items[0])
    await conn.execute(_audits_sql(columns), _json(items))
    return [None] * len(items)


@lru_cache(maxsize=8)
def _receive_sql(columns: tuple[str, ...]) -> str:
    r, e = schema.requests, schema.processed_events
    return (f"WITH made AS ({_insert(r, columns)} ON CONFLICT (id) DO NOTHING RETURNING id), "
            f"link AS (UPDATE {e.name} AS e SET request_id = l.request_id "
            "FROM json_to_recordset($2::json) AS l(event_id text, request_id text) WHERE e.event_id = l.event_id) "
            "SELECT id FROM made")


async def received(conn: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """Request rows in one INSERT, their events linked to them in the same statement; a repeated
    id is left UNDONE (written after, as if in turn)."""
    first, _ = first_of_each([row["id"] for row in rows])
    columns = tuple(rows[0])
    ones = [rows[n] for n in first]
    links = {row["event_id"]: row["id"] for row in ones if row["event_id"] is not None}  # the last link of an event wins
    made = {row[0] for row in await conn.fetch(_receive_sql(columns), _json(ones),
                                                _json({"event_id": e, "request_id": r} for e, r in links.items()))}
    firsts = set(first)
    return [rows[n]["id"] in made if n in firsts else UNDONE for n in range(len(rows))]


@lru_cache(maxsize=8)
def _answers_sql(columns: tuple[str, ...], updated: tuple[str, ...], run_columns: tuple[str, ...],
                 call_columns: tuple[str, ...]) -> str:
    r, e = schema.requests, schema.processed_events
    runs, calls = _insert(schema.agent_runs, run_columns, 2), _insert(schema.tool_calls, call_columns, 3)
    events = _insert(e, _EVENT_COLUMNS, 4)
    return (f"WITH r AS ({_insert(r, columns)} ON CONFLICT (id) DO UPDATE SET "
            f"{_set_excluded(updated)}), "
            f"a AS ({runs}), t AS ({calls}), "
            f"e AS ({events} ON CONFLICT (event_id) DO UPDATE SET finished_at = EXCLUDED.finished_at) "
            "SELECT 1")


def _set_excluded(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in columns)


_EVENT_COLUMNS = ("event_id", "at", "owner", "finished_at", "request_id")


async def answers(conn: Any, items: list[Any], owner: str) -> list[Any]:
    """Answers (bot.store.requests._Answered) in one statement: their rows upserted, their agent
    runs and tool calls inserted, their Slack events finished (created if the claim never reached
    the store). Left UNDONE: an answer without an event, a repeated request, an event already
    finished by another answer of the batch."""
    first, _ = first_of_each([item.request_id for item in items])
    seen: set[str] = set()
    ones: list[int] = []
    for n in first:
        event = items[n].event_id
        if event is not None and event not in seen and items[n].updated == items[first[0]].updated:
            ones.append(n)
            seen.add(event)
    if not ones:
        return [UNDONE] * len(items)
    batch = [items[n] for n in ones]
    columns, updated = tuple(batch[0].row), tuple(batch[0].updated)
    runs = [run for item in batch for run in item.runs]
    calls = [call for item in batch for call in item.calls]
    run_columns = tuple(runs[0]) if runs else ("request_id",)
    call_columns = tuple(calls[0]) if calls else ("request_id",)
    events = [dict(event_id=i.event_id, at=i.now, owner=owner, finished_at=i.now, request_id=i.request_id) for i in batch]
    await conn.execute(_answers_sql(columns, updated, run_columns, call_columns),
                       _json(i.row for i in batch), _json(runs), _json(calls), _json(events))
    written = set(ones)
    return [None if n in written else UNDONE for n in range(len(items))]
