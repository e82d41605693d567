"""Change proposals and their audit trail (issue 16).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

Self-contained like 0001: a shipped revision creates the same tables forever.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "change_proposals",
        sa.Column("id", sa.Text(), nullable=False, primary_key=True),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("requester", sa.Text()),
        sa.Column("approver", sa.Text()),
        sa.Column("channel", sa.Text()),
        sa.Column("thread_ts", sa.Text()),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("diff_hash", sa.Text(), nullable=False),
        sa.Column("proposal_json", sa.Text(), nullable=False),
    )
    op.create_index("change_proposals_created", "change_proposals", ["created_at"])
    op.create_index("change_proposals_device", "change_proposals", ["device", "state"])
    op.create_table(
        "change_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False, primary_key=True),
        sa.Column("at", sa.Double(), nullable=False),
        sa.Column("proposal_id", sa.Text(), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text()),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("diff_hash", sa.Text()),
    )
    op.create_index("change_events_proposal", "change_events", ["proposal_id", "at"])


def downgrade() -> None:
    op.drop_table("change_events")
    op.drop_table("change_proposals")
