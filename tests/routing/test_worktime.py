"""Working time on China's official calendar (app.settings.worktime) with real dates."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from app.settings.worktime import (
    DEFAULT_OFFICE_HOURS,
    DayKind,
    add_working_minutes,
    day_kind,
    is_working_time,
    parse_week,
)

SH = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> dt.datetime:
    """A Shanghai wall-clock instant."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH)


# --- the calendar -------------------------------------------------------------------------


def test_national_day_is_a_holiday():
    assert day_kind(dt.date(2025, 10, 1)) is DayKind.HOLIDAY


def test_weekend_inside_national_day_block_is_a_holiday_not_a_weekend():
    assert day_kind(dt.date(2025, 10, 4)) is DayKind.HOLIDAY


def test_sunday_before_national_day_is_a_makeup_workday():
    assert day_kind(dt.date(2025, 9, 28)) is DayKind.MAKEUP_WORKDAY


def test_ordinary_saturday_is_a_weekend():
    assert day_kind(dt.date(2025, 9, 27)) is DayKind.WEEKEND


def test_ordinary_tuesday_is_a_workday():
    assert day_kind(dt.date(2025, 9, 30)) is DayKind.WORKDAY


def test_year_outside_the_package_falls_back_to_monday_to_friday_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="app.settings.worktime"):
        assert day_kind(dt.date(2099, 1, 1)) is DayKind.WORKDAY  # a Thursday; no holiday known
        assert day_kind(dt.date(2099, 1, 3)) is DayKind.WEEKEND
    assert "2099" in caplog.text
    assert "chinese_calendar" in caplog.text


# --- office hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (at(2025, 9, 30, 9, 0), True),  # opening minute counts
        (at(2025, 9, 30, 11, 59), True),
        (at(2025, 9, 30, 12, 0), False),  # lunch
        (at(2025, 9, 30, 13, 29), False),
        (at(2025, 9, 30, 13, 30), True),
        (at(2025, 9, 30, 18, 0), False),  # closing minute does not
        (at(2025, 9, 30, 8, 59), False),
    ],
    ids=lambda v: v.strftime("%H:%M") if isinstance(v, dt.datetime) else str(v),
)
def test_office_hours_on_a_workday(moment, working):
    assert is_working_time(moment) is working


def test_national_day_morning_is_not_working_time():
    assert not is_working_time(at(2025, 10, 1, 10))


def test_makeup_sunday_morning_is_working_time():
    assert is_working_time(at(2025, 9, 28, 10))


def test_spring_festival_monday_is_not_working_time():
    assert not is_working_time(at(2026, 2, 16, 10))


def test_makeup_saturday_before_spring_festival_is_working_time():
    assert is_working_time(at(2026, 2, 14, 10))


def test_ordinary_saturday_is_not_working_time():
    assert not is_working_time(at(2025, 9, 27, 10))


def test_utc_instant_is_judged_in_shanghai_time():
    # 02:00 UTC is 10:00 in Shanghai; 11:00 UTC is 19:00 there.
    assert is_working_time(dt.datetime(2025, 9, 30, 2, 0, tzinfo=dt.UTC))
    assert not is_working_time(dt.datetime(2025, 9, 30, 11, 0, tzinfo=dt.UTC))


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        is_working_time(dt.datetime(2025, 9, 30, 10, 0))


def test_working_hours_setting_replaces_the_default_office_hours():
    app = Flask(__name__)
    app.config["WORKING_HOURS"] = [["08:00", "20:00"]]
    with app.app_context():
        assert is_working_time(at(2025, 9, 30, 19, 0))
        assert is_working_time(at(2025, 9, 30, 12, 30))
    assert not is_working_time(at(2025, 9, 30, 19, 0))


def test_explicit_office_hours_list_applies_to_official_workdays_only():
    hours = [["00:00", "24:00"]]
    assert is_working_time(at(2025, 9, 30, 23, 59), hours)
    assert not is_working_time(at(2025, 10, 1, 10), hours)


# --- an agent's week ---------------------------------------------------------------------------

WEEKDAYS_9_TO_6 = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def test_agent_week_day_not_listed_is_off():
    assert not is_working_time(at(2025, 9, 27, 10), WEEKDAYS_9_TO_6)  # ordinary Saturday


def test_agent_who_lists_saturday_works_an_ordinary_saturday():
    assert is_working_time(at(2025, 9, 27, 10), {"sat": [["09:00", "12:00"]]})


def test_agent_is_off_on_a_public_holiday_even_on_a_listed_weekday():
    assert not is_working_time(at(2025, 10, 1, 10), {"wed": [["09:00", "18:00"]]})


def test_agent_who_lists_saturday_is_off_on_a_holiday_saturday():
    assert not is_working_time(at(2025, 10, 4, 10), {"sat": [["09:00", "18:00"]]})


def test_agent_works_weekday_hours_on_a_makeup_saturday():
    week = {"mon": [["08:00", "10:00"]], "sat": [["14:00", "16:00"]]}
    assert is_working_time(at(2025, 10, 11, 9), week)
    assert not is_working_time(at(2025, 10, 11, 15), week)


def test_agent_week_uses_the_listed_hours_of_that_weekday():
    week = {"tue": [["14:00", "16:00"]]}
    assert is_working_time(at(2025, 9, 30, 15), week)
    assert not is_working_time(at(2025, 9, 30, 10), week)


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ({"monday": [["09:00", "18:00"]]}, "unknown day"),
        ({"mon": [["9am", "18:00"]]}, "not a time of day"),
        ({"mon": [["18:00", "09:00"]]}, "must end after it starts"),
        ({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
        ({"mon": [["09:00"]]}, "pair"),
        ({"mon": [["09:00", "24:01"]]}, "not a time of day"),
        ([["09:00", "18:00"]], "must be an object"),
    ],
)
def test_invalid_week_is_refused_with_a_reason(week, message):
    with pytest.raises(ValueError, match=message):
        parse_week(week)


# --- adding working minutes --------------------------------------------------------------------


def test_minutes_inside_one_interval_are_added_plainly():
    assert add_working_minutes(at(2025, 9, 30, 10, 0), 30) == at(2025, 9, 30, 10, 30)


def test_lunch_break_does_not_count():
    assert add_working_minutes(at(2025, 9, 30, 11, 50), 30) == at(2025, 9, 30, 13, 50)


def test_friday_evening_carries_over_the_weekend_to_monday_morning():
    assert add_working_minutes(at(2025, 9, 19, 17, 50), 30) == at(2025, 9, 22, 9, 20)


def test_minutes_before_national_day_resume_after_the_holiday_week():
    # 2025-10-01..08 are off; Thursday 2025-10-09 is the next working day.
    assert add_working_minutes(at(2025, 9, 30, 17, 45), 30) == at(2025, 10, 9, 9, 15)


def test_friday_evening_before_spring_festival_carries_to_the_makeup_saturday():
    assert add_working_minutes(at(2026, 2, 13, 17, 50), 30) == at(2026, 2, 14, 9, 20)


def test_saturday_evening_carries_to_the_makeup_sunday():
    assert add_working_minutes(at(2025, 9, 27, 20, 0), 30) == at(2025, 9, 28, 9, 30)


def test_zero_minutes_during_a_holiday_is_the_next_working_instant():
    assert add_working_minutes(at(2025, 10, 3, 10, 0), 0) == at(2025, 10, 9, 9, 0)


def test_minutes_ending_exactly_at_closing_time_stay_on_that_day():
    assert add_working_minutes(at(2025, 9, 30, 17, 30), 30) == at(2025, 9, 30, 18, 0)


def test_result_is_in_the_time_zone_of_the_start():
    start = dt.datetime(2025, 9, 30, 9, 50, tzinfo=dt.UTC)  # 17:50 in Shanghai
    due = add_working_minutes(start, 30)
    assert due.tzinfo is dt.UTC
    assert due == at(2025, 10, 9, 9, 20)


def test_agent_week_is_followed_when_adding_minutes():
    week = {"mon": [["09:00", "10:00"]], "wed": [["14:00", "15:00"]]}
    # Monday 2025-09-22 09:30: 30 minutes that day, 30 more on Wednesday afternoon.
    assert add_working_minutes(at(2025, 9, 22, 9, 30), 60, week) == at(2025, 9, 24, 14, 30)


def test_hours_without_any_working_time_are_an_error():
    with pytest.raises(ValueError, match="no working time"):
        add_working_minutes(at(2025, 9, 30, 10, 0), 30, {})


def test_negative_minutes_are_an_error():
    with pytest.raises(ValueError, match="negative"):
        add_working_minutes(at(2025, 9, 30, 10, 0), -1)


# --- the per-minute answer under the office's hours -----------------------------------------

_OFFSETS = [(0, 0), (0, 1), (17, 250_000), (59, 999_999), (60, 0), (61, 5), (119, 999_999)]


@pytest.mark.parametrize("minutes", [0, 1, 30, 59, 60, 181, 480])
def test_due_times_read_from_the_minute_agree_with_the_full_walk(minutes):
    """add_working_minutes under the office's hours answers from the minute the start falls in;
    every start of a busy stretch (opening, lunch, closing, a holiday eve, a weekend) must get
    exactly the due time the walk through the calendar gives for that very instant."""
    starts = []
    for day in (dt.date(2025, 9, 30), dt.date(2025, 9, 26), dt.date(2025, 10, 8)):
        for hh, mm in ((8, 58), (11, 28), (11, 59), (12, 0), (13, 29), (17, 0), (17, 59)):
            base = dt.datetime.combine(day, dt.time(hh, mm), tzinfo=SH)
            starts += [base + dt.timedelta(seconds=s, microseconds=u) for s, u in _OFFSETS]
    for start in starts:
        walked = add_working_minutes(start, minutes, hours=DEFAULT_OFFICE_HOURS)
        assert add_working_minutes(start, minutes) == walked, (start, minutes)
        assert add_working_minutes(start.astimezone(dt.UTC), minutes) == walked
