"""Leads and their append-only history (docs/leads.md)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Agent, Team
from app.core.db import Base, utcnow
from app.core.types import JSONType, str_enum
from app.core.vocab import NeedType

REFERENCE_TZ = ZoneInfo("Asia/Shanghai")


class Channel(enum.StrEnum):
    WEB_FORM = "web_form"
    WECHAT = "wechat"
    PHONE = "phone"
    IMPORT = "import"
    API = "api"


class Deal(enum.StrEnum):
    RENT = "rent"
    BUY = "buy"
    BUILD_TO_SUIT = "build_to_suit"
    ANY = "any"


class LeadStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    QUALIFIED = "qualified"
    SITE_VISIT = "site_visit"
    NEGOTIATING = "negotiating"
    WON = "won"
    LANDED = "landed"
    PRODUCING = "producing"
    LOST = "lost"
    SPAM = "spam"
    DUPLICATE = "duplicate"


# Stages in which a lead is still being worked; a new enquiry from the same phone joins it.
OPEN_STATUSES = (
    LeadStatus.NEW,
    LeadStatus.ASSIGNED,
    LeadStatus.CONTACTED,
    LeadStatus.QUALIFIED,
    LeadStatus.SITE_VISIT,
    LeadStatus.NEGOTIATING,
)
OPEN_SQL = "status IN ({})".format(", ".join(f"'{s.value}'" for s in OPEN_STATUSES))
# Contacted leads that count in reports (not merged, spam or duplicates).
FIRST_CONTACT_SQL = (
    "first_contacted_at IS NOT NULL AND merged_into_id IS NULL"
    " AND status NOT IN ('spam', 'duplicate')"
)


# The lead's requirements that the matching of listings reads besides need, deal, area,
# district, industry, tax and investment (docs/listings.md).
REQUIREMENT_FIELDS = (
    "ceiling_height_min_m",
    "crane_t",
    "power_kva",
    "floor_load_t_m2",
    "eia_category",
    "budget_rent_yuan_m2_month",
    "budget_land_wan_per_mu",
)


class EventType(enum.StrEnum):
    CREATED = "created"
    ENQUIRY = "enquiry"  # a repeated enquiry joined this lead
    FIELD_CHANGED = "field_changed"
    STATUS_CHANGED = "status_changed"
    ASSIGNED = "assigned"
    REASSIGNED = "reassigned"
    UNASSIGNED = "unassigned"
    NOTE = "note"
    CALL = "call"
    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    NOTIFICATION = "notification"
    MERGED = "merged"
    SLA_BREACHED = "sla_breached"
    # A WeChat prospect gave a phone that another open lead has (docs/security.md).
    POSSIBLE_DUPLICATE = "possible_duplicate"
    # A listing reserved for, released from, let or sold to the lead (data: action, listing).
    LISTING = "listing"


class Lead(Base):
    __tablename__ = "lead"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    # Form id, UTM source/medium/campaign, WeChat scene.
    source: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    need_type: Mapped[NeedType] = mapped_column(str_enum(NeedType), default=NeedType.OTHER)
    deal: Mapped[Deal | None] = mapped_column(str_enum(Deal), nullable=True)
    area_min_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    area_max_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    industry: Mapped[str | None] = mapped_column(String(100), nullable=True)
    tax_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    investment_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    employees: Mapped[int | None] = mapped_column(nullable=True)
    timeline: Mapped[str | None] = mapped_column(String(100), nullable=True)
    district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    wechat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    wechat_openid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Requirements the matching of listings reads (docs/listings.md); all optional.
    ceiling_height_min_m: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    crane_t: Mapped[Decimal | None] = mapped_column(Numeric(6, 1), nullable=True)
    power_kva: Mapped[int | None] = mapped_column(nullable=True)
    floor_load_t_m2: Mapped[Decimal | None] = mapped_column(Numeric(6, 2), nullable=True)
    eia_category: Mapped[str | None] = mapped_column(String(50), nullable=True)
    budget_rent_yuan_m2_month: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    budget_land_wan_per_mu: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)

    status: Mapped[LeadStatus] = mapped_column(str_enum(LeadStatus), default=LeadStatus.NEW)
    score: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    lost_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lead.id"), nullable=True)
    # Set when a WeChat prospect typed a phone that belongs to another prospect's open lead:
    # this lead is theirs, flagged for an agent to merge (docs/security.md).
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("lead.id"), nullable=True
    )

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set once routing has run (assigned or left in the pool); NULL means the worker owes it.
    routed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    first_contacted_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    last_activity_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_follow_up_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    sla_due_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # Furthest funnel stage ever reached (index into lifecycle.STAGE_ORDER), kept by the
    # lifecycle in the same transaction, so funnel reports need no scan of the event history.
    stage_reached: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    won_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    landed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # 0: within SLA; 1: breach reported to the team lead; 2: reassigned after a second breach.
    sla_level: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # Set when the prospect's personal data was erased (retention or on request,
    # app/leads/erasure.py); the lead's figures stay for reports.
    personal_erased_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)

    version: Mapped[int] = mapped_column(default=1, server_default=text("1"))

    agent: Mapped[Agent | None] = relationship(lazy="raise", foreign_keys=[agent_id])
    team: Mapped[Team | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # One open lead per phone: repeated enquiries attach to it (dedupe, race-proof).
        Index(
            "uq_lead_open_phone",
            "phone",
            unique=True,
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
        # Agent queue: my leads by status, SLA due first.
        Index("ix_lead_agent_status_sla", "agent_id", "status", "sla_due_at"),
        # Agent queue order: my open leads by SLA due (nulls last), score, id; read in order.
        # PostgreSQL only: SQLite cannot declare NULLS LAST in an index (and needs none at
        # embedded sizes).
        Index(
            "ix_lead_queue",
            "agent_id",
            text("sla_due_at ASC NULLS LAST"),
            text("score DESC"),
            "id",
            postgresql_where=text(OPEN_SQL),
        ).ddl_if(dialect="postgresql"),
        # Team pool: unassigned leads of a team.
        Index("ix_lead_team_status", "team_id", "status"),
        # Sweeper: leads the worker still owes a routing.
        Index(
            "ix_lead_unrouted",
            "created_at",
            postgresql_where=text("routed_at IS NULL"),
            sqlite_where=text("routed_at IS NULL"),
        ),
        # SLA checks: open leads not yet contacted, by due time.
        Index(
            "ix_lead_sla_pending",
            "sla_due_at",
            postgresql_where=text("first_contacted_at IS NULL"),
            sqlite_where=text("first_contacted_at IS NULL"),
        ),
        # Follow-up reminders.
        Index(
            "ix_lead_follow_up",
            "next_follow_up_at",
            postgresql_where=text("next_follow_up_at IS NOT NULL"),
            sqlite_where=text("next_follow_up_at IS NOT NULL"),
        ),
        # A follower's open lead. Partial: most leads come from the web form and have no
        # openid, and every index entry is paid on each insert and on each routing's UPDATE.
        Index(
            "ix_lead_wechat_openid",
            "wechat_openid",
            postgresql_where=text("wechat_openid IS NOT NULL"),
            sqlite_where=text("wechat_openid IS NOT NULL"),
        ),
        # Reports and the admin list: by creation time. SQLite only: on PostgreSQL
        # ix_lead_report below leads with the same column and serves the same scans.
        Index("ix_lead_created_at", "created_at").ddl_if(dialect="sqlite"),
        # The funnel report reads a date range of these columns only: an index-only scan.
        Index(
            "ix_lead_report",
            "created_at",
            postgresql_include=[
                "status",
                "stage_reached",
                "merged_into_id",
                "team_id",
                "agent_id",
                "channel",
                "need_type",
                "district",
                "first_contacted_at",
                "sla_due_at",
                "tax_wan",
                "lost_reason",
            ],
        ).ddl_if(dialect="postgresql"),
        # Time to first contact in the funnel report (a year: an index-only scan of the
        # contacted leads alone). The predicate is the report's, with literal statuses, so a
        # prepared statement's generic plan can still prove it.
        Index(
            "ix_lead_first_contact",
            "created_at",
            postgresql_include=[
                "first_contacted_at",
                "team_id",
                "channel",
                "need_type",
                "district",
                "agent_id",
            ],
            postgresql_where=text(FIRST_CONTACT_SQL),
        ).ddl_if(dialect="postgresql"),
        Index("ix_lead_status", "status"),
        # Matching a listing to open leads: the newest open leads of one need type.
        Index(
            "ix_lead_open_need",
            "need_type",
            "created_at",
            postgresql_where=text(OPEN_SQL),
            sqlite_where=text(OPEN_SQL),
        ),
    )

    @property
    def reference(self) -> str:
        """Public reference such as PL-20261124-0007 (Shanghai date of creation + id)."""
        return format_reference(self.id, self.created_at)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def format_reference(lead_id: int, created_at: dt.datetime) -> str:
    return f"PL-{created_at.astimezone(REFERENCE_TZ):%Y%m%d}-{lead_id:04d}"


def lead_id_from_reference(reference: str) -> int | None:
    """The lead id inside a reference, or None when it is not one of ours."""
    parts = reference.strip().upper().split("-")
    if len(parts) != 3 or parts[0] != "PL" or len(parts[1]) != 8 or not parts[2].isdigit():
        return None
    if not parts[2].isascii():  # "²" is a digit to isdigit() but not to int()
        return None
    return int(parts[2])


class LeadEvent(Base):
    """Append-only: reports and the timeline read it; nothing rewrites it."""

    __tablename__ = "lead_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("lead.id", ondelete="CASCADE"))
    type: Mapped[EventType] = mapped_column(str_enum(EventType))
    # The agent who acted; None for the prospect or the system (see `actor`).
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), nullable=True)
    actor: Mapped[str] = mapped_column(String(20), default="system")
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_lead_event_lead_id_id", "lead_id", "id"),
        Index("ix_lead_event_type_created_at", "type", "created_at"),
    )
