"""wechat users and inbound messages

Revision ID: 527a21a53d2f
Revises: ca07b17655a0
Create Date: 2026-11-24 22:11:22.905973
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "527a21a53d2f"
down_revision = "ca07b17655a0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("msg_type", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=True),
        sa.Column("raw_xml", sa.Text(), nullable=False),
        sa.Column("reply_xml", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["lead.id"], name=op.f("fk_inbound_message_lead_id_lead")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_inbound_message_dedupe_key")),
    )
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inbound_message_openid_received_at", ["openid", "received_at"], unique=False
        )

    op.create_table(
        "wechat_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("unionid", sa.String(length=64), nullable=True),
        sa.Column("subscribed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("first_scene", sa.String(length=64), nullable=True),
        sa.Column("last_scene", sa.String(length=64), nullable=True),
        sa.Column("subscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cs_sent_in_window", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "conversation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("conversation_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["lead.id"], name=op.f("fk_wechat_user_lead_id_lead")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_user")),
        sa.UniqueConstraint("openid", name=op.f("uq_wechat_user_openid")),
    )


def downgrade() -> None:
    op.drop_table("wechat_user")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_message_openid_received_at")

    op.drop_table("inbound_message")
