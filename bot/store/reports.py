"""What the health report and the live alerts read and write beyond `OpsMixin`.

Kept apart from `ops.py` so the report's needs (live alert messages that are updated when a
breaker recovers, cost per calendar day, runs per day for the chart, the previous sweep to
compare with) sit in one place. Same rules as the rest of the store: one statement per decision,
times in the store's clock seconds, rows as plain dicts.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import schema
from bot.store.base import StoreBase


class ReportsMixin(StoreBase):
    # -- live alerts: one row per episode, updated when it ends ---------------------------------

    async def open_alert(self, *, source: str, name: str, summary: str, severity: str | None = None,
                         fingerprint: str | None = None, payload: dict[str, Any] | None = None,
                         channel: str | None = None, thread_ts: str | None = None, at: float | None = None) -> int:
        """Store an alert that has just started (status `open`); returns its id for updates."""
        values = dict(at=self.clock() if at is None else at, source=source, name=name, status="open", severity=severity,
                      fingerprint=fingerprint, summary=summary, channel=channel, thread_ts=thread_ts,
                      payload_json=json.dumps(payload, default=str) if payload is not None else None)

        async def work(conn: AsyncConnection) -> int:
            return int((await conn.execute(insert(schema.alerts).values(**values).returning(schema.alerts.c.id))).scalar_one())
        return await self._write(work)

    async def update_alert(self, alert_id: int, *, status: str | None = None, summary: str | None = None,
                           payload: dict[str, Any] | None = None, channel: str | None = None,
                           thread_ts: str | None = None) -> None:
        """Change what is known about an alert (its Slack message, its end); None leaves a field."""
        values: dict[str, Any] = {k: v for k, v in (("status", status), ("summary", summary), ("channel", channel),
                                                    ("thread_ts", thread_ts)) if v is not None}
        if payload is not None:
            values["payload_json"] = json.dumps(payload, default=str)
        if not values:
            return

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(update(schema.alerts).where(schema.alerts.c.id == alert_id).values(**values))
        await self._write(work)

    async def latest_alert(self, source: str, fingerprint: str, since: float | None = None) -> dict[str, Any] | None:
        """The newest alert of a source with this fingerprint (open, or resolved since `since`):
        the triage thread a repeat, a resolution or a flap of the same group belongs to."""
        a = schema.alerts
        query = select(a).where(a.c.source == source, a.c.fingerprint == fingerprint).order_by(a.c.at.desc(), a.c.id.desc()).limit(1)
        rows = await self._rows(query)
        if not rows:
            return None
        row = rows[0]
        raw = row.pop("payload_json")
        row["payload"] = json.loads(raw) if raw else {}
        ended = row["payload"].get("resolved_at", row["at"])
        if row["status"] != "open" and since is not None and ended < since:
            return None  # resolved long enough ago: a new firing is a new incident, not a flap
        return row

    async def open_alerts(self, source: str) -> list[dict[str, Any]]:
        """Alerts of one source still open (oldest first), with their payloads decoded."""
        a = schema.alerts
        rows = await self._rows(select(a).where(a.c.source == source, a.c.status == "open").order_by(a.c.at, a.c.id))
        for row in rows:
            raw = row.pop("payload_json")
            row["payload"] = json.loads(raw) if raw else {}
        return rows

    # -- cost and runs over time ------------------------------------------------------------------

    async def request_totals(self, start: float, end: float) -> dict[str, Any]:
        """Requests received in [start, end): how many, tokens and LLM cost (a calendar day's bill)."""
        r = schema.requests
        rows = await self._rows(select(func.count().label("requests"), func.coalesce(func.sum(r.c.tokens), 0).label("tokens"),
                                       func.coalesce(func.sum(r.c.cost_usd), 0.0).label("cost_usd"))
                                .where(r.c.created_at >= start, r.c.created_at < end))
        row = rows[0]
        return {"requests": int(row["requests"]), "tokens": int(row["tokens"] or 0), "cost_usd": float(row["cost_usd"] or 0.0)}

    async def top_spenders(self, start: float, end: float, limit: int = 3) -> dict[str, list[dict[str, Any]]]:
        """The biggest LLM spenders in [start, end): per specialist (its runs' cost) and per
        requester (the Slack user, or the request's source when no user asked: triage, a rerun)."""
        a, r = schema.agent_runs, schema.requests
        cost = func.coalesce(func.sum(a.c.cost_usd), 0.0).label("cost_usd")
        agents = await self._rows(select(a.c.agent.label("name"), cost, func.coalesce(func.sum(a.c.tokens), 0).label("tokens"))
                                  .where(a.c.at >= start, a.c.at < end).group_by(a.c.agent)
                                  .order_by(cost.desc(), a.c.agent).limit(limit))
        who = func.coalesce(r.c.user_id, r.c.source)
        spent = func.coalesce(func.sum(r.c.cost_usd), 0.0).label("cost_usd")
        users = await self._rows(select(who.label("name"), spent, func.count().label("requests"))
                                 .where(r.c.created_at >= start, r.c.created_at < end).group_by(who)
                                 .order_by(spent.desc(), who).limit(limit))
        return {"specialists": [row for row in agents if row["cost_usd"]], "requesters": [row for row in users if row["cost_usd"]]}

    async def agent_runs_between(self, start: float, end: float | None = None) -> list[dict[str, Any]]:
        """Agent runs in [start, end), just what per-day success rate, latency and confidence need."""
        r = schema.agent_runs
        query = select(r.c.at, r.c.agent, r.c.status, r.c.duration_s, r.c.confidence).where(r.c.at >= start).order_by(r.c.at, r.c.id)
        return await self._rows(query if end is None else query.where(r.c.at < end))

    # -- the sweep a report compares with ---------------------------------------------------------

    async def last_health_sweep(self, *, before: float, prefix: str) -> dict[str, Any] | None:
        """The newest sweep before `before` whose request id starts with `prefix`, decoded."""
        h = schema.health_sweeps
        rows = await self._rows(select(h.c.at, h.c.request_id, h.c.result_json)
                                .where(h.c.at < before, h.c.request_id.like(prefix.replace("%", "") + "%"))
                                .order_by(h.c.at.desc(), h.c.id.desc()).limit(1))
        if not rows:
            return None
        row = rows[0]
        return {"at": row["at"], "request_id": row["request_id"], "result": json.loads(row["result_json"])}
