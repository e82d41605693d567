"""Initial schema: requests with leases, agent runs, tool calls, breaker transitions, the token
budget, audit events, feedback, processed Slack events, health sweeps, config snapshots, alerts
and report runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Self-contained on purpose (it does not import `bot.store.schema`): a shipped revision must
create the same tables forever, whatever the current schema module says.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, primary_key=True)


def _text(name: str, nullable: bool = True) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _num(name: str, nullable: bool = True) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=nullable)


def _int(name: str, nullable: bool = True, big: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger() if big else sa.Integer(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Text(), nullable=False, primary_key=True),
        _num("created_at", False), _text("status", False), _text("source", False), _text("user_id"), _text("channel"),
        _text("thread_ts"), _text("question", False), _text("required_role"), _text("event_id"), _text("owner"),
        _num("lease_until"), _num("started_at"), _num("finished_at"), _text("route_json"), _text("plan_json"),
        _text("answer_status"), _text("severity"), _num("confidence"), _text("summary"), _text("devices"),
        _num("duration_s"), _int("llm_calls"), _int("input_tokens", big=True), _int("output_tokens", big=True),
        _int("tokens", big=True), _num("cost_usd"), _text("error"), _text("answer_json"),
    )
    op.create_index("requests_thread", "requests", ["channel", "thread_ts", "created_at"])
    op.create_index("requests_status_lease", "requests", ["status", "lease_until"])
    op.create_index("requests_created", "requests", ["created_at"])

    op.create_table(
        "agent_runs", _id(),
        _text("request_id", False), _num("at", False), _text("agent", False), _text("instance"), _text("engine"),
        _text("model"), _text("status", False), _text("failure_kind"), _text("degraded"), _num("confidence"),
        _num("duration_s"), _int("llm_calls"), _int("input_tokens", big=True), _int("output_tokens", big=True),
        _int("tokens", big=True), _num("cost_usd"), _text("error"),
    )
    op.create_index("agent_runs_at", "agent_runs", ["at"])
    op.create_index("agent_runs_request", "agent_runs", ["request_id"])

    op.create_table(
        "tool_calls", _id(),
        _text("request_id", False), _num("at", False), _text("agent", False), _text("tool", False), _text("device"),
        sa.Column("ok", sa.Boolean(), nullable=False), _num("duration_s"), _text("summary"),
    )
    op.create_index("tool_calls_at", "tool_calls", ["at"])

    op.create_table(
        "breaker_transitions", _id(),
        _num("at", False), _text("breaker", False), _text("from_state", False), _text("to_state", False),
        _text("reason", False),
    )
    op.create_index("breaker_transitions_at", "breaker_transitions", ["at"])

    op.create_table(
        "token_budget",
        sa.Column("day", sa.Text(), nullable=False, primary_key=True),
        _int("tokens", False, big=True), _num("updated_at", False),
    )

    op.create_table(
        "audit_events", _id(),
        _num("at", False), _text("user_id"), _text("channel"), _text("command", False), _text("outcome", False),
        _text("reason", False),
    )
    op.create_index("audit_events_at", "audit_events", ["at"])
    op.create_index("audit_events_user", "audit_events", ["user_id", "at"])

    op.create_table("feedback", _id(), _text("request_id", False), _text("user_id"), _text("value", False), _num("at", False))
    op.create_index("feedback_request", "feedback", ["request_id"])

    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.Text(), nullable=False, primary_key=True),
        _num("at", False), _text("owner"), _num("lease_until"), _text("request_id"), _num("finished_at"),
    )
    op.create_index("processed_events_request", "processed_events", ["request_id"])

    op.create_table(
        "health_sweeps", _id(),
        _num("at", False), _text("request_id"), _int("devices", False), _int("unhealthy", False), _text("result_json", False),
    )
    op.create_index("health_sweeps_at", "health_sweeps", ["at"])

    op.create_table("config_snapshots", _id(), _num("at", False), _text("device", False), _text("hash", False), _text("text", False))
    op.create_index("config_snapshots_device", "config_snapshots", ["device", "at"])

    op.create_table(
        "alerts", _id(),
        _num("at", False), _text("source", False), _text("fingerprint"), _text("name", False), _text("severity"),
        _text("status", False), _text("device"), _text("summary", False), _text("payload_json"), _text("request_id"),
        _text("channel"), _text("thread_ts"),
    )
    op.create_index("alerts_at", "alerts", ["at"])
    op.create_index("alerts_fingerprint", "alerts", ["fingerprint"])

    op.create_table(
        "report_runs",
        sa.Column("report", sa.Text(), nullable=False, primary_key=True),
        sa.Column("day", sa.Text(), nullable=False, primary_key=True),
        _text("owner", False), _num("claimed_at", False), _num("finished_at"), _text("status", False),
    )


def downgrade() -> None:
    for table in ("report_runs", "alerts", "config_snapshots", "health_sweeps", "processed_events", "feedback",
                  "audit_events", "token_budget", "breaker_transitions", "tool_calls", "agent_runs", "requests"):
        op.drop_table(table)
