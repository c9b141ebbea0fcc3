"""funnel stage reached and won landed times

Revision ID: e691dd909507
Revises: f3bc774e6590
Create Date: 2026-11-24 22:18:19.094140
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e691dd909507"
down_revision = "f3bc774e6590"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage_reached", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("won_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("landed_at", sa.DateTime(timezone=True), nullable=True))
    # Existing leads: the stage they are in now is the furthest we know they reached.
    stages = [
        "new", "assigned", "contacted", "qualified", "site_visit", "negotiating",
        "won", "landed", "producing",
    ]  # fmt: skip
    cases = " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(stages))
    op.execute(f"UPDATE lead SET stage_reached = CASE status {cases} ELSE 0 END")  # noqa: S608


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_column("landed_at")
        batch_op.drop_column("won_at")
        batch_op.drop_column("stage_reached")
