"""customer-service window after a menu click, follow or scan

Revision ID: b7d3e5f10a2c
Revises: 4f2a8c1e9d37
Create Date: 2026-11-25 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b7d3e5f10a2c"
down_revision = "4f2a8c1e9d37"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "cs_sent_after_event", sa.Integer(), server_default=sa.text("0"), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("wechat_user", schema=None) as batch_op:
        batch_op.drop_column("cs_sent_after_event")
        batch_op.drop_column("last_event_at")
