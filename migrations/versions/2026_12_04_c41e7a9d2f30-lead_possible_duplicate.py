"""lead.possible_duplicate_of_id: a WeChat prospect's own lead flagged for an agent to merge

Revision ID: c41e7a9d2f30
Revises: b7d3e5f10a2c
Create Date: 2026-12-04 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c41e7a9d2f30"
down_revision = "b7d3e5f10a2c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(sa.Column("possible_duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lead_possible_duplicate_of_id_lead"),
            "lead",
            ["possible_duplicate_of_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_lead_possible_duplicate_of_id_lead"), type_="foreignkey"
        )
        batch_op.drop_column("possible_duplicate_of_id")
