"""The one schema both backends share, as SQLAlchemy Core tables (queries are built from these).

The Alembic revisions in `bot/migrations/versions` create exactly these tables; a test compares
the two so they cannot drift. Times are POSIX seconds (double precision) from the store's clock,
which keeps leases and retention testable with an injected clock and identical on both backends.
Structured values (route, plan, answer, payloads) are JSON text: they are read back whole,
never queried inside, and stay portable.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Double, Index, Integer, MetaData, Table, Text

metadata = MetaData()


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


# One row per question or command, from the moment it is received. status:
# received -> running -> answered | failed | interrupted. owner + lease_until: the replica
# working on it and until when; an expired lease at start-up means the work was interrupted.
requests = Table(
    "requests", metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", Double, nullable=False),
    Column("status", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("user_id", Text),
    Column("channel", Text),
    Column("thread_ts", Text),
    Column("question", Text, nullable=False),
    Column("required_role", Text),
    Column("event_id", Text),
    Column("owner", Text),
    Column("lease_until", Double),
    Column("started_at", Double),
    Column("finished_at", Double),
    Column("route_json", Text),
    Column("plan_json", Text),
    Column("answer_status", Text),
    Column("severity", Text),
    Column("confidence", Double),
    Column("summary", Text),
    Column("devices", Text),
    Column("duration_s", Double),
    Column("llm_calls", Integer),
    Column("input_tokens", BigInteger),
    Column("output_tokens", BigInteger),
    Column("tokens", BigInteger),
    Column("cost_usd", Double),
    Column("error", Text),
    Column("answer_json", Text),
    Index("requests_thread", "channel", "thread_ts", "created_at"),
    Index("requests_status_lease", "status", "lease_until"),
    Index("requests_created", "created_at"),
)

# One row per specialist run inside a request: what the health report's agent table reads.
agent_runs = Table(
    "agent_runs", metadata,
    _id(),
    Column("request_id", Text, nullable=False),
    Column("at", Double, nullable=False),
    Column("agent", Text, nullable=False),
    Column("instance", Text),
    Column("engine", Text),
    Column("model", Text),
    Column("status", Text, nullable=False),
    Column("failure_kind", Text),
    Column("degraded", Text),
    Column("confidence", Double),
    Column("duration_s", Double),
    Column("llm_calls", Integer),
    Column("input_tokens", BigInteger),
    Column("output_tokens", BigInteger),
    Column("tokens", BigInteger),
    Column("cost_usd", Double),
    Column("error", Text),
    Index("agent_runs_at", "at"),
    Index("agent_runs_request", "request_id"),
)

# Tool calls with their (already redacted) one-line summaries.
tool_calls = Table(
    "tool_calls", metadata,
    _id(),
    Column("request_id", Text, nullable=False),
    Column("at", Double, nullable=False),
    Column("agent", Text, nullable=False),
    Column("tool", Text, nullable=False),
    Column("device", Text),
    Column("ok", Boolean, nullable=False),
    Column("duration_s", Double),
    Column("summary", Text),
    Index("tool_calls_at", "at"),
)

breaker_transitions = Table(
    "breaker_transitions", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("breaker", Text, nullable=False),
    Column("from_state", Text, nullable=False),
    Column("to_state", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Index("breaker_transitions_at", "at"),
)

# The daily token budget, shared by every replica: day is the budget's own calendar day.
token_budget = Table(
    "token_budget", metadata,
    Column("day", Text, primary_key=True),
    Column("tokens", BigInteger, nullable=False),
    Column("updated_at", Double, nullable=False),
)

audit_events = Table(
    "audit_events", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("user_id", Text),
    Column("channel", Text),
    Column("command", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Index("audit_events_at", "at"),
    Index("audit_events_user", "user_id", "at"),
)

feedback = Table(
    "feedback", metadata,
    _id(),
    Column("request_id", Text, nullable=False),
    Column("user_id", Text),
    Column("value", Text, nullable=False),
    Column("at", Double, nullable=False),
    Index("feedback_request", "request_id"),
)

# Slack event ids, claimed with a lease like a request: a retry is let through only when the
# first holder's lease ran out and its work never finished.
processed_events = Table(
    "processed_events", metadata,
    Column("event_id", Text, primary_key=True),
    Column("at", Double, nullable=False),
    Column("owner", Text),
    Column("lease_until", Double),
    Column("request_id", Text),
    Column("finished_at", Double),
    Index("processed_events_request", "request_id"),
)

health_sweeps = Table(
    "health_sweeps", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("request_id", Text),
    Column("devices", Integer, nullable=False),
    Column("unhealthy", Integer, nullable=False),
    Column("result_json", Text, nullable=False),
    Index("health_sweeps_at", "at"),
)

# Redacted running configs, kept only when the hash changes: two rows for one device inside
# the report window is drift.
config_snapshots = Table(
    "config_snapshots", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("device", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Column("text", Text, nullable=False),
    Index("config_snapshots_device", "device", "at"),
)

alerts = Table(
    "alerts", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("source", Text, nullable=False),
    Column("fingerprint", Text),
    Column("name", Text, nullable=False),
    Column("severity", Text),
    Column("status", Text, nullable=False),
    Column("device", Text),
    Column("summary", Text, nullable=False, default=""),
    Column("payload_json", Text),
    Column("request_id", Text),
    Column("channel", Text),
    Column("thread_ts", Text),
    Index("alerts_at", "at"),
    Index("alerts_fingerprint", "fingerprint"),
)

# A scheduled report for one date is claimed once across all replicas.
report_runs = Table(
    "report_runs", metadata,
    Column("report", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("owner", Text, nullable=False),
    Column("claimed_at", Double, nullable=False),
    Column("finished_at", Double),
    Column("status", Text, nullable=False),
)

# A proposed configuration change (agents.changes.models.ChangeProposal as JSON) and the columns
# its decisions are made on: state changes are compare-and-set on `state`, so a double click or
# two replicas approve once.
change_proposals = Table(
    "change_proposals", metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
    Column("device", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("requester", Text),
    Column("approver", Text),
    Column("channel", Text),
    Column("thread_ts", Text),
    Column("expires_at", Double, nullable=False),
    Column("diff_hash", Text, nullable=False),
    Column("proposal_json", Text, nullable=False),
    Column("holder", Text),  # the process running its apply or recovery (h3_change_leases)
    Column("lease_until", Double),  # when that claim runs out unless renewed
    Index("change_proposals_created", "created_at"),
    Index("change_proposals_device", "device", "state"),
    Index("change_proposals_state", "state", "lease_until"),
)

# Every step of every change: who, when, what, and the hash of the diff it concerned.
change_events = Table(
    "change_events", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("proposal_id", Text, nullable=False),
    Column("step", Text, nullable=False),
    Column("actor", Text),
    Column("detail", Text, nullable=False),
    Column("diff_hash", Text),
    Index("change_events_proposal", "proposal_id", "at"),
)

# One row per running bot process, beaten every `store.heartbeat_s`: a process that has not
# beaten for `store.dead_after_beats` intervals is dead, and its leases are taken back at once.
processes = Table(
    "processes", metadata,
    Column("owner", Text, primary_key=True),
    Column("started_at", Double, nullable=False),
    Column("beat_at", Double, nullable=False),
    Column("stopped_at", Double),
)

# Every alert notification accepted with a 202, stored before the answer and worked through
# states accepted -> posted -> investigating -> done; one whose holder died is claimed and
# resumed by another process (bot.triage.durable).
alert_inbox = Table(
    "alert_inbox", metadata,
    _id(),
    Column("at", Double, nullable=False),
    Column("key", Text, nullable=False),
    Column("group_json", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("owner", Text),
    Column("retry_at", Double),
    Column("attempts", Integer, nullable=False, default=0),
    Column("alert_id", Integer),
    Column("request_id", Text),
    Column("outcome", Text),
    Column("finished_at", Double),
    Index("alert_inbox_state", "state", "retry_at"),
)

# Which column dates a row, for retention; token_budget and report_runs are kept by day.
TIMESTAMPS: dict[str, str] = {
    "requests": "created_at", "agent_runs": "at", "tool_calls": "at", "breaker_transitions": "at",
    "token_budget": "updated_at", "audit_events": "at", "feedback": "at", "processed_events": "at",
    "health_sweeps": "at", "config_snapshots": "at", "alerts": "at", "report_runs": "claimed_at",
    "change_proposals": "created_at", "change_events": "at",
    "processes": "beat_at", "alert_inbox": "at",
}
