"""lead requirements read by the matching of listings

Revision ID: d81f3b6c0e52
Revises: c4a9e2f71b30
Create Date: 2026-12-04 06:01:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d81f3b6c0e52"
down_revision = "c4a9e2f71b30"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ceiling_height_min_m", sa.Numeric(precision=6, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("crane_t", sa.Numeric(precision=6, scale=1), nullable=True))
        batch_op.add_column(sa.Column("power_kva", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("floor_load_t_m2", sa.Numeric(precision=6, scale=2), nullable=True)
        )
        batch_op.add_column(sa.Column("eia_category", sa.String(length=50), nullable=True))
        batch_op.add_column(
            sa.Column("budget_rent_yuan_m2_month", sa.Numeric(precision=10, scale=2), nullable=True)
        )
        batch_op.add_column(
            sa.Column("budget_land_wan_per_mu", sa.Numeric(precision=12, scale=2), nullable=True)
        )
        batch_op.create_index(
            "ix_lead_open_need",
            ["need_type", "created_at"],
            unique=False,
            postgresql_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
            sqlite_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
        )


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_lead_open_need",
            postgresql_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
            sqlite_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
        )
        batch_op.drop_column("budget_land_wan_per_mu")
        batch_op.drop_column("budget_rent_yuan_m2_month")
        batch_op.drop_column("eia_category")
        batch_op.drop_column("floor_load_t_m2")
        batch_op.drop_column("power_kva")
        batch_op.drop_column("crane_t")
        batch_op.drop_column("ceiling_height_min_m")
