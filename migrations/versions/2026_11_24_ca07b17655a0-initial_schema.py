"""initial schema

Revision ID: ca07b17655a0
Revises: (none)
Create Date: 2026-11-24 22:08:58.134844
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "ca07b17655a0"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("last_assigned_agent_id", sa.Integer(), nullable=True),
        sa.Column("sla_minutes", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.create_index(
            "uq_team_default",
            ["is_default"],
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        )

    op.create_table(
        "agent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("agent", "lead", "admin", name="role", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("capacity", sa.Integer(), server_default=sa.text("50"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "working_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("tokens_valid_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_agent_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
        sa.UniqueConstraint("login", name=op.f("uq_agent_login")),
    )
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_team_id"), ["team_id"], unique=False)

    op.create_table(
        "lead",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "web_form",
                "wechat",
                "phone",
                "import",
                "api",
                name="channel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "need_type",
            sa.Enum(
                "land",
                "factory",
                "warehouse",
                "office",
                "incubator",
                "registration",
                "investment",
                "other",
                name="needtype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "deal",
            sa.Enum(
                "rent", "buy", "build_to_suit", "any", name="deal", native_enum=False, length=20
            ),
            nullable=True,
        ),
        sa.Column("area_min_m2", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("area_max_m2", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("tax_wan", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("investment_wan", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("timeline", sa.String(length=100), nullable=True),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("wechat_id", sa.String(length=64), nullable=True),
        sa.Column("wechat_openid", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "contacted",
                "qualified",
                "site_visit",
                "negotiating",
                "won",
                "landed",
                "producing",
                "lost",
                "spam",
                "duplicate",
                name="leadstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("score", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("lost_reason", sa.String(length=200), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_contacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_follow_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_lead_agent_id_agent")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["lead.id"], name=op.f("fk_lead_merged_into_id_lead")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_lead_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead")),
    )
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_agent_status_sla", ["agent_id", "status", "sla_due_at"], unique=False
        )
        batch_op.create_index("ix_lead_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_lead_status", ["status"], unique=False)
        batch_op.create_index("ix_lead_team_status", ["team_id", "status"], unique=False)
        batch_op.create_index(
            "ix_lead_unrouted",
            ["created_at"],
            unique=False,
            postgresql_where=sa.text("routed_at IS NULL"),
            sqlite_where=sa.text("routed_at IS NULL"),
        )
        batch_op.create_index(batch_op.f("ix_lead_wechat_openid"), ["wechat_openid"], unique=False)
        batch_op.create_index(
            "uq_lead_open_phone",
            ["phone"],
            unique=True,
            postgresql_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
            sqlite_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
        )

    op.create_table(
        "lead_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "created",
                "enquiry",
                "field_changed",
                "status_changed",
                "assigned",
                "reassigned",
                "unassigned",
                "note",
                "call",
                "message_in",
                "message_out",
                "notification",
                "merged",
                name="eventtype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_lead_event_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_lead_event_lead_id_lead"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_event")),
    )
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.create_index("ix_lead_event_lead_id_id", ["lead_id", "id"], unique=False)
        batch_op.create_index("ix_lead_event_type_created_at", ["type", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_event", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_event_type_created_at")
        batch_op.drop_index("ix_lead_event_lead_id_id")

    op.drop_table("lead_event")
    with op.batch_alter_table("lead", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_lead_open_phone",
            postgresql_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
            sqlite_where=sa.text(
                "status IN ('new', 'assigned', 'contacted', 'qualified', 'site_visit', 'negotiating')"
            ),
        )
        batch_op.drop_index(batch_op.f("ix_lead_wechat_openid"))
        batch_op.drop_index(
            "ix_lead_unrouted",
            postgresql_where=sa.text("routed_at IS NULL"),
            sqlite_where=sa.text("routed_at IS NULL"),
        )
        batch_op.drop_index("ix_lead_team_status")
        batch_op.drop_index("ix_lead_status")
        batch_op.drop_index("ix_lead_created_at")
        batch_op.drop_index("ix_lead_agent_status_sla")

    op.drop_table("lead")
    with op.batch_alter_table("agent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_team_id"))

    op.drop_table("agent")
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_team_default",
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        )

    op.drop_table("team")
