"""The funnel report's daily rollup (docs/reports.md): counts per local day, team and grouping
value, so a report over a year sums a few thousand rows instead of scanning half a million leads.

`report_day` holds only *materialized* days (up to `report_state.materialized_through`, never
the last two days, which change all the time). A lead changed after its day was materialized
marks that day in `report_dirty_day` in the same transaction; the report computes dirty days
live from `lead` until `rollup.refresh` rebuilds them. See app/reports/rollup.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, Double, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.leads.lifecycle import STAGE_ORDER
from app.leads.models import LeadStatus

STAGES = [s.value for s in STAGE_ORDER]
WON = STAGE_ORDER.index(LeadStatus.WON)
LANDED = STAGE_ORDER.index(LeadStatus.LANDED)
EXCLUDED = (LeadStatus.SPAM, LeadStatus.DUPLICATE)  # not leads: left out of the funnel

# The grouping a rollup row belongs to; "all" rows are the team's whole day (and give weeks).
DIMENSIONS = ("all", "channel", "need_type", "district", "agent", "lost_reason")


class ReportDay(Base):
    __tablename__ = "report_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)  # local day of the leads' creation
    team_id: Mapped[int | None] = mapped_column(nullable=True)
    dim: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created: Mapped[int]  # leads that count (not spam or duplicate)
    excluded: Mapped[int]  # spam and duplicates
    # Leads that count, by the furthest stage they reached (lifecycle.STAGE_ORDER).
    stage_new: Mapped[int]
    stage_assigned: Mapped[int]
    stage_contacted: Mapped[int]
    stage_qualified: Mapped[int]
    stage_site_visit: Mapped[int]
    stage_negotiating: Mapped[int]
    stage_won: Mapped[int]
    stage_landed: Mapped[int]
    stage_producing: Mapped[int]
    lost: Mapped[int]
    sla_met: Mapped[int]  # first contact by the SLA due time
    # Met, or with an SLA due time at all: the report's "due" once no due time lies ahead
    # (days with a lead still waiting for its due time are computed live).
    sla_due: Mapped[int]
    won_tax: Mapped[Decimal] = mapped_column(Numeric(16, 2))

    __table_args__ = (Index("ix_report_day_dim_day", "dim", "day"),)


class ReportDirtyDay(Base):
    """A materialized day whose leads changed since: computed live until refreshed."""

    __tablename__ = "report_dirty_day"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class ReportState(Base):
    """One row: how far the rollup reaches, and in which time zone its days are."""

    __tablename__ = "report_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    materialized_through: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class ReportContact(Base):
    """One contacted lead of a materialized day (docs/reports.md "Time to first contact"): its
    grouping values and its seconds to first contact, with the minute band they fall in, so the
    exact percentiles count bands and then read only the leads of the bands holding each rank."""

    __tablename__ = "report_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)  # local day of the lead's creation
    week: Mapped[dt.date] = mapped_column(Date)  # the Monday of that day
    team_id: Mapped[int | None] = mapped_column(nullable=True)
    channel: Mapped[str] = mapped_column(String(20))
    need_type: Mapped[str] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(50), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(nullable=True)
    # Exactly the report's value: the database's own difference of the two timestamps.
    seconds: Mapped[float] = mapped_column(Double)
    band: Mapped[int]  # seconds / 60 cast to an integer, as rollup.contact_band computes it

    __table_args__ = (
        # Counting the leftover days by band (ungrouped) reads this index alone.
        Index("ix_report_contact_day_band", "day", "band"),
        Index("ix_report_contact_band_day", "band", "day"),
    )


class ReportContactBlock(Base):
    """Contacted leads of a whole local month (dims as `report_day`'s but "lost_reason") or of a
    whole week (dim "week", the week's own group), counted by team, value and minute band: what
    a report counts by band for a period lying inside its materialized days, in far fewer rows
    than the period's `report_contact` rows. Rebuilt with any of the period's days."""

    __tablename__ = "report_contact_block"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[dt.date] = mapped_column(Date)  # the month's or the week's first day
    team_id: Mapped[int | None] = mapped_column(nullable=True)
    dim: Mapped[str] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    band: Mapped[int]
    n: Mapped[int]

    __table_args__ = (Index("ix_report_contact_block_dim_first_day", "dim", "first_day"),)
