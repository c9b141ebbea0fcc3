"""Holidays for a year the chinesecalendar package does not know: an admin setting that the
SLA follows, and a warning on the admin pages and in /healthz 30 days ahead."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.audit import service as audit
from app.audit.models import AuditAction
from app.settings import worktime
from app.settings.worktime import DayKind, add_working_minutes, day_kind
from tests.web.pages import csrf_token, page_client

SH = ZoneInfo("Asia/Shanghai")
# Invented for the test: a week off around 春节 2027 and a Sunday worked instead.
SPRING_2027 = "2027-02-06~2027-02-12 春节\n"
MAKEUP_2027 = "2027-02-14\n"


@pytest.fixture
def on_day(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr(worktime, "today_local", lambda: day)

    return _set


def save_year(app, admin, year: int, holidays: str, workdays: str):
    browser = page_client(app, admin.login)
    return browser.post(
        f"/app/admin/holidays/{year}",
        data={
            "holidays": holidays,
            "workdays": workdays,
            "csrf_token": csrf_token(browser, "/app/admin/holidays"),
        },
    )


def test_package_does_not_know_2027_so_it_falls_back_to_weekdays(app):
    assert worktime.package_year(2027) is None
    assert day_kind(dt.date(2027, 2, 8)) is DayKind.WORKDAY  # would be 春节


def test_admin_sets_2027_and_the_sla_skips_its_holidays(app, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    response = save_year(app, admin, 2027, SPRING_2027, MAKEUP_2027)
    assert response.status_code == 302
    worktime.forget_admin_years()
    assert day_kind(dt.date(2027, 2, 8)) is DayKind.HOLIDAY
    assert day_kind(dt.date(2027, 2, 6)) is DayKind.HOLIDAY
    assert day_kind(dt.date(2027, 2, 14)) is DayKind.MAKEUP_WORKDAY
    assert day_kind(dt.date(2027, 2, 15)) is DayKind.WORKDAY
    friday_evening = dt.datetime(2027, 2, 5, 17, 50, tzinfo=SH)
    # 10 minutes on Friday, then the holiday week, then the make-up Sunday.
    assert add_working_minutes(friday_evening, 30) == dt.datetime(2027, 2, 14, 9, 20, tzinfo=SH)
    entry = audit.entries(action=AuditAction.SETTING_CHANGED)[0]
    assert entry.detail == {"setting": "holidays:2027", "holidays": 7, "workdays": 1}


def test_admin_setting_overrides_the_package_for_a_known_year(app, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    assert day_kind(dt.date(2026, 3, 2)) is DayKind.WORKDAY
    assert save_year(app, admin, 2026, "2026-03-02 园区开放日\n", "").status_code == 302
    worktime.forget_admin_years()
    assert day_kind(dt.date(2026, 3, 2)) is DayKind.HOLIDAY


def test_bad_dates_are_refused_with_the_typed_text_kept(app, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    response = save_year(app, admin, 2027, "2027-02-30\n", "")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "2027-02-30" in html
    assert "line 1" in html
    worktime.forget_admin_years()
    assert worktime.year_source(2027) == "none"


def test_a_date_of_another_year_is_refused(app, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    assert save_year(app, admin, 2027, "2028-01-01\n", "").status_code == 400


def test_agents_cannot_set_holidays(app, agent, on_day):
    on_day(dt.date(2026, 12, 4))
    browser = page_client(app, agent.login)
    token = csrf_token(browser, "/app/leads")
    response = browser.post("/app/admin/holidays/2027", data={"csrf_token": token})
    assert response.status_code == 403


def test_warning_within_30_days_of_the_end_on_healthz_and_admin_pages(app, client, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    warnings = client.get("/healthz").get_json()["warnings"]
    assert "2027" in warnings["calendar"]
    assert client.get("/healthz").status_code == 200  # a warning, not a failure
    html = page_client(app, admin.login).get("/app/admin/agents").get_data(as_text=True)
    assert 'id="calendar-warning"' in html
    assert "2027" in html


def test_no_warning_earlier_in_the_year(app, client, admin, on_day):
    on_day(dt.date(2026, 11, 30))
    assert client.get("/healthz").get_json()["warnings"] == {}


def test_warning_goes_once_the_admin_sets_next_year(app, client, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    save_year(app, admin, 2027, SPRING_2027, MAKEUP_2027)
    assert client.get("/healthz").get_json()["warnings"] == {}
    html = page_client(app, admin.login).get("/app/admin/holidays").get_data(as_text=True)
    assert 'id="calendar-warning"' not in html
    assert 'data-source="admin"' in html


def test_warning_on_a_day_inside_an_unknown_year(app, client, on_day):
    on_day(dt.date(2027, 1, 4))
    assert "2027" in client.get("/healthz").get_json()["warnings"]["calendar"]


def test_holidays_page_shows_the_package_data_as_the_default(app, admin, on_day):
    on_day(dt.date(2026, 12, 4))
    html = page_client(app, admin.login).get("/app/admin/holidays").get_data(as_text=True)
    assert "2026-10-01" in html  # 国庆 from the package
    assert 'data-source="package"' in html
    assert 'data-source="none"' in html  # 2027
