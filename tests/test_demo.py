"""`parklead seed-demo --history`: a year of history that the lifecycle and the reports agree
with (app/demo.py, app/leads/history.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.demo import seed, seed_history
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.reports import rollup
from app.reports.queries import GROUPS, ReportQuery, funnel_report


@pytest.fixture
def seeded(app):
    seed(0, echo=lambda _line: None)
    added = seed_history(120, echo=lambda _line: None)
    return added


def year() -> tuple[dt.datetime, dt.datetime]:
    end = dt.datetime.now(dt.UTC)
    return end - dt.timedelta(days=367), end


def test_a_year_of_history_has_every_kind_of_outcome(seeded):
    assert seeded == 120
    rows = db.session.execute(select(Lead.status, func.count()).group_by(Lead.status))
    statuses = {status: n for status, n in rows}
    for status in (LeadStatus.WON, LeadStatus.LOST, LeadStatus.SPAM, LeadStatus.CONTACTED):
        assert statuses.get(status, 0) > 0, statuses
    first, last = db.session.execute(
        select(func.min(Lead.created_at), func.max(Lead.created_at))
    ).one()
    assert (last - first).days > 300
    calls = db.session.scalar(select(func.count()).where(LeadEvent.type == EventType.CALL))
    assert calls >= 100


def test_the_history_is_what_the_lifecycle_would_have_recorded(seeded):
    leads = list(db.session.scalars(select(Lead)))
    for lead in leads:
        if lead.status is LeadStatus.LOST:
            assert lead.lost_reason
        if lead.stage_reached >= 6:  # won or beyond
            assert lead.won_at is not None
            assert lead.won_at >= lead.created_at
        if lead.first_contacted_at is not None:
            assert lead.first_contacted_at > lead.created_at
            assert lead.agent_id is not None
    missed = [lead for lead in leads if lead.sla_level == 1]
    met = [lead for lead in leads if lead.first_contacted_at and lead.sla_level == 0]
    assert missed
    assert met
    assert all(
        lead.first_contacted_at is None or lead.first_contacted_at > lead.sla_due_at
        for lead in missed
    )


def test_seeding_the_history_twice_adds_nothing(seeded):
    assert seed_history(120, echo=lambda _line: None) == 0
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 120


def test_reports_from_the_rollup_agree_with_the_leads(seeded):
    start, end = year()
    live = {g: funnel_report(ReportQuery(start, end, g)) for g in GROUPS}
    assert live["none"]["totals"]["won"] > 0

    rollup.refresh()
    db.session.commit()

    assert rollup.split(start, end, "Asia/Shanghai").rolled  # the rollup is really used
    assert {g: funnel_report(ReportQuery(start, end, g)) for g in GROUPS} == live
