"""routing rules, team settings, sla, notification outbox

Revision ID: f3bc774e6590
Revises: 527a21a53d2f
Create Date: 2026-11-24 22:14:57.299505
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "f3bc774e6590"
down_revision = "527a21a53d2f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "conditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column(
            "strategy",
            sa.Enum(
                "round_robin",
                "least_loaded",
                "weighted",
                name="strategy",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_routing_rule_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_routing_rule_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rule")),
    )
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rule_position"), ["position"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "wechat_template",
                "wechat_cs",
                "email",
                "webhook",
                name="notificationchannel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "dead",
                "skipped",
                name="notificationstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_notification_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_notification_lead_id_lead"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notification_idempotency_key")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'sending', 'failed')"),
            sqlite_where=sa.text("status IN ('pending', 'sending', 'failed')"),
        )
        batch_op.create_index(batch_op.f("ix_notification_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            "ix_notification_status_created_at", ["status", "created_at"], unique=False
        )

    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("weight", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sla_level", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index(
            "ix_lead_follow_up",
            ["next_follow_up_at"],
            unique=False,
            postgresql_where=sa.text("next_follow_up_at IS NOT NULL"),
            sqlite_where=sa.text("next_follow_up_at IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_lead_sla_pending",
            ["sla_due_at"],
            unique=False,
            postgresql_where=sa.text("first_contacted_at IS NULL"),
            sqlite_where=sa.text("first_contacted_at IS NULL"),
        )

    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "strategy",
                sa.Enum(
                    "round_robin",
                    "least_loaded",
                    "weighted",
                    name="strategy",
                    native_enum=False,
                    length=20,
                ),
                server_default="round_robin",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("pool_after_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_private_leads", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("max_private_leads")
        batch_op.drop_column("pool_after_days")
        batch_op.drop_column("strategy")

    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_lead_sla_pending",
            postgresql_where=sa.text("first_contacted_at IS NULL"),
            sqlite_where=sa.text("first_contacted_at IS NULL"),
        )
        batch_op.drop_index(
            "ix_lead_follow_up",
            postgresql_where=sa.text("next_follow_up_at IS NOT NULL"),
            sqlite_where=sa.text("next_follow_up_at IS NOT NULL"),
        )
        batch_op.drop_column("sla_level")

    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("weight")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_created_at")
        batch_op.drop_index(batch_op.f("ix_notification_lead_id"))
        batch_op.drop_index(
            "ix_notification_due",
            postgresql_where=sa.text("status IN ('pending', 'sending', 'failed')"),
            sqlite_where=sa.text("status IN ('pending', 'sending', 'failed')"),
        )

    op.drop_table("notification")
    with op.batch_alter_table("routing_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_rule_position"))

    op.drop_table("routing_rule")
