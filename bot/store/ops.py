"""What the operation of the bot leaves behind: audit events, feedback, the shared token budget,
breaker history, agent statistics, report claims, health sweeps, config snapshots and alerts.

Everything several replicas must agree on is one atomic statement (an upsert that returns the
new total, an insert that fails on a duplicate key), so no replica ever reads, decides and
writes in separate steps.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store import direct, schema
from bot.store.base import StoreBase
from bot.store.group_commit import Merged


class OpsMixin(StoreBase):
    # -- access audit and feedback ------------------------------------------------------------------

    async def record_audit(self, *, user: str | None, channel: str | None, command: str, outcome: str,
                           reason: str = "") -> None:
        """An access decision or a button click: who, where, what, allowed or denied and why.
        On the ack path like an event claim, so bounded by `ack_patience_s` (`StoreBusy`)."""
        row = dict(at=self.clock(), user_id=user, channel=channel, command=command, outcome=outcome, reason=reason)

        await self._write_sync(Merged(_audit_one, _audits, row, direct.audits), patience_s=self.ack_patience_s)

    async def audit_events(self, *, since: float | None = None, user: str | None = None,
                           limit: int | None = None) -> list[dict[str, Any]]:
        """Oldest first (the order things happened); `limit` keeps the newest."""
        a = schema.audit_events
        query = select(a.c.at, a.c.user_id, a.c.channel, a.c.command, a.c.outcome, a.c.reason)
        if since is not None:
            query = query.where(a.c.at >= since)
        if user is not None:
            query = query.where(a.c.user_id == user)
        if limit is not None:
            rows = await self._rows(query.order_by(a.c.at.desc(), a.c.id.desc()).limit(limit))
            return rows[::-1]
        return await self._rows(query.order_by(a.c.at, a.c.id))

    async def record_feedback(self, request_id: str, user: str | None, value: str) -> None:
        await self._insert(schema.feedback, request_id=request_id, user_id=user, value=value, at=self.clock())

    async def feedback(self, request_id: str) -> list[dict[str, Any]]:
        f = schema.feedback
        return await self._rows(select(f.c.request_id, f.c.user_id, f.c.value, f.c.at)
                                .where(f.c.request_id == request_id).order_by(f.c.at, f.c.id))

    # -- the daily token budget --------------------------------------------------------------

    async def add_tokens(self, day: str, tokens: int) -> int:
        """Add to a budget day and return the day's new total, atomically across replicas."""
        t = schema.token_budget

        async def work(conn: AsyncConnection) -> int:
            now = self.clock()
            statement = self._upsert(t, ["day"], {"day": day, "tokens": tokens, "updated_at": now},
                                     {"tokens": t.c.tokens + tokens, "updated_at": now}).returning(t.c.tokens)
            return int((await conn.execute(statement)).scalar_one())
        return await self._write(work)

    async def tokens_used(self, day: str) -> int:
        rows = await self._rows(select(schema.token_budget.c.tokens).where(schema.token_budget.c.day == day))
        return int(rows[0]["tokens"]) if rows else 0

    # -- circuit breakers ---------------------------------------------------------------------

    async def record_breaker_transition(self, breaker: str, from_state: str, to_state: str, reason: str = "",
                                        at: float | None = None) -> None:
        await self._insert(schema.breaker_transitions, at=self.clock() if at is None else at, breaker=breaker,
                           from_state=from_state, to_state=to_state, reason=reason)

    async def breaker_transitions(self, since: float | None = None) -> list[dict[str, Any]]:
        b = schema.breaker_transitions
        query = select(b.c.at, b.c.breaker, b.c.from_state, b.c.to_state, b.c.reason).order_by(b.c.at, b.c.id)
        return await self._rows(query if since is None else query.where(b.c.at >= since))

    # -- agent statistics ---------------------------------------------------------------------

    async def agent_stats(self, since: float | None = None) -> list[dict[str, Any]]:
        """Per agent and instance: runs, success rate, latency p50/p95, failures by kind, tokens
        and cost. Percentiles are computed here, not in SQL, so both backends agree exactly."""
        r = schema.agent_runs
        query = select(r.c.agent, r.c.instance, r.c.status, r.c.failure_kind, r.c.duration_s, r.c.tokens, r.c.cost_usd)
        rows = await self._rows(query if since is None else query.where(r.c.at >= since))
        groups: dict[tuple[str, str | None], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            groups[(row["agent"], row["instance"])].append(row)
        stats = []
        for (agent, instance), runs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
            latencies = sorted(float(x["duration_s"] or 0.0) for x in runs)
            ok = sum(1 for x in runs if x["status"] == "success")
            stats.append({
                "agent": agent, "instance": instance, "runs": len(runs), "successes": ok,
                "success_rate": ok / len(runs), "latency_p50_s": _percentile(latencies, 50),
                "latency_p95_s": _percentile(latencies, 95),
                "failures": dict(Counter(x["failure_kind"] for x in runs if x["failure_kind"])),
                "tokens": sum(int(x["tokens"] or 0) for x in runs),
                "cost_usd": sum(float(x["cost_usd"] or 0.0) for x in runs),
            })
        return stats

    # -- scheduled reports --------------------------------------------------------------------

    async def claim_report(self, name: str, day: str, owner: str | None = None) -> bool:
        """True for exactly one caller per (report, day) across every replica."""
        async def work(conn: AsyncConnection) -> bool:
            claim = self._insert_ignore(schema.report_runs, ["report", "day"]).values(
                report=name, day=day, owner=owner or self.owner, claimed_at=self.clock(), status="claimed")
            return (await conn.execute(claim)).rowcount == 1
        return await self._write(work)

    async def finish_report(self, name: str, day: str, status: str = "posted") -> None:
        async def work(conn: AsyncConnection) -> None:
            r = schema.report_runs
            await conn.execute(update(r).where(r.c.report == name, r.c.day == day)
                               .values(status=status, finished_at=self.clock()))
        await self._write(work)

    async def report_runs(self, name: str | None = None) -> list[dict[str, Any]]:
        r = schema.report_runs
        query = select(r).order_by(r.c.day, r.c.report)
        return await self._rows(query if name is None else query.where(r.c.report == name))

    # -- health sweeps and config snapshots ---------------------------------------------------

    async def record_health_sweep(self, result: dict[str, Any], *, devices: int, unhealthy: int,
                                  request_id: str | None = None) -> None:
        await self._insert(schema.health_sweeps, at=self.clock(), request_id=request_id, devices=devices,
                           unhealthy=unhealthy, result_json=json.dumps(result, default=str))

    async def health_sweeps(self, since: float | None = None) -> list[dict[str, Any]]:
        h = schema.health_sweeps
        query = select(h.c.at, h.c.request_id, h.c.devices, h.c.unhealthy, h.c.result_json).order_by(h.c.at, h.c.id)
        rows = await self._rows(query if since is None else query.where(h.c.at >= since))
        return [{**row, "result": json.loads(row.pop("result_json"))} for row in rows]

    async def record_config_snapshot(self, device: str, redacted_text: str) -> tuple[str, bool]:
        """Keep a device's (already redacted) config if it changed; returns (hash, changed)."""
        digest = hashlib.sha256(redacted_text.encode()).hexdigest()

        async def work(conn: AsyncConnection) -> bool:
            c = schema.config_snapshots
            last = (await conn.execute(select(c.c.hash).where(c.c.device == device)
                                       .order_by(c.c.at.desc(), c.c.id.desc()).limit(1))).scalar_one_or_none()
            if last == digest:
                return False
            await conn.execute(insert(c).values(at=self.clock(), device=device, hash=digest, text=redacted_text))
            return True
        return digest, await self._write(work)

    async def record_config_snapshots(self, configs: dict[str, str]) -> dict[str, bool]:
        """`record_config_snapshot` for many devices in one transaction (a report of 5,000 devices
        paid a transaction each); returns device -> changed."""
        c = schema.config_snapshots
        now = self.clock()

        async def work(conn: AsyncConnection) -> dict[str, bool]:
            names = list(configs)
            latest: dict[str, tuple[float, int, str]] = {}
            for i in range(0, len(names), 500):  # well under every database's bound on parameters
                rows = await conn.execute(select(c.c.device, c.c.at, c.c.id, c.c.hash).where(c.c.device.in_(names[i:i + 500])))
                for device, at, row_id, digest in rows:
                    if device not in latest or (at, row_id) > latest[device][:2]:
                        latest[device] = (at, row_id, digest)
            fresh = []
            for device, text_ in configs.items():
                digest = hashlib.sha256(text_.encode()).hexdigest()
                if device not in latest or latest[device][2] != digest:
                    fresh.append({"at": now, "device": device, "hash": digest, "text": text_})
            if fresh:
                await conn.execute(insert(c), fresh)
            changed = {row["device"] for row in fresh}
            return {device: device in changed for device in configs}
        return await self._write(work) if configs else {}

    async def config_drift(self, since: float) -> list[dict[str, Any]]:
        """Devices whose config changed since `since`: the previous and the newest snapshot."""
        c = schema.config_snapshots
        rows = await self._rows(select(c.c.device, c.c.at, c.c.hash, c.c.text).order_by(c.c.device, c.c.at, c.c.id))
        history: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            history[row["device"]].append(row)
        drift = []
        for device, snaps in history.items():
            if len(snaps) >= 2 and snaps[-1]["at"] >= since:
                before = [s for s in snaps if s["at"] < since] or snaps[:-1]
                drift.append({"device": device, "at": snaps[-1]["at"], "old_hash": before[-1]["hash"],
                              "new_hash": snaps[-1]["hash"], "old_text": before[-1]["text"], "new_text": snaps[-1]["text"]})
        return drift

    # -- alerts -------------------------------------------------------------------------------------

    async def record_alert(self, *, source: str, name: str, status: str, severity: str | None = None,
                           fingerprint: str | None = None, device: str | None = None, summary: str = "",
                           payload: dict[str, Any] | None = None, request_id: str | None = None,
                           channel: str | None = None, thread_ts: str | None = None) -> None:
        await self._insert(schema.alerts, at=self.clock(), source=source, name=name, status=status, severity=severity,
                           fingerprint=fingerprint, device=device, summary=summary,
                           payload_json=json.dumps(payload, default=str) if payload is not None else None,
                           request_id=request_id, channel=channel, thread_ts=thread_ts)

    async def alerts(self, since: float | None = None) -> list[dict[str, Any]]:
        a = schema.alerts
        query = select(a).order_by(a.c.at, a.c.id)
        rows = await self._rows(query if since is None else query.where(a.c.at >= since))
        for row in rows:
            raw = row.pop("payload_json")
            row["payload"] = json.loads(raw) if raw else None
        return rows


def _percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile (a real observed latency, never an interpolation)."""
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


_AUDIT = insert(schema.audit_events)


def _audit_one(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_AUDIT, row)


def _audits(conn: Connection, rows: list[dict[str, Any]]) -> list[None]:
    """Access decisions written together: one executemany."""
    conn.execute(_AUDIT, rows)
    return [None] * len(rows)
