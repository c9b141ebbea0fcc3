"""report_contact(_block): the rollup's contacted leads per day, with their seconds to first
contact, and counted by minute band per month and week

Revision ID: a7c3e91f5d20
Revises: e5a1c7d90f43
Create Date: 2026-12-04 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7c3e91f5d20"
down_revision = "e5a1c7d90f43"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("need_type", sa.String(length=20), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_contact")),
    )
    op.create_index("ix_report_contact_day_band", "report_contact", ["day", "band"])
    op.create_index("ix_report_contact_band_day", "report_contact", ["band", "day"])
    op.create_table(
        "report_contact_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_contact_block")),
    )
    op.create_index(
        "ix_report_contact_block_dim_first_day", "report_contact_block", ["dim", "first_day"]
    )
    # The rows of days materialized before this table existed: a full rebuild on the next
    # refresh fills it (rollup.refresh rebuilds when nothing is materialized).
    op.execute("UPDATE report_state SET materialized_through = NULL")


def downgrade() -> None:
    op.drop_index("ix_report_contact_block_dim_first_day", table_name="report_contact_block")
    op.drop_table("report_contact_block")
    op.drop_index("ix_report_contact_band_day", table_name="report_contact")
    op.drop_index("ix_report_contact_day_band", table_name="report_contact")
    op.drop_table("report_contact")
