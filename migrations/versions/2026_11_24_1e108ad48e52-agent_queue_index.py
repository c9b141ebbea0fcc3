"""agent queue index

Revision ID: 1e108ad48e52
Revises: e691dd909507
Create Date: 2026-11-24 23:17:48.899292
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "1e108ad48e52"
down_revision = "e691dd909507"
branch_labels = None
depends_on = None


OPEN = "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"


def upgrade() -> None:
    # The agent queue reads open leads in this order; with the index it reads one page, not
    # all of an agent's open leads plus a sort. Autogenerate does not see expression indexes.
    # PostgreSQL only: SQLite cannot declare NULLS LAST in an index.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_lead_queue",
        "lead",
        ["agent_id", sa.text("sla_due_at ASC NULLS LAST"), sa.text("score DESC"), "id"],
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_lead_queue", table_name="lead")
