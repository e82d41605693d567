"""The store: what happened, kept for the health report, audits of access and feedback.

SQLite through aiosqlite is the embedded default (one file, no server). The schema is plain SQL
so another backend can implement the same methods. Writes are small and serialised through
one connection; `claim_event` is the idempotency gate for Slack's retries and duplicates.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import aiosqlite

from agents.models import Answer

_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, source TEXT NOT NULL, user_id TEXT, channel TEXT, thread_ts TEXT,
    question TEXT NOT NULL, status TEXT, severity TEXT, confidence REAL, summary TEXT, devices TEXT,
    duration_s REAL, llm_calls INTEGER, tokens INTEGER, cost_usd REAL, answer_json TEXT, required_role TEXT
);
CREATE INDEX IF NOT EXISTS requests_thread ON requests (channel, thread_ts, created_at);
CREATE TABLE IF NOT EXISTS agent_runs (
    request_id TEXT NOT NULL, agent TEXT NOT NULL, status TEXT NOT NULL, engine TEXT, confidence REAL,
    duration_s REAL, llm_calls INTEGER, tokens INTEGER, cost_usd REAL, error TEXT
);
CREATE TABLE IF NOT EXISTS tool_calls (
    request_id TEXT NOT NULL, agent TEXT NOT NULL, tool TEXT NOT NULL, device TEXT, ok INTEGER NOT NULL, duration_s REAL
);
CREATE TABLE IF NOT EXISTS audit_events (
    at REAL NOT NULL, user_id TEXT, channel TEXT, command TEXT NOT NULL, outcome TEXT NOT NULL, reason TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    request_id TEXT NOT NULL, user_id TEXT, value TEXT NOT NULL, at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS processed_events (event_id TEXT PRIMARY KEY, at REAL NOT NULL);
"""


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> "Store":
        path = sqlite_path(self.url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(path)
        self._db.row_factory = aiosqlite.Row
        await self._db.executescript(_SCHEMA)
        await self._db.commit()
        return self

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not open")
        return self._db

    async def claim_event(self, event_id: str) -> bool:
        """True the first time an event id is seen; False for every retry or duplicate delivery."""
        cursor = await self.db.execute("INSERT OR IGNORE INTO processed_events (event_id, at) VALUES (?, ?)", (event_id, time.time()))
        await self.db.commit()
        return cursor.rowcount == 1

    async def record_answer(self, answer: Answer, *, source: str, user: str | None, channel: str | None, thread_ts: str | None,
                            required_role: str = "viewer") -> None:
        u = answer.usage
        await self.db.execute(
            "INSERT OR REPLACE INTO requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (answer.request_id, time.time(), source, user, channel, thread_ts, answer.question, answer.status, answer.severity.value,
             answer.confidence, answer.summary, json.dumps(answer.devices), answer.duration_s, u.llm_calls,
             u.input_tokens + u.output_tokens, u.cost_usd, answer.model_dump_json(), required_role),
        )
        for r in answer.responses:
            await self.db.execute(
                "INSERT INTO agent_runs VALUES (?,?,?,?,?,?,?,?,?,?)",
                (answer.request_id, r.agent.value, r.status, r.engine, r.confidence, r.duration_s, r.usage.llm_calls,
                 r.usage.input_tokens + r.usage.output_tokens, r.usage.cost_usd, r.error),
            )
            await self.db.executemany(
                "INSERT INTO tool_calls VALUES (?,?,?,?,?,?)",
                [(answer.request_id, r.agent.value, e.tool, e.device, int(e.ok), e.duration_s) for e in r.evidence],
            )
        await self.db.commit()

    async def answer(self, request_id: str) -> tuple[Answer, dict[str, Any]] | None:
        cursor = await self.db.execute("SELECT answer_json, user_id, channel, thread_ts, source, required_role FROM requests WHERE id = ?", (request_id,))
        row = await cursor.fetchone()
        if row is None or row["answer_json"] is None:
            return None
        meta = {k: row[k] for k in ("user_id", "channel", "thread_ts", "source", "required_role")}
        return Answer.model_validate_json(row["answer_json"]), meta

    async def last_answer_in_thread(self, channel: str, thread_ts: str) -> Answer | None:
        cursor = await self.db.execute(
            "SELECT answer_json FROM requests WHERE channel = ? AND thread_ts = ? AND answer_json IS NOT NULL ORDER BY created_at DESC LIMIT 1",
            (channel, thread_ts))
        row = await cursor.fetchone()
        return Answer.model_validate_json(row["answer_json"]) if row else None

    async def record_audit(self, *, user: str | None, channel: str | None, command: str, outcome: str, reason: str = "") -> None:
        await self.db.execute("INSERT INTO audit_events VALUES (?,?,?,?,?,?)", (time.time(), user, channel, command, outcome, reason))
        await self.db.commit()

    async def audit_events(self) -> list[dict[str, Any]]:
        cursor = await self.db.execute("SELECT * FROM audit_events ORDER BY at")
        return [dict(r) for r in await cursor.fetchall()]

    async def record_feedback(self, request_id: str, user: str | None, value: str) -> None:
        await self.db.execute("INSERT INTO feedback VALUES (?,?,?,?)", (request_id, user, value, time.time()))
        await self.db.commit()

    async def feedback(self, request_id: str) -> list[dict[str, Any]]:
        cursor = await self.db.execute("SELECT * FROM feedback WHERE request_id = ? ORDER BY at", (request_id,))
        return [dict(r) for r in await cursor.fetchall()]

    async def count(self, table: str) -> int:
        if table not in {"requests", "agent_runs", "tool_calls", "audit_events", "feedback", "processed_events"}:
            raise ValueError(table)
        cursor = await self.db.execute(f"SELECT COUNT(*) FROM {table}")
        return (await cursor.fetchone())[0]
