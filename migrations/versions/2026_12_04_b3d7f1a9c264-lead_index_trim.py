"""lead: fewer index entries per insert and routing update (a partial openid index; no
created_at index on PostgreSQL, where the report's covering index leads with created_at)

Revision ID: b3d7f1a9c264
Revises: a7c3e91f5d20
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b3d7f1a9c264"
down_revision = "a7c3e91f5d20"
branch_labels = None
depends_on = None

HAS_OPENID = sa.text("wechat_openid IS NOT NULL")


def upgrade() -> None:
    # Every lead paid an entry in both on its INSERT and again on routing's UPDATE (which
    # changes indexed columns, so it is never a HOT update): web leads have no openid, and
    # ix_lead_report (created_at INCLUDE ...) serves every scan by creation time.
    op.drop_index("ix_lead_wechat_openid", table_name="lead")
    op.create_index(
        "ix_lead_wechat_openid",
        "lead",
        ["wechat_openid"],
        postgresql_where=HAS_OPENID,
        sqlite_where=HAS_OPENID,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_lead_created_at", table_name="lead")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_lead_created_at", "lead", ["created_at"])
    op.drop_index("ix_lead_wechat_openid", table_name="lead")
    op.create_index("ix_lead_wechat_openid", "lead", ["wechat_openid"])
