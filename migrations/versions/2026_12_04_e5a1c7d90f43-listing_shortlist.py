"""listing shortlists: listings picked for a lead, opened by its prospect through a token

Revision ID: e5a1c7d90f43
Revises: d4c1e8a95b27
Create Date: 2026-12-04 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "e5a1c7d90f43"
down_revision = "d4c1e8a95b27"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_shortlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column(
            "listing_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("revoked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["agent.id"], name=op.f("fk_listing_shortlist_created_by_agent")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
            name=op.f("fk_listing_shortlist_lead_id_lead"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_shortlist")),
        sa.UniqueConstraint("token", name=op.f("uq_listing_shortlist_token")),
    )
    op.create_index("ix_listing_shortlist_lead_id", "listing_shortlist", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_listing_shortlist_lead_id", table_name="listing_shortlist")
    op.drop_table("listing_shortlist")
