"""an agent's alert channels (in fallback order), alert events and 企业微信 UserID

Revision ID: c81f0a3d5e27
Revises: 7a9c3e4f5b61
Create Date: 2026-12-04 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c81f0a3d5e27"
down_revision = "7a9c3e4f5b61"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_userid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("notify_channels", JSON, nullable=True))
        batch_op.add_column(sa.Column("notify_events", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("notify_events")
        batch_op.drop_column("notify_channels")
        batch_op.drop_column("wecom_userid")
