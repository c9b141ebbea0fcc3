"""listings (载体): listing, listing_event, listing_photo

Revision ID: c4a9e2f71b30
Revises: c81f0a3d5e27
Create Date: 2026-12-04 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c4a9e2f71b30"
down_revision = "c81f0a3d5e27"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "land",
                "factory",
                "warehouse",
                "office",
                "incubator",
                name="listingkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "subtype",
            sa.Enum(
                "standard",
                "single_storey",
                "custom_built",
                "ambient",
                "cold_storage",
                "bonded",
                "grade_a",
                "general_office",
                "desk",
                "private_room",
                name="listingsubtype",
                native_enum=False,
                length=30,
            ),
            nullable=True,
        ),
        sa.Column("for_rent", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("for_sale", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("land_term_years", sa.Integer(), nullable=True),
        sa.Column(
            "land_use",
            sa.Enum(
                "industrial",
                "warehousing",
                "commercial",
                "mixed",
                name="landuse",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_en", sa.Text(), nullable=True),
        sa.Column("park", sa.String(length=100), nullable=True),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("lat", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("lng", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("area_m2", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("available_m2", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("min_split_m2", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("floors", sa.Integer(), nullable=True),
        sa.Column("storey", sa.Integer(), nullable=True),
        sa.Column("ceiling_height_m", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("floor_load_t_m2", sa.Numeric(precision=6, scale=2), nullable=True),
        sa.Column("crane_t", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("power_kva", sa.Integer(), nullable=True),
        sa.Column(
            "fire_class",
            sa.Enum("甲", "乙", "丙", "丁", "戊", name="fireclass", native_enum=False, length=4),
            nullable=True,
        ),
        sa.Column(
            "eia_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("own_yard", sa.Boolean(), nullable=True),
        sa.Column("dormitory", sa.Boolean(), nullable=True),
        sa.Column("canteen", sa.Boolean(), nullable=True),
        sa.Column("truck_access", sa.Boolean(), nullable=True),
        sa.Column(
            "excluded_industries",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("plot_ratio_min", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("plot_ratio_max", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("min_investment_wan_per_mu", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("min_tax_wan_per_mu", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("rent_yuan_m2_month", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("sale_price_yuan_m2", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("sale_price_wan", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("land_price_wan_per_mu", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("property_fee_yuan_m2_month", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "available",
                "reserved",
                "let",
                "sold",
                "withdrawn",
                name="listingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reserved_for_lead_id", sa.Integer(), nullable=True),
        sa.Column("closed_with_lead_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agent.id"], name=op.f("fk_listing_agent_id_agent")),
        sa.ForeignKeyConstraint(
            ["closed_with_lead_id"],
            ["lead.id"],
            name=op.f("fk_listing_closed_with_lead_id_lead"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reserved_for_lead_id"],
            ["lead.id"],
            name=op.f("fk_listing_reserved_for_lead_id_lead"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing")),
    )
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.create_index("ix_listing_kind_id", ["kind", "id"], unique=False)
        batch_op.create_index(
            "ix_listing_match",
            ["kind", "available_m2"],
            unique=False,
            postgresql_where=sa.text("status = 'available'"),
            sqlite_where=sa.text("status = 'available'"),
        )
        batch_op.create_index(
            "ix_listing_match_district",
            ["district", "kind", "available_m2"],
            unique=False,
            postgresql_where=sa.text("status = 'available'"),
            sqlite_where=sa.text("status = 'available'"),
        )
        batch_op.create_index(
            batch_op.f("ix_listing_reserved_for_lead_id"), ["reserved_for_lead_id"], unique=False
        )
        batch_op.create_index("ix_listing_status_id", ["status", "id"], unique=False)

    op.create_table(
        "listing_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "created",
                "updated",
                "status_changed",
                "photo_added",
                "photo_removed",
                name="listingeventtype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "from_status",
            sa.Enum(
                "available",
                "reserved",
                "let",
                "sold",
                "withdrawn",
                name="listingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "available",
                "reserved",
                "let",
                "sold",
                "withdrawn",
                name="listingstatus",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_listing_event_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["lead.id"],
            name=op.f("fk_listing_event_lead_id_lead"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_listing_event_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_event")),
    )
    with op.batch_alter_table("listing_event", schema=None) as batch_op:
        batch_op.create_index("ix_listing_event_listing_id_id", ["listing_id", "id"], unique=False)

    op.create_table(
        "listing_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("content_type", sa.String(length=40), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("caption", sa.String(length=200), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_listing_photo_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listing.id"],
            name=op.f("fk_listing_photo_listing_id_listing"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_photo")),
    )
    with op.batch_alter_table("listing_photo", schema=None) as batch_op:
        batch_op.create_index("ix_listing_photo_file_name", ["file_name"], unique=False)
        batch_op.create_index(
            "ix_listing_photo_listing_id_position", ["listing_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_photo", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_photo_listing_id_position")
        batch_op.drop_index("ix_listing_photo_file_name")

    op.drop_table("listing_photo")
    with op.batch_alter_table("listing_event", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_event_listing_id_id")

    op.drop_table("listing_event")
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_status_id")
        batch_op.drop_index(batch_op.f("ix_listing_reserved_for_lead_id"))
        batch_op.drop_index(
            "ix_listing_match_district",
            postgresql_where=sa.text("status = 'available'"),
            sqlite_where=sa.text("status = 'available'"),
        )
        batch_op.drop_index(
            "ix_listing_match",
            postgresql_where=sa.text("status = 'available'"),
            sqlite_where=sa.text("status = 'available'"),
        )
        batch_op.drop_index("ix_listing_kind_id")

    op.drop_table("listing")
