"""Process heartbeats and the alert inbox (issue 22: nothing accepted is lost).

Revision ID: h2_durable
Revises: h3_change_leases
Create Date: 2026-12-07

Self-contained like 0001: a shipped revision creates the same tables forever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "h2_durable"
down_revision: str | None = "h3_change_leases"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "processes",
        sa.Column("owner", sa.Text(), nullable=False, primary_key=True),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("beat_at", sa.Double(), nullable=False),
        sa.Column("stopped_at", sa.Double()),
    )
    op.create_table(
        "alert_inbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, primary_key=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("group_json", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text()),
        sa.Column("retry_at", sa.Double()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer()),
        sa.Column("request_id", sa.Text()),
        sa.Column("outcome", sa.Text()),
        sa.Column("finished_at", sa.Double()),
    )
    op.create_index("alert_inbox_state", "alert_inbox", ["state", "retry_at"])


def downgrade() -> None:
    op.drop_table("alert_inbox")
    op.drop_table("processes")
