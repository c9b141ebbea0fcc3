"""WeChat template receipts on the notification outbox

Revision ID: 4f2a8c1e9d37
Revises: 9c4e1d7a2b60
Create Date: 2026-11-25 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "4f2a8c1e9d37"
down_revision = "9c4e1d7a2b60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remote_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("receipt", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_notification_remote_id", ["remote_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_remote_id")
        batch_op.drop_column("receipt_at")
        batch_op.drop_column("receipt")
        batch_op.drop_column("remote_id")
