"""SLA escalation, the public pool, follow-up reminders and the daily digest (docs/routing.md,
docs/notifications.md)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core.db import db
from app.leads.models import EventType, LeadEvent, LeadStatus
from app.notifications.models import Notification
from app.routing import sla

SH = ZoneInfo("Asia/Shanghai")


def shanghai(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH).astimezone(dt.UTC)


def events(lead, type_: EventType) -> list[LeadEvent]:
    return list(
        db.session.scalars(
            select(LeadEvent)
            .where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
            .order_by(LeadEvent.id)
        )
    )


@pytest.fixture
def notify_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")


@pytest.fixture
def team_setup(make_agent, default_team, notify_settings):
    lead_agent = make_agent("teamlead", role=Role.LEAD, team=default_team, email="lead@example.com")
    first = make_agent("first", team=default_team, email="first@example.com")
    second = make_agent("second", team=default_team, email="second@example.com")
    # Team leads take leads too; capacity 0 keeps this one out of the rotation.
    lead_agent.capacity = 0
    db.session.commit()
    return default_team, lead_agent, first, second


def test_due_time_counts_working_minutes_only(app):
    friday_evening = shanghai(2026, 3, 6, 17, 50)
    assert sla.sla_due(friday_evening, None) == shanghai(2026, 3, 9, 9, 20)


def test_due_time_skips_public_holidays(app):
    before_national_day = shanghai(2025, 9, 30, 17, 45)
    # 1-8 October 2025 are holidays; 9 October is the next working day.
    assert sla.sla_due(before_national_day, None) == shanghai(2025, 10, 9, 9, 15)


def test_team_sla_minutes_override_the_default(app, default_team):
    default_team.sla_minutes = 120
    assert sla.sla_due(shanghai(2026, 3, 9, 9, 0), default_team) == shanghai(2026, 3, 9, 11, 0)


def test_first_breach_reports_to_team_lead_and_agent_and_starts_a_second_period(
    create_lead, team_setup
):
    _team, _lead_agent, first, _second = team_setup
    lead = create_lead()
    assert lead.agent_id == first.id
    now = lead.sla_due_at + dt.timedelta(minutes=1)
    run = sla.check_sla(now=now)
    db.session.commit()
    assert run.breached == [lead.id]
    assert lead.sla_level == 1
    assert lead.sla_due_at > now
    assert [e.data["level"] for e in events(lead, EventType.SLA_BREACHED)] == [1]
    recipients = set(
        db.session.scalars(
            select(Notification.recipient).where(
                Notification.kind == "sla_breach", Notification.lead_id == lead.id
            )
        )
    )
    assert recipients == {"lead@example.com", "first@example.com"}


def test_second_breach_gives_the_lead_to_another_agent(create_lead, team_setup):
    _team, _lead_agent, first, second = team_setup
    lead = create_lead()
    sla.check_sla(now=lead.sla_due_at + dt.timedelta(minutes=1))
    run = sla.check_sla(now=lead.sla_due_at + dt.timedelta(minutes=1))
    db.session.commit()
    assert run.reassigned == [lead.id]
    assert lead.agent_id == second.id
    assert lead.sla_level == 2
    reassigned = events(lead, EventType.REASSIGNED)
    assert reassigned[-1].data["from_agent_id"] == first.id
    assert reassigned[-1].data["reason"] == "sla_breach"


def test_second_breach_with_nobody_else_available_returns_the_lead_to_the_pool(
    create_lead, team_setup
):
    _team, _lead_agent, first, second = team_setup
    second.active = False
    db.session.commit()
    lead = create_lead()
    sla.check_sla(now=lead.sla_due_at + dt.timedelta(minutes=1))
    run = sla.check_sla(now=lead.sla_due_at + dt.timedelta(minutes=1))
    db.session.commit()
    assert run.pooled == [lead.id]
    assert lead.agent_id is None
    assert lead.status is LeadStatus.NEW
    assert events(lead, EventType.UNASSIGNED)[-1].data["from_agent_id"] == first.id


def test_contacted_leads_are_not_escalated(create_lead, team_setup, client, token_for):
    _team, _lead_agent, first, _second = team_setup
    lead = create_lead()
    client.post(
        f"/api/leads/{lead.id}/transitions", json={"to": "contacted"}, headers=token_for(first)
    )
    run = sla.check_sla(now=lead.sla_due_at + dt.timedelta(hours=1))
    assert run.breached == []


def test_running_the_check_twice_escalates_once(create_lead, team_setup):
    lead = create_lead()
    now = lead.sla_due_at + dt.timedelta(minutes=1)
    sla.check_sla(now=now)
    sla.check_sla(now=now)
    db.session.commit()
    assert len(events(lead, EventType.SLA_BREACHED)) == 1


def test_inactive_leads_go_back_to_the_pool(create_lead, team_setup, client, token_for):
    team, _lead_agent, first, _second = team_setup
    team.pool_after_days = 7
    db.session.commit()
    stale = create_lead()
    client.post(
        f"/api/leads/{stale.id}/transitions", json={"to": "contacted"}, headers=token_for(first)
    )
    fresh = create_lead()
    now = stale.last_activity_at + dt.timedelta(days=7, minutes=1)
    fresh.last_activity_at = now - dt.timedelta(days=1)
    db.session.commit()
    released = sla.release_inactive(now=now)
    db.session.commit()
    assert released == [stale.id]
    assert stale.agent_id is None
    assert stale.status is LeadStatus.CONTACTED  # keeps its stage in the pool
    assert events(stale, EventType.UNASSIGNED)[-1].data["reason"] == "inactive"
    assert fresh.agent_id is not None


def test_teams_without_a_pool_rule_keep_their_leads(create_lead, team_setup):
    lead = create_lead()
    assert sla.release_inactive(now=lead.last_activity_at + dt.timedelta(days=365)) == []


def test_follow_up_reminder_is_sent_once_per_due_time(create_lead, team_setup):
    lead = create_lead()
    lead.next_follow_up_at = shanghai(2026, 3, 9, 10, 0)
    db.session.commit()
    now = shanghai(2026, 3, 9, 10, 3)
    assert sla.remind_follow_ups(now=now) == 1
    sla.remind_follow_ups(now=now)
    db.session.commit()
    reminders = db.session.scalars(
        select(Notification).where(
            Notification.kind == "follow_up_due", Notification.lead_id == lead.id
        )
    ).all()
    assert len(reminders) == 1
    assert reminders[0].recipient == "first@example.com"


def test_follow_ups_not_yet_due_are_not_reminded(create_lead, team_setup):
    lead = create_lead()
    lead.next_follow_up_at = shanghai(2026, 3, 9, 10, 0)
    db.session.commit()
    assert sla.remind_follow_ups(now=shanghai(2026, 3, 9, 9, 59)) == 0


def test_daily_digest_counts_the_day_and_reaches_each_admin_once(
    create_lead, team_setup, make_agent, default_team, app
):
    make_agent("boss1", role=Role.ADMIN, team=default_team, email="boss1@example.com")
    make_agent("boss2", role=Role.ADMIN, team=default_team, email="boss2@example.com")
    lead = create_lead()
    day = lead.created_at.astimezone(SH).date()
    figures = sla.digest_figures(day)
    assert figures["created"] == 1
    assert sla.daily_digest(day) == 2
    sla.daily_digest(day)
    db.session.commit()
    digests = db.session.scalars(
        select(Notification).where(Notification.kind == "daily_digest")
    ).all()
    assert sorted(n.recipient for n in digests) == ["boss1@example.com", "boss2@example.com"]
    assert "新线索：1" in digests[0].payload["body"]


def test_a_worked_lead_back_in_the_pool_can_be_claimed(create_lead, team_setup, client, token_for):
    team, _lead_agent, first, second = team_setup
    team.pool_after_days = 7
    db.session.commit()
    lead = create_lead()
    client.post(
        f"/api/leads/{lead.id}/transitions", json={"to": "contacted"}, headers=token_for(first)
    )
    sla.release_inactive(now=lead.last_activity_at + dt.timedelta(days=8))
    db.session.commit()
    response = client.post(f"/api/leads/{lead.id}/claim", headers=token_for(second))
    assert response.status_code == 200, response.get_json()
    db.session.refresh(lead)
    assert lead.agent_id == second.id
    assert lead.status is LeadStatus.CONTACTED
