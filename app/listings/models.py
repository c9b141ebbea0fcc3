"""Listings (载体): the land and buildings an office can offer, their history and photos.

The rules (kinds, lifecycle, matching) are in docs/listings.md.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum
from app.core.units import m2_to_mu


class ListingKind(enum.StrEnum):
    LAND = "land"  # 土地
    FACTORY = "factory"  # 厂房
    WAREHOUSE = "warehouse"  # 仓库
    OFFICE = "office"  # 写字楼 / 办公
    INCUBATOR = "incubator"  # 孵化器 / 众创空间工位


class ListingSubtype(enum.StrEnum):
    """A finer kind; which subtypes go with which kind is `SUBTYPES_BY_KIND`."""

    STANDARD = "standard"  # 标准厂房 (multi-storey, shared)
    SINGLE_STOREY = "single_storey"  # 单层厂房
    CUSTOM_BUILT = "custom_built"  # 定制厂房 (代建)
    AMBIENT = "ambient"  # 常温仓
    COLD_STORAGE = "cold_storage"  # 冷库
    BONDED = "bonded"  # 保税仓
    GRADE_A = "grade_a"  # 甲级写字楼
    GENERAL_OFFICE = "general_office"  # 普通办公
    DESK = "desk"  # 工位
    PRIVATE_ROOM = "private_room"  # 独立办公室


SUBTYPES_BY_KIND: dict[ListingKind, tuple[ListingSubtype, ...]] = {
    ListingKind.LAND: (),
    ListingKind.FACTORY: (
        ListingSubtype.STANDARD,
        ListingSubtype.SINGLE_STOREY,
        ListingSubtype.CUSTOM_BUILT,
    ),
    ListingKind.WAREHOUSE: (
        ListingSubtype.AMBIENT,
        ListingSubtype.COLD_STORAGE,
        ListingSubtype.BONDED,
    ),
    ListingKind.OFFICE: (ListingSubtype.GRADE_A, ListingSubtype.GENERAL_OFFICE),
    ListingKind.INCUBATOR: (ListingSubtype.DESK, ListingSubtype.PRIVATE_ROOM),
}


class ListingDeal(enum.StrEnum):
    RENT = "rent"
    SALE = "sale"  # land: 出让


class LandUse(enum.StrEnum):
    INDUSTRIAL = "industrial"  # 工业
    WAREHOUSING = "warehousing"  # 仓储
    COMMERCIAL = "commercial"  # 商业
    MIXED = "mixed"  # 综合


class FireClass(enum.StrEnum):
    """Fire hazard class of a building (GB 50016), written as offices write it."""

    JIA = "甲"
    YI = "乙"
    BING = "丙"
    DING = "丁"
    WU = "戊"


class ListingStatus(enum.StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"  # held for one lead (`reserved_for_lead_id`)
    LET = "let"
    SOLD = "sold"
    WITHDRAWN = "withdrawn"


class ListingEventType(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"  # fields changed: data {"changes": {field: [from, to]}}
    STATUS_CHANGED = "status_changed"
    PHOTO_ADDED = "photo_added"
    PHOTO_REMOVED = "photo_removed"


_AVAILABLE_SQL = "status = 'available'"


class Listing(Base):
    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ListingKind] = mapped_column(str_enum(ListingKind))
    subtype: Mapped[ListingSubtype | None] = mapped_column(
        str_enum(ListingSubtype, length=30), nullable=True
    )
    # Deals offered (the JSON's `deals` list); columns so matching filters them in SQL.
    for_rent: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    for_sale: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    land_term_years: Mapped[int | None] = mapped_column(nullable=True)  # 出让年限
    land_use: Mapped[LandUse | None] = mapped_column(str_enum(LandUse), nullable=True)

    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    description_en: Mapped[str | None] = mapped_column(Text, nullable=True)

    park: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    lng: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)

    area_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    available_m2: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # Smallest part let or sold on its own (可分割); None: only whole.
    min_split_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    floors: Mapped[int | None] = mapped_column(nullable=True)  # floors of the building
    storey: Mapped[int | None] = mapped_column(nullable=True)  # the unit's floor

    ceiling_height_m: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    floor_load_t_m2: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    crane_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 1), nullable=True)  # 0: none
    power_kva: Mapped[int | None] = mapped_column(nullable=True)
    fire_class: Mapped[FireClass | None] = mapped_column(str_enum(FireClass, 4), nullable=True)
    # EIA categories this site can pass (可环评); empty: no EIA possible here.
    eia_categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    own_yard: Mapped[bool | None] = mapped_column(nullable=True)  # 独门独院
    dormitory: Mapped[bool | None] = mapped_column(nullable=True)
    canteen: Mapped[bool | None] = mapped_column(nullable=True)
    truck_access: Mapped[bool | None] = mapped_column(nullable=True)
    excluded_industries: Mapped[list[str]] = mapped_column(JSONType, default=list)

    plot_ratio_min: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    plot_ratio_max: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    # The park's admission thresholds (投资强度, 亩均税收), per listing: never hard-coded.
    min_investment_wan_per_mu: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    min_tax_wan_per_mu: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)

    rent_yuan_m2_month: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    sale_price_yuan_m2: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    sale_price_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    land_price_wan_per_mu: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    property_fee_yuan_m2_month: Mapped[Decimal | None] = mapped_column(Numeric(8, 2), nullable=True)

    status: Mapped[ListingStatus] = mapped_column(
        str_enum(ListingStatus), default=ListingStatus.AVAILABLE
    )
    reserved_for_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The lead a let or sale went to (kept after the reservation ends).
    closed_with_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), nullable=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    published: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
    __table_args__ = (
        # Matching a lead: the available listings of one kind, read in order of area.
        Index(
            "ix_listing_match",
            "kind",
            "available_m2",
            postgresql_where=text(_AVAILABLE_SQL),
            sqlite_where=text(_AVAILABLE_SQL),
        ),
        # ... and the same within the lead's district.
        Index(
            "ix_listing_match_district",
            "district",
            "kind",
            "available_m2",
            postgresql_where=text(_AVAILABLE_SQL),
            sqlite_where=text(_AVAILABLE_SQL),
        ),
        # The list: filters by status (and kind), newest first.
        Index("ix_listing_status_id", "status", "id"),
        Index("ix_listing_kind_id", "kind", "id"),
    )

    @property
    def deals(self) -> list[ListingDeal]:
        offered = []
        if self.for_rent:
            offered.append(ListingDeal.RENT)
        if self.for_sale:
            offered.append(ListingDeal.SALE)
        return offered

    @property
    def area_mu(self) -> Decimal:
        return m2_to_mu(self.area_m2).quantize(Decimal("0.01"))


class ListingEvent(Base):
    """A listing's history: append-only, who, when, why and which lead."""

    __tablename__ = "listing_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    type: Mapped[ListingEventType] = mapped_column(str_enum(ListingEventType))
    from_status: Mapped[ListingStatus | None] = mapped_column(
        str_enum(ListingStatus), nullable=True
    )
    to_status: Mapped[ListingStatus | None] = mapped_column(str_enum(ListingStatus), nullable=True)
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id", ondelete="SET NULL"), nullable=True
    )
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(20), default="agent")
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_listing_event_listing_id_id", "listing_id", "id"),)


class ListingPhoto(Base):
    """An uploaded image (stored under a content-addressed `file_name`) or an external URL."""

    __tablename__ = "listing_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listing.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Exactly one of the two: `file_name` (sha256 of the bytes + extension) or `url`.
    file_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(nullable=True)
    caption: Mapped[str | None] = mapped_column(String(200), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_listing_photo_listing_id_position", "listing_id", "position"),
        Index("ix_listing_photo_file_name", "file_name"),
    )


# --- shortlists (the listings pages, docs/listings.md "Shortlists") --------------------------


class Shortlist(Base):
    """Listings picked for one lead, shown to its prospect at /s/<token> without a login.

    The token is unguessable (secrets.token_urlsafe); a revoked shortlist answers 404."""

    __tablename__ = "listing_shortlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    listing_ids: Mapped[list[int]] = mapped_column(JSONType, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    revoked: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # The last visit recorded on the lead's timeline (reopening soon after is the same visit).
    visited_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    __table_args__ = (Index("ix_listing_shortlist_lead_id", "lead_id"),)
