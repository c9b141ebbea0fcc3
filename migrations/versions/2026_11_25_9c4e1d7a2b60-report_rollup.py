"""daily rollup of the funnel report, and an index for time to first contact

Revision ID: 9c4e1d7a2b60
Revises: 5b0c2f3a9d41
Create Date: 2026-11-25 01:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9c4e1d7a2b60"
down_revision = "5b0c2f3a9d41"
branch_labels = None
depends_on = None

STAGES = [
    "new", "assigned", "contacted", "qualified", "site_visit", "negotiating",
    "won", "landed", "producing",
]  # fmt: skip
FIRST_CONTACT_SQL = (
    "first_contacted_at IS NOT NULL AND merged_into_id IS NULL"
    " AND status NOT IN ('spam', 'duplicate')"
)


def upgrade() -> None:
    counts = ["created", "excluded", *(f"stage_{s}" for s in STAGES), "lost", "sla_met", "sla_due"]
    op.create_table(
        "report_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("dim", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.Column("won_tax", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day")),
    )
    op.create_index("ix_report_day_dim_day", "report_day", ["dim", "day"])
    op.create_table(
        "report_dirty_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_dirty_day")),
    )
    op.create_table(
        "report_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("materialized_through", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_state")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_lead_first_contact",
            "lead",
            ["created_at"],
            postgresql_include=[
                "first_contacted_at", "team_id", "channel", "need_type", "district", "agent_id",
            ],
            postgresql_where=sa.text(FIRST_CONTACT_SQL),
        )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_lead_first_contact", table_name="lead")
    op.drop_table("report_state")
    op.drop_table("report_dirty_day")
    op.drop_index("ix_report_day_dim_day", table_name="report_day")
    op.drop_table("report_day")
