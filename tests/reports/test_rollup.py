"""The funnel report's daily rollup (app/reports/rollup.py): a report read from materialized
days is the report computed from the leads, whatever changed since and whatever the grouping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.cli import reports_refresh
from app.core.db import db, utcnow
from app.leads.lifecycle import change_status
from app.leads.models import Channel, Lead, NeedType
from app.reports import rollup
from app.reports.models import ReportDay, ReportDirtyDay, ReportState
from app.reports.queries import GROUPS, ReportQuery, funnel_report
from tests.reports.known_history import SH, add_lead, at

START = dt.datetime(2026, 3, 2, tzinfo=SH).astimezone(dt.UTC)
END = dt.datetime(2026, 3, 16, tzinfo=SH).astimezone(dt.UTC)


@pytest.fixture
def history(random_history, make_team, make_agent):
    """The random history plus a second team with districts, so team and district rows exist."""
    other = make_team("east")
    agent = make_agent("east1", team=other)
    for day, hour, district in [
        (3, 15, "天元区"),
        (3, 16, None),
        (9, 15, "芦淞区"),
        (14, 15, "天元区"),
    ]:
        add_lead(created=at(day, hour), channel=Channel.PHONE, need=NeedType.LAND,
                 agent_id=agent.id, team_id=other.id, path=["assigned", "contacted"],
                 contact_after=12, tax=80)  # fmt: skip
        db.session.execute(
            Lead.__table__.update()
            .where(Lead.created_at == at(day, hour), Lead.team_id == other.id)
            .values(district=district)
        )
    db.session.commit()
    return other


def reports(team_id: int | None = None, start=START, end=END) -> dict[str, dict]:
    return {g: funnel_report(ReportQuery(start, end, g, team_id=team_id)) for g in GROUPS}


def refresh(**kwargs) -> rollup.RefreshResult:
    result = rollup.refresh(**kwargs)
    db.session.commit()
    return result


def test_rolled_up_reports_equal_live_ones_for_every_grouping(history):
    live, live_team = reports(), reports(team_id=history.id)
    assert rollup.split(START, END, "Asia/Shanghai").rolled == []

    result = refresh()

    assert result.rebuilt
    assert result.through == dt.datetime.now(SH).date() - dt.timedelta(days=2)
    parts = rollup.split(START, END, "Asia/Shanghai")
    assert parts.rolled == [(dt.date(2026, 3, 2), dt.date(2026, 3, 15))]
    assert parts.live == []
    assert reports() == live
    assert reports(team_id=history.id) == live_team
    assert live_team["none"]["totals"]["created"] == 4
    districts = {g["key"]: g["created"] for g in live_team["district"]["groups"]}
    assert districts == {"天元区": 2, "芦淞区": 1, None: 1}


def test_a_change_to_an_old_lead_is_reported_at_once_and_rolled_up_later(history):
    refresh()
    lead = db.session.scalars(
        select(Lead).where(Lead.status == "contacted").order_by(Lead.created_at)
    ).first()
    day = lead.created_at.astimezone(SH).date()
    before = funnel_report(ReportQuery(START, END))["totals"]

    change_status(lead, "qualified", actor="system")
    lead.tax_wan = Decimal(5000)
    db.session.commit()

    assert db.session.scalars(select(ReportDirtyDay.day)).all() == [day]
    parts = rollup.split(START, END, "Asia/Shanghai")
    assert day not in {d for first, last in parts.rolled for d in rollup._days(first, last)}
    after = reports()
    assert after["none"]["totals"]["funnel"]["qualified"] == before["funnel"]["qualified"] + 1

    result = refresh()

    assert not result.rebuilt
    assert result.days == 1
    assert db.session.scalars(select(ReportDirtyDay.day)).all() == []
    assert reports() == after
    db.session.execute(ReportState.__table__.delete())  # the rollup gone: all live again
    assert reports() == after


def test_leads_of_today_and_yesterday_mark_nothing_and_stay_live(app, history, client):
    refresh()
    answer = client.post(
        "/api/leads",
        json={"need_type": "factory", "phone": "13912345678", "contact_name": "王先生"},
    )
    assert answer.status_code == 201, answer.get_json()
    assert db.session.scalar(select(func.count()).select_from(ReportDirtyDay)) == 0
    today = dt.datetime.now(SH).date()
    week_start = dt.datetime.combine(today - dt.timedelta(days=7), dt.time(), SH)
    parts = rollup.split(week_start, utcnow(), "Asia/Shanghai")
    assert parts.live[-1] == (
        dt.datetime.combine(today - dt.timedelta(days=1), dt.time(), SH).astimezone(dt.UTC),
        parts.live[-1][1],
    )
    report = funnel_report(ReportQuery(week_start.astimezone(dt.UTC), utcnow()))
    assert report["totals"]["created"] == 1


def test_a_day_with_a_lead_inside_its_sla_window_is_computed_live(history):
    refresh()
    waiting = db.session.scalars(select(Lead).where(Lead.first_contacted_at.is_(None))).first()
    waiting.sla_due_at = utcnow() + dt.timedelta(hours=1)
    db.session.commit()
    db.session.execute(ReportDirtyDay.__table__.delete())  # only the SLA keeps it live

    day = waiting.created_at.astimezone(SH).date()
    parts = rollup.split(START, END, "Asia/Shanghai")
    rolled = {d for first, last in parts.rolled for d in rollup._days(first, last)}
    assert day not in rolled
    assert len(rolled) == 13
    live = funnel_report(ReportQuery(START, END))
    db.session.execute(ReportState.__table__.delete())
    assert funnel_report(ReportQuery(START, END)) == live


def test_partial_days_at_the_edges_are_computed_live(history):
    refresh()
    start = dt.datetime(2026, 3, 3, 12, tzinfo=SH).astimezone(dt.UTC)
    end = dt.datetime(2026, 3, 14, 12, tzinfo=SH).astimezone(dt.UTC)
    rolled_up = reports(start=start, end=end)

    parts = rollup.split(start, end, "Asia/Shanghai")

    assert parts.rolled == [(dt.date(2026, 3, 4), dt.date(2026, 3, 13))]
    assert parts.live == [
        (start, dt.datetime(2026, 3, 4, tzinfo=SH).astimezone(dt.UTC)),
        (dt.datetime(2026, 3, 14, tzinfo=SH).astimezone(dt.UTC), end),
    ]
    db.session.execute(ReportState.__table__.delete())
    assert reports(start=start, end=end) == rolled_up


def test_another_time_zone_is_computed_live(history):
    refresh()
    assert rollup.split(START, END, "Europe/Berlin").rolled == []


def test_refresh_twice_changes_nothing_and_a_full_rebuild_agrees(history):
    refresh()
    rows = db.session.scalar(select(func.count()).select_from(ReportDay))
    assert rows > 0
    again = refresh()
    assert not again.rebuilt
    assert again.days == 0
    assert db.session.scalar(select(func.count()).select_from(ReportDay)) == rows
    report = reports()
    assert refresh(full=True).rebuilt
    assert db.session.scalar(select(func.count()).select_from(ReportDay)) == rows
    assert reports() == report


def test_cli_refresh_reports_progress(app, history):
    result = app.test_cli_runner().invoke(reports_refresh, [])
    assert result.exit_code == 0, result.output
    days = (dt.datetime.now(SH).date() - dt.timedelta(days=2) - dt.date(2026, 3, 2)).days + 1
    assert f"materialized {days}/{days} days\n" in result.output
    assert f"report rollup rebuilt: {days} days" in result.output
