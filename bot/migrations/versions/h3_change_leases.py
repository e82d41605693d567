"""Change apply runs hold a lease: a change a stopped process left in flight is found and claimed.

Revision ID: h3_change_leases
Revises: 0002
Create Date: 2026-12-07

`holder` names the process running a change's apply (or its recovery) and `lease_until` is when
its claim runs out unless renewed; a change in approved/applying/committed whose lease ran out
is claimed by the next start-up or by any replica's sweep (issue 22).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "h3_change_leases"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("change_proposals") as batch:
        batch.add_column(sa.Column("holder", sa.Text()))
        batch.add_column(sa.Column("lease_until", sa.Double()))
    op.create_index("change_proposals_state", "change_proposals", ["state", "lease_until"])


def downgrade() -> None:
    op.drop_index("change_proposals_state", "change_proposals")
    with op.batch_alter_table("change_proposals") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("holder")
