"""The funnel report's daily rollup: building it, keeping it honest, and reading it.

A report for a date range is split into days read from `report_day` (materialized, unchanged
since) and intervals computed live from `lead` (the last two days, partial days at the edges,
days marked dirty, days with a lead still inside its SLA window, and everything when the
rollup is missing or kept in another time zone). Both paths count the same classes, so the
report is exact whichever path a day takes; tests compare them on random histories.

- **Marking.** A flush that changes a lead created before today marks the lead's local day in
  `report_dirty_day` (same transaction, `INSERT … ON CONFLICT DO NOTHING`). Leads of today, i.e.
  every intake and routing write, mark nothing: those days are never materialized.
- **Refreshing.** `refresh()` (beat, every `REPORT_ROLLUP_INTERVAL_SECONDS`, and `parklead
  reports refresh`) materializes the days up to the day before yesterday and rebuilds the dirty
  ones, under a row lock on `report_state`, so two runs at once do the work once.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import db, utcnow
from app.leads.models import FIRST_CONTACT_SQL, Lead, LeadStatus
from app.reports.models import (
    EXCLUDED,
    STAGES,
    WON,
    ReportContact,
    ReportContactBlock,
    ReportDay,
    ReportDirtyDay,
    ReportState,
)

# The last LIVE_DAYS local days (today and yesterday) are always computed live.
LIVE_DAYS = 2
# Days materialized per INSERT … SELECT during a rebuild (one progress step each).
CHUNK_DAYS = 31
STATE_ID = 1
STAGE_COLUMNS = [getattr(ReportDay, f"stage_{stage}") for stage in STAGES]
SUM_COLUMNS = ["created", "excluded", *(f"stage_{s}" for s in STAGES), "lost"]
SUM_COLUMNS += ["sla_met", "sla_due", "won_tax"]
GROUP_VALUES: dict[str, Any] = {
    "all": literal(None, String),
    "channel": cast(Lead.channel, String),
    "need_type": cast(Lead.need_type, String),
    "district": Lead.district,
    "agent": cast(Lead.agent_id, String),
    "lost_reason": Lead.lost_reason,
}


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _config_tz() -> str:
    return current_app.config["TIMEZONE"] if has_app_context() else "Asia/Shanghai"


def midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Start of a local day, in UTC."""
    return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)


def sqlite_offset(zone: ZoneInfo) -> str:
    """The zone's UTC offset now as an SQLite date modifier ("+480 minutes"); SQLite knows no
    time zones, so days and weeks there shift with the offset of today."""
    offset = dt.datetime.now(zone).utcoffset() or dt.timedelta()
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def _local_day(zone: ZoneInfo) -> Any:
    """The local day of a lead's creation, as SQL."""
    if _dialect() == "postgresql":
        return cast(func.timezone(zone.key, Lead.created_at), Date)
    return func.date(Lead.created_at, sqlite_offset(zone))


def _local_week(zone: ZoneInfo) -> Any:
    """The Monday of the local day of a lead's creation, as SQL."""
    if _dialect() == "postgresql":
        return cast(func.date_trunc("week", func.timezone(zone.key, Lead.created_at)), Date)
    return func.date(Lead.created_at, sqlite_offset(zone), "-6 days", "weekday 1")


def contact_seconds() -> Any:
    """Seconds from a lead's creation to its first contact, as the database computes them (the
    report's percentiles are of these exact values)."""
    if _dialect() == "postgresql":
        # date_part is double precision; extract() has been numeric since PostgreSQL 14.
        return func.date_part("epoch", Lead.first_contacted_at - Lead.created_at)
    return (func.julianday(Lead.first_contacted_at) - func.julianday(Lead.created_at)) * 86400.0


def contact_band(seconds: Any) -> Any:
    """The minute band of a number of seconds: any SQL function that never decreases as the
    seconds grow will do, as long as the rollup and the live leads use the same one."""
    return cast(seconds / 60, Integer)


def contacted() -> Any:
    """Leads whose first contact counts in the report: contacted, not merged, spam or duplicate;
    the literal predicate of ix_lead_first_contact, so that even a prepared statement's generic
    plan can use that index."""
    return text(FIRST_CONTACT_SQL)


# --- marking ----------------------------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _mark_changed_days(session: Session, _context: Any) -> None:
    """Mark the local days of changed leads created before today as dirty."""
    changed = [
        obj
        for obj in itertools.chain(session.new, session.dirty, session.deleted)
        if isinstance(obj, Lead)
    ]
    if not changed:
        return
    zone = ZoneInfo(_config_tz())
    today = midnight(dt.datetime.now(zone).date(), zone)
    # Never a lazy load inside a flush: the loaded value, else one query for the rest.
    created = [lead.__dict__.get("created_at") for lead in changed]
    unloaded = [lead.id for lead, at in zip(changed, created, strict=True) if at is None]
    if unloaded:
        created += session.scalars(select(Lead.created_at).where(Lead.id.in_(unloaded)))
    days = {at.astimezone(zone).date() for at in created if at is not None and at < today}
    if days:
        mark_dirty(session, days)


def mark_dirty(session: Session, days: Iterable[dt.date]) -> None:
    rows = [{"day": day} for day in sorted(days)]
    dialect = session.get_bind().dialect.name
    stmt = (postgresql if dialect == "postgresql" else sqlite).insert(ReportDirtyDay)
    session.connection().execute(stmt.on_conflict_do_nothing(), rows)


# --- refreshing -------------------------------------------------------------------------


@dataclass(slots=True)
class RefreshResult:
    rebuilt: bool
    days: int  # days (re)materialized
    through: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rebuilt": self.rebuilt,
            "days": self.days,
            "through": self.through.isoformat() if self.through else None,
        }


def _locked_state(tz: str) -> ReportState:
    stmt = select(ReportState).where(ReportState.id == STATE_ID).with_for_update()
    state = db.session.scalar(stmt)
    if state is not None:
        return state
    try:
        with db.session.begin_nested():
            db.session.add(ReportState(id=STATE_ID, timezone=tz))
    except IntegrityError:
        pass  # another refresh created it first; wait for its lock below
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def _runs(days: Iterable[dt.date], limit: int | None = None) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs (of at most `limit` days)."""
    run: list[dt.date] = []
    for day in sorted(days):
        if run and (day - run[-1] != dt.timedelta(days=1) or len(run) == limit):
            yield run[0], run[-1]
            run = []
        run.append(day)
    if run:
        yield run[0], run[-1]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def refresh(
    *, full: bool = False, progress: Callable[[int, int], None] | None = None
) -> RefreshResult:
    """Materialize the days up to the day before yesterday and rebuild dirty ones.

    `full` rebuilds everything (also done when the time zone changed). The caller commits."""
    tz = _config_tz()
    zone = ZoneInfo(tz)
    through = dt.datetime.now(zone).date() - dt.timedelta(days=LIVE_DAYS)
    state = _locked_state(tz)
    rebuild = full or state.timezone != tz or state.materialized_through is None
    if rebuild:
        db.session.execute(delete(ReportDay))
        db.session.execute(delete(ReportContact))
        db.session.execute(delete(ReportContactBlock))
        db.session.execute(delete(ReportDirtyDay))
        first_created = db.session.scalar(select(func.min(Lead.created_at)))
        first = first_created.astimezone(zone).date() if first_created else through
        days = set(_days(first, through)) if first <= through else set()
    else:
        assert state.materialized_through is not None
        dirty = db.session.scalars(
            delete(ReportDirtyDay)
            .where(ReportDirtyDay.day <= through)
            .returning(ReportDirtyDay.day)
        ).all()
        days = set(dirty)
        if state.materialized_through < through:
            days.update(_days(state.materialized_through + dt.timedelta(days=1), through))
    done = 0
    for first, last in _runs(days, CHUNK_DAYS):
        _materialize(first, last, zone)
        done += (last - first).days + 1
        if progress:
            progress(done, len(days))
    state.timezone = tz
    if rebuild or state.materialized_through is None:
        state.materialized_through = through
    else:
        state.materialized_through = max(state.materialized_through, through)
    _rebuild_blocks(days, state.materialized_through)
    state.refreshed_at = utcnow()
    db.session.flush()
    return RefreshResult(rebuilt=rebuild, days=len(days), through=state.materialized_through)


def _count_if(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _materialize(first: dt.date, last: dt.date, zone: ZoneInfo) -> None:
    """Replace the rollup rows of the local days first..last with counts from `lead`."""
    db.session.execute(delete(ReportDay).where(ReportDay.day >= first, ReportDay.day <= last))
    day = _local_day(zone)
    real = Lead.status.not_in(EXCLUDED)
    sums = [
        _count_if(real),
        _count_if(~real),
        *(_count_if(and_(real, Lead.stage_reached == i)) for i in range(len(STAGES))),
        _count_if(Lead.status == LeadStatus.LOST),
        _count_if(and_(real, Lead.first_contacted_at <= Lead.sla_due_at)),
        _count_if(and_(real, Lead.sla_due_at.is_not(None))),
        func.coalesce(func.sum(case((Lead.stage_reached >= WON, Lead.tax_wan))), 0),
    ]
    in_days = (
        Lead.created_at >= midnight(first, zone),
        Lead.created_at < midnight(last + dt.timedelta(days=1), zone),
        Lead.merged_into_id.is_(None),
    )
    for dim, value in GROUP_VALUES.items():
        where = [*in_days]
        if dim == "lost_reason":
            where.append(Lead.status == LeadStatus.LOST)
        rows = (
            select(day, Lead.team_id, literal(dim, String), value, *sums)
            .where(*where)
            .group_by(day, Lead.team_id, value)
        )
        columns = ["day", "team_id", "dim", "value", *SUM_COLUMNS]
        db.session.execute(insert(ReportDay).from_select(columns, rows))
    _materialize_contacts(first, last, zone)


def _materialize_contacts(first: dt.date, last: dt.date, zone: ZoneInfo) -> None:
    """Replace the report_contact rows of the local days first..last."""
    in_days = (ReportContact.day >= first, ReportContact.day <= last)
    db.session.execute(delete(ReportContact).where(*in_days))
    seconds = contact_seconds()
    rows = select(
        _local_day(zone), _local_week(zone), Lead.team_id, cast(Lead.channel, String),
        cast(Lead.need_type, String), Lead.district, Lead.agent_id, seconds,
        contact_band(seconds),
    ).where(
        Lead.created_at >= midnight(first, zone),
        Lead.created_at < midnight(last + dt.timedelta(days=1), zone),
        contacted(),
    )  # fmt: skip
    columns = ["day", "week", "team_id", "channel", "need_type", "district", "agent_id"]
    columns += ["seconds", "band"]
    db.session.execute(insert(ReportContact).from_select(columns, rows))


# Periods counted whole in report_contact_block: months (for every grouping but weeks) and weeks.
BLOCK_DIMS: dict[str, Any] = {
    "all": literal(None, String),
    "channel": ReportContact.channel,
    "need_type": ReportContact.need_type,
    "district": ReportContact.district,
    "agent": cast(ReportContact.agent_id, String),
}


def month_last(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _rebuild_blocks(days: Iterable[dt.date], through: dt.date) -> None:
    """Recount the whole months and weeks holding any of `days` that end by `through`."""
    days = set(days)
    months = sorted({d.replace(day=1) for d in days if month_last(d.replace(day=1)) <= through})
    weeks = {d - dt.timedelta(days=d.weekday()) for d in days}
    weeks = {w for w in weeks if w + dt.timedelta(days=6) <= through}
    block = ReportContactBlock
    if months:
        db.session.execute(delete(block).where(block.dim != "week", block.first_day.in_(months)))
    for month in months:
        in_month = (ReportContact.day >= month, ReportContact.day <= month_last(month))
        for dim, value in BLOCK_DIMS.items():
            rows = (
                select(
                    literal(month, Date), ReportContact.team_id, literal(dim, String), value,
                    ReportContact.band, func.count(),
                )
                .where(*in_month)
                .group_by(ReportContact.team_id, value, ReportContact.band)
            )  # fmt: skip
            columns = ["first_day", "team_id", "dim", "value", "band", "n"]
            db.session.execute(insert(block).from_select(columns, rows))
    ordered = sorted(weeks)
    for chunk in (ordered[i : i + 100] for i in range(0, len(ordered), 100)):
        db.session.execute(delete(block).where(block.dim == "week", block.first_day.in_(chunk)))
        rows = (
            select(
                ReportContact.week, ReportContact.team_id, literal("week", String),
                literal(None, String), ReportContact.band, func.count(),
            )
            .where(ReportContact.week.in_(chunk))
            .group_by(ReportContact.week, ReportContact.team_id, ReportContact.band)
        )  # fmt: skip
        columns = ["first_day", "team_id", "dim", "value", "band", "n"]
        db.session.execute(insert(block).from_select(columns, rows))


def _period_start(day: dt.date, weeks: bool) -> dt.date:
    """The first month or week starting on or after `day`."""
    if weeks:
        return day + dt.timedelta(days=(7 - day.weekday()) % 7)
    return day if day.day == 1 else month_last(day.replace(day=1)) + dt.timedelta(days=1)


def _period_end(start: dt.date, weeks: bool) -> dt.date:
    return start + dt.timedelta(days=6) if weeks else month_last(start)


def whole_periods(
    runs: list[tuple[dt.date, dt.date]], *, weeks: bool
) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """The months (or weeks) lying wholly inside the runs of days, by their first day, and the
    days of the runs left over, as runs."""
    firsts: list[dt.date] = []
    rest: list[tuple[dt.date, dt.date]] = []
    for first, last in runs:
        cursor = first
        start = _period_start(first, weeks)
        while _period_end(start, weeks) <= last:
            if cursor < start:
                rest.append((cursor, start - dt.timedelta(days=1)))
            firsts.append(start)
            cursor = start = _period_end(start, weeks) + dt.timedelta(days=1)
        if cursor <= last:
            rest.append((cursor, last))
    return firsts, rest


# --- reading ----------------------------------------------------------------------------


@dataclass(slots=True)
class Split:
    """Which parts of a report's range come from the rollup and which are computed live."""

    rolled: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # runs of days
    live: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)  # [start, end)


def split(start: dt.datetime, end: dt.datetime, tz: str) -> Split:
    state = db.session.get(ReportState, STATE_ID)
    if state is None or state.materialized_through is None or state.timezone != tz:
        return Split(live=[(start, end)])
    zone = ZoneInfo(tz)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    first = local_start.date()
    if local_start.timetz().replace(tzinfo=None) != dt.time():
        first += dt.timedelta(days=1)
    last = min(local_end.date() - dt.timedelta(days=1), state.materialized_through)
    if first > last:
        return Split(live=[(start, end)])
    stale = _stale_days(first, last, zone)
    runs = list(_runs(day for day in _days(first, last) if day not in stale))
    live: list[tuple[dt.datetime, dt.datetime]] = []
    cursor = start  # the live intervals are the gaps around the runs
    for run_first, run_last in runs:
        if cursor < midnight(run_first, zone):
            live.append((cursor, midnight(run_first, zone)))
        cursor = midnight(run_last + dt.timedelta(days=1), zone)
    if cursor < end:
        live.append((cursor, end))
    return Split(rolled=runs, live=live)


def _stale_days(first: dt.date, last: dt.date, zone: ZoneInfo) -> set[dt.date]:
    """Dirty days, and days with a lead not yet contacted whose SLA due time lies ahead (its
    "due" count changes with the clock)."""
    dirty = db.session.scalars(
        select(ReportDirtyDay.day).where(ReportDirtyDay.day >= first, ReportDirtyDay.day <= last)
    )
    waiting = db.session.scalars(
        select(Lead.created_at).where(
            Lead.first_contacted_at.is_(None),
            Lead.sla_due_at > utcnow(),
            Lead.created_at >= midnight(first, zone),
            Lead.created_at < midnight(last + dt.timedelta(days=1), zone),
        )
    )
    return set(dirty) | {created.astimezone(zone).date() for created in waiting}


def rolled_rows(
    runs: list[tuple[dt.date, dt.date]], dim: str, *, by_day: bool, team_id: int | None
) -> list[Any]:
    """Summed rollup rows of one dimension over the runs of days, keyed by `value` (and by
    `day` when `by_day`)."""
    if not runs:
        return []
    keys = [ReportDay.day] if by_day else [ReportDay.value]
    in_runs = [and_(ReportDay.day >= first, ReportDay.day <= last) for first, last in runs]
    stmt = select(
        *(key.label("key") for key in keys),
        *(func.sum(getattr(ReportDay, name)).label(name) for name in SUM_COLUMNS),
    ).where(ReportDay.dim == dim, or_(*in_runs))
    if team_id is not None:
        stmt = stmt.where(ReportDay.team_id == team_id)
    return list(db.session.execute(stmt.group_by(*keys)))


def stage_counts(row: Any) -> list[int]:
    return [int(getattr(row, f"stage_{stage}")) for stage in STAGES]


def as_int_key(value: str | None) -> int | None:
    return int(value) if value is not None else None
