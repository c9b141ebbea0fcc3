"""Working time on China's official calendar (docs/routing.md "Working time and holidays"):
public holidays and make-up working days (调休) come from the `chinese_calendar` package, not
from a list of our own.

Two kinds of `hours`:

- office hours, a list of `["HH:MM", "HH:MM"]` intervals (default: the `WORKING_HOURS`
  setting, 09:00–12:00 and 13:30–18:00), worked on every official working day, make-up
  Saturdays and Sundays included, and never on weekends or public holidays;
- an agent's week, `{"mon": [["09:00", "18:00"]], ...}`: a day that is not listed is off.
  A public holiday is off whatever the week says; on a make-up working day that falls on a
  weekend the agent works their weekday hours (those of the first of mon..fri they list,
  since the calendar does not say which weekday the 调休 day stands in for).

The package only knows the years published when it was released (the State Council
announces the next year's holidays in November). So an admin may set a year's holidays and
调休 days (admin page 节假日; the package's data is the default) and that setting wins for
its year; `calendar_warning()` warns on the admin pages and in /healthz 30 days before the
data runs out. For a year with neither, a plain Monday–Friday week is assumed and a warning
is logged once per year, so that routing keeps working on an old package
(docs/operations.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import itertools
import logging
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
from flask import current_app, has_app_context

from app.settings import service as settings

log = logging.getLogger(__name__)

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_OFFICE_HOURS: tuple[tuple[str, str], ...] = (("09:00", "12:00"), ("13:30", "18:00"))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
# add_working_minutes gives up after this many calendar days without working time.
SEARCH_LIMIT_DAYS = 400

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")

# [start, end) in minutes since local midnight.
Interval = tuple[int, int]
Hours = Mapping[str, Any] | Sequence[Sequence[str]]


class DayKind(enum.StrEnum):
    WORKDAY = "workday"  # an ordinary Monday to Friday
    MAKEUP_WORKDAY = "makeup_workday"  # a Saturday or Sunday worked instead of a holiday (调休)
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a public holiday, or a weekday off in a holiday block


def day_kind(day: dt.date) -> DayKind:
    """The kind of `day` on the official calendar: the admin's setting for its year, else the
    package's data, else Monday to Friday."""
    weekend = day.weekday() >= 5
    # Pure use (no app, or an app without ParkLead's database): the package alone.
    with_db = has_app_context() and "db_engine" in current_app.extensions
    override = admin_year(day.year) if with_db else None
    if override is not None:
        if day in override.holidays:
            return DayKind.HOLIDAY
        if day in override.workdays:
            return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
        return DayKind.WEEKEND if weekend else DayKind.WORKDAY
    kind = _package_kind(day)
    if kind is None:
        _warn_outside_calendar(day.year)
        return DayKind.WEEKEND if weekend else DayKind.WORKDAY
    return kind


@functools.lru_cache(maxsize=4096)
def _package_kind(day: dt.date) -> DayKind | None:
    """The installed package's kind of `day`, None when it has no data for its year (kept: the
    package does not change while the process runs, and every SLA asks for a few days)."""
    weekend = day.weekday() >= 5
    try:
        workday = chinese_calendar.is_workday(day)
        _, holiday_name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    if workday:
        return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
    # A weekend inside a holiday block (国庆 on a Saturday) is a holiday, not a free weekend.
    return DayKind.HOLIDAY if holiday_name is not None or not weekend else DayKind.WEEKEND


@dataclasses.dataclass(frozen=True)
class YearCalendar:
    """A year's public holidays (every day off of a holiday block, weekends included) and 调休
    working days (weekends worked)."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def as_setting(self) -> dict[str, list[str]]:
        return {
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }


def holiday_setting_key(year: int) -> str:
    return f"holidays:{year}"


# Seconds an admin calendar read stays in the process (docs/operations.md): the calendar
# changes a few times a year, while every enquiry computes an SLA due time from it, and a
# settings read per enquiry was a sixth of the intake's CPU (bench/intake.py).
ADMIN_YEAR_TTL_SECONDS = 30.0
# (app, year) -> (monotonic time the entry expires, the calendar or None)
_admin_years: dict[tuple[int, int], tuple[float, YearCalendar | None]] = {}


def admin_year(year: int) -> YearCalendar | None:
    """The admin's calendar for `year`, read at most once per ADMIN_YEAR_TTL_SECONDS in each
    process (at once again in the process that changes it)."""
    key = (id(current_app._get_current_object()), year)  # type: ignore[attr-defined]  # Flask types current_app as the Flask object, not the proxy that has this method
    now = time.monotonic()
    entry = _admin_years.get(key)
    if entry is None or entry[0] <= now:
        raw = settings.get(holiday_setting_key(year))
        calendar = None if raw is None else _year_from_setting(year, raw)
        entry = _admin_years[key] = (now + ADMIN_YEAR_TTL_SECONDS, calendar)
    return entry[1]


def forget_admin_years() -> None:
    """Read the admin calendars again on next use (after a change, and between tests)."""
    _admin_years.clear()
    _minute_dues.clear()


def _year_from_setting(year: int, raw: dict[str, list[str]]) -> YearCalendar:
    return YearCalendar(
        year,
        frozenset(dt.date.fromisoformat(d) for d in raw.get("holidays", [])),
        frozenset(dt.date.fromisoformat(d) for d in raw.get("workdays", [])),
    )


def package_years() -> tuple[int, int]:
    """The first and last year the installed `chinese_calendar` has data for."""
    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return min(years), max(years)


def package_year(year: int) -> YearCalendar | None:
    """The package's holidays and 调休 days of `year`, or None when it does not know the year."""
    first, last = package_years()
    if not first <= year <= last:
        return None
    holidays = frozenset(d for d in chinese_calendar.holidays if d.year == year)
    workdays = frozenset(
        d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5
    )
    return YearCalendar(year, holidays, workdays)


def year_source(year: int) -> str:
    """Where `year`'s calendar comes from: "admin", "package" or "none" (Mon–Fri)."""
    if admin_year(year) is not None:
        return "admin"
    return "package" if package_year(year) is not None else "none"


CALENDAR_WARNING_DAYS = 30


def today_local() -> dt.date:
    return dt.datetime.now(ZoneInfo(_timezone())).date()


def calendar_gap(today: dt.date | None = None) -> int | None:
    """The year whose holidays the SLA will soon get wrong: this year when neither the admin
    nor the package knows it, or next year when this one ends within 30 days and next year is
    unknown. None when all is well."""
    today = today or today_local()
    if year_source(today.year) == "none":
        return today.year
    runs_out = dt.date(today.year, 12, 31) - today < dt.timedelta(days=CALENDAR_WARNING_DAYS)
    if runs_out and year_source(today.year + 1) == "none":
        return today.year + 1
    return None


def calendar_warning() -> str | None:
    """The /healthz warning (for operators, in English) while there is a calendar gap."""
    year = calendar_gap()
    if year is None:
        return None
    return (
        f"no holiday calendar for {year}: its public holidays and 调休 would count as ordinary "
        "days; set them on the admin page /app/admin/holidays (or upgrade chinesecalendar)"
    )


def _timezone() -> str:
    return current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ


@functools.cache
def _warn_outside_calendar(year: int) -> None:
    log.warning(
        "chinese_calendar has no data for %s; assuming Monday to Friday with no public holidays "
        "(upgrade the chinesecalendar package)",
        year,
    )


def parse_time(text: str) -> int:
    """'HH:MM' (00:00 to 24:00) as minutes since midnight; ValueError otherwise."""
    match = _HHMM.match(text) if isinstance(text, str) else None
    minutes = int(match.group(1)) * 60 + int(match.group(2)) if match else -1
    if not 0 <= minutes <= MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time of day like '09:00'")
    return minutes


def parse_intervals(raw: Any) -> list[Interval]:
    """`[["09:00", "12:00"], ...]` as sorted minute intervals; ValueError on bad input."""
    if not isinstance(raw, list | tuple):
        raise ValueError('must be a list of ["HH:MM", "HH:MM"] pairs')
    intervals = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError('each interval must be a pair like ["09:00", "12:00"]')
        start, end = parse_time(pair[0]), parse_time(pair[1])
        if start >= end:
            raise ValueError(f"interval {pair[0]}–{pair[1]} must end after it starts")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in itertools.pairwise(intervals):
        if start < end:
            raise ValueError("intervals must not overlap")
    return intervals


def parse_week(raw: Any) -> dict[str, list[Interval]]:
    """An agent's `{"mon": [["09:00", "18:00"]], ...}`; ValueError on bad input."""
    if not isinstance(raw, Mapping):
        raise ValueError('must be an object like {"mon": [["09:00", "18:00"]]}')
    unknown = sorted(set(raw) - set(WEEKDAYS))
    if unknown:
        raise ValueError(f"unknown day {unknown[0]!r}; use {', '.join(WEEKDAYS)}")
    week = {}
    for day, intervals in raw.items():
        try:
            week[day] = parse_intervals(intervals or [])
        except ValueError as exc:
            raise ValueError(f"{day}: {exc}") from None
    return week


def _office_hours() -> Any:
    if has_app_context():
        return current_app.config.get("WORKING_HOURS", DEFAULT_OFFICE_HOURS)
    return DEFAULT_OFFICE_HOURS


def working_intervals(day: dt.date, hours: Hours | None = None) -> list[Interval]:
    """The working intervals of `day` (local date) under `hours` (see the module doc)."""
    kind = day_kind(day)
    if hours is None:
        hours = _office_hours()
    if not isinstance(hours, Mapping):
        return parse_intervals(hours) if kind in _WORKING_KINDS else []
    week = parse_week(hours)
    if kind is DayKind.HOLIDAY:
        return []
    if kind is DayKind.MAKEUP_WORKDAY:
        return next((week[d] for d in WEEKDAYS[:5] if week.get(d)), [])
    return week.get(WEEKDAYS[day.weekday()], [])


_WORKING_KINDS = (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


def _local(at: dt.datetime, tz: str) -> dt.datetime:
    if at.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    return at.astimezone(ZoneInfo(tz))


def is_working_time(at: dt.datetime, hours: Hours | None = None, tz: str = DEFAULT_TZ) -> bool:
    """Whether `at` falls in working time (interval starts inclusive, ends exclusive)."""
    local = _local(at, tz)
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in working_intervals(local.date(), hours))


def add_working_minutes(
    start: dt.datetime, minutes: int, hours: Hours | None = None, tz: str = DEFAULT_TZ
) -> dt.datetime:
    """The instant `minutes` of working time after `start`, in `start`'s time zone.

    Time outside working hours does not count: 30 minutes from Friday 17:50 is Monday 09:20
    (or later, when Monday is a holiday). With 0 minutes, the next working instant.

    Under the office's hours (`hours` None) the answer is read from the minute `start` falls
    in: working intervals are whole minutes, so within one minute the due time either moves
    with `start` (working time) or stays put (outside it). Each process walks the calendar
    twice per minute, SLA and time zone (every new lead and every routing asks this), and at
    most ADMIN_YEAR_TTL_SECONDS after the calendar it walked was read.
    """
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    if hours is not None:
        return _walk_working_minutes(start, minutes, hours, tz)
    office = _office_hours()
    _local(start, tz)  # the same error for a naive start
    first = start.replace(second=0, microsecond=0)
    key = (tz, minutes)
    entry = _minute_dues.get(key)
    now = time.monotonic()
    if entry is None or entry[0] != first or entry[1] is not office or entry[2] < now:
        last = first + _LAST_INSTANT
        entry = (
            first,
            office,
            now + ADMIN_YEAR_TTL_SECONDS,
            _walk_working_minutes(first, minutes, office, tz),
            _walk_working_minutes(last, minutes, office, tz),
        )
        _minute_dues[key] = entry
    due_first, due_last = entry[3], entry[4]
    if due_last == due_first:  # outside working time: the next working instant's due
        return due_first.astimezone(start.tzinfo)
    if due_last - due_first == _LAST_INSTANT:  # working time throughout the minute
        return (due_first + (start - first)).astimezone(start.tzinfo)
    return _walk_working_minutes(start, minutes, office, tz)  # the due crosses a boundary


_LAST_INSTANT = dt.timedelta(seconds=59, microseconds=999_999)
# (time zone, minutes) -> (the minute, the office hours, expiry, its first and last instant's due)
_minute_dues: dict[tuple[str, int], tuple[dt.datetime, Any, float, dt.datetime, dt.datetime]] = {}


def _walk_working_minutes(start: dt.datetime, minutes: int, hours: Hours, tz: str) -> dt.datetime:
    local = _local(start, tz)
    zone = local.tzinfo
    day = local.date()
    # Seconds into the local day; intervals are whole minutes.
    cursor = (local - local.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    remaining = float(minutes) * 60
    for _ in range(SEARCH_LIMIT_DAYS):
        for begin, end in working_intervals(day, hours):
            begin_s, end_s = begin * 60.0, end * 60.0
            if end_s <= cursor:
                continue
            available_from = max(cursor, begin_s)
            if remaining <= end_s - available_from:
                midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
                due = midnight + dt.timedelta(seconds=available_from + remaining)
                return due.astimezone(start.tzinfo)
            remaining -= end_s - available_from
            cursor = end_s
        day += dt.timedelta(days=1)
        cursor = 0.0
    raise ValueError(f"no working time within {SEARCH_LIMIT_DAYS} days under these hours")


_DATE_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*[~～]\s*(\d{4}-\d{2}-\d{2}))?(?:\s+.*)?$")


def parse_date_lines(text: str, year: int) -> frozenset[dt.date]:
    """One date or range per line, as an admin types them: `2027-02-10` or
    `2027-02-10~2027-02-17 春节` (anything after the dates is a note). ValueError names the
    first bad line."""
    days: set[dt.date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _DATE_LINE.match(line)
        try:
            first = dt.date.fromisoformat(match.group(1)) if match else None
            last = dt.date.fromisoformat(match.group(2)) if match and match.group(2) else first
        except ValueError:
            first = last = None
        if first is None or last is None or last < first:
            raise ValueError(f"line {number}: {line!r} is not a date like 2027-02-10 or a range")
        if first.year != year or last.year != year:
            raise ValueError(f"line {number}: {line!r} is not in {year}")
        days.update(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return frozenset(days)


def set_admin_year(calendar: YearCalendar, *, by_agent_id: int | None) -> None:
    """Make `calendar` the official one for its year (the caller commits)."""
    clash = calendar.holidays & calendar.workdays
    if clash:
        raise ValueError(f"{min(clash).isoformat()} cannot be both a holiday and a working day")
    settings.put(holiday_setting_key(calendar.year), calendar.as_setting(), by_agent_id=by_agent_id)
    forget_admin_years()


def clear_admin_year(year: int) -> None:
    """Back to the package's data (or Monday–Friday) for `year`."""
    settings.remove(holiday_setting_key(year))
    forget_admin_years()
