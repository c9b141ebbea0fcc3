"""server-side page sessions, so logout ends a copied cookie too

Revision ID: 5e8b1c2d3f40
Revises: c41e7a9d2f30
Create Date: 2026-12-04 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5e8b1c2d3f40"
down_revision = "c41e7a9d2f30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name=op.f("fk_page_session_agent_id_agent"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_session")),
    )
    op.create_index(op.f("ix_page_session_agent_id"), "page_session", ["agent_id"])
    op.create_index(op.f("ix_page_session_created_at"), "page_session", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_page_session_created_at"), table_name="page_session")
    op.drop_index(op.f("ix_page_session_agent_id"), table_name="page_session")
    op.drop_table("page_session")
