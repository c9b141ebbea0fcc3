"""Routing many leads in one transaction (`engine.route_leads`, the `route_leads` task): the
same choices as one by one, each lead once, and a failing lead costs the others nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app.accounts.models import Strategy
from app.core.db import db, utcnow
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.notifications.models import Notification
from app.routing import engine
from tasks import leads as tasks
from tests.routing.helpers import owners, unrouted_lead

pytestmark = pytest.mark.usefixtures("app")  # both backends, rolled back after each test


def route_batch(leads: list[Lead]) -> list[engine.RoutingOutcome]:
    outcomes = engine.route_leads([lead.id for lead in leads])
    db.session.commit()
    for lead in leads:
        db.session.refresh(lead)
    return outcomes


def assigned_events(lead: Lead) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LeadEvent)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.ASSIGNED)
    )


@pytest.fixture
def team_of_three(make_agent, default_team) -> list[Any]:
    return [make_agent(team=default_team) for _ in range(3)]


def test_batch_makes_the_choices_routing_one_by_one_makes(team_of_three, default_team):
    one_by_one = owners(7)
    batch = [unrouted_lead() for _ in range(7)]

    route_batch(batch)

    # Round robin goes on where the single routings left it.
    turn = [a.id for a in team_of_three]
    start = turn.index(one_by_one[-1]) + 1
    assert [lead.agent_id for lead in batch] == [turn[(start + i) % 3] for i in range(7)]
    assert all(assigned_events(lead) == 1 for lead in batch)
    assert all(lead.status is LeadStatus.ASSIGNED and lead.routed_at for lead in batch)


def test_batch_keeps_capacity_by_its_own_count(make_agent, default_team):
    agents = [make_agent(team=default_team, capacity=2) for _ in range(2)]
    leads = [unrouted_lead() for _ in range(6)]

    outcomes = route_batch(leads)

    held = [lead.agent_id for lead in leads]
    assert sorted(held[:4]) == sorted([agents[0].id, agents[1].id] * 2)
    assert held[4:] == [None, None]
    assert [o.agent_id for o in outcomes[4:]] == [None, None]
    assert all(lead.team_id == default_team.id for lead in leads[4:])


def test_least_loaded_counts_the_leads_the_batch_gave(make_agent, default_team):
    default_team.strategy = Strategy.LEAST_LOADED
    agents = [make_agent(team=default_team) for _ in range(2)]
    db.session.commit()
    leads = [unrouted_lead() for _ in range(6)]

    route_batch(leads)

    held = [lead.agent_id for lead in leads]
    assert held.count(agents[0].id) == held.count(agents[1].id) == 3


def test_batch_routes_each_lead_once_however_often_it_comes(team_of_three):
    leads = [unrouted_lead() for _ in range(4)]
    ids = [lead.id for lead in leads]

    first = engine.route_leads(ids + ids[:2])
    db.session.commit()
    again = engine.route_leads(ids)
    db.session.commit()

    assert len(first) == 4
    assert again == []
    assert all(assigned_events(lead) == 1 for lead in leads)


def test_batch_writes_each_assignments_notifications_in_one_insert(team_of_three, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    for n, agent in enumerate(team_of_three):
        agent.email = f"agent{n}@park.example"
    db.session.commit()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        leads = [unrouted_lead() for _ in range(5)]
        statements.clear()
        route_batch(leads)
    finally:
        event.remove(bind, "before_cursor_execute", record)

    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTIFICATION")]
    assert len(inserts) == 1
    rows = db.session.scalars(
        select(Notification).where(Notification.lead_id.in_([lead.id for lead in leads]))
    ).all()
    assert sorted(n.lead_id for n in rows) == sorted(lead.id for lead in leads)
    assert {n.agent_id for n in rows} == {lead.agent_id for lead in leads}


def test_a_lead_that_fails_in_a_batch_neither_loses_nor_doubles_the_others(
    team_of_three, monkeypatch
):
    leads = [unrouted_lead() for _ in range(5)]
    bad = leads[2].id
    real = engine.assign

    def assign(lead: Lead, *args: Any, **kwargs: Any) -> None:
        if lead.id == bad:
            raise ValueError("a bug with this lead")
        real(lead, *args, **kwargs)

    monkeypatch.setattr(engine, "assign", assign)

    routed = tasks.route_leads.run([lead.id for lead in leads])

    assert routed == 4
    for lead in leads:
        db.session.refresh(lead)
    assert leads[2].routed_at is None  # rolled back: the sweeper routes it again
    others = [lead for lead in leads if lead.id != bad]
    assert all(lead.agent_id and assigned_events(lead) == 1 for lead in others)


def test_a_lead_whose_database_work_fails_is_retried_alone(team_of_three, monkeypatch):
    leads = [unrouted_lead() for _ in range(3)]
    bad = leads[0].id
    real = engine.assign

    def assign(lead: Lead, *args: Any, **kwargs: Any) -> None:
        if lead.id == bad:
            raise OperationalError("UPDATE lead", {}, Exception("connection lost"))
        real(lead, *args, **kwargs)

    monkeypatch.setattr(engine, "assign", assign)
    retried: list[Any] = []

    def retry(*, args: tuple[Any, ...], **_options: Any) -> Exception:
        retried.append(args)
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.route_leads, "retry", retry)

    with pytest.raises(RuntimeError, match="retry"):
        tasks.route_leads.run([lead.id for lead in leads])

    assert retried == [([bad],)]
    for lead in leads[1:]:
        db.session.refresh(lead)
        assert lead.agent_id is not None
        assert assigned_events(lead) == 1


def test_a_small_batch_takes_along_other_recent_leads_owed_a_routing(team_of_three, app):
    leads = [unrouted_lead() for _ in range(4)]
    old = unrouted_lead()
    old.created_at = utcnow() - dt.timedelta(seconds=app.config["ROUTING_SWEEP_AFTER_SECONDS"] + 5)
    db.session.commit()

    outcomes = engine.route_leads([leads[0].id], more=10)
    db.session.commit()

    assert sorted(o.lead_id for o in outcomes) == sorted(lead.id for lead in leads)
    db.session.refresh(old)
    assert old.routed_at is None  # the sweeper's
    # Their own tasks find them routed.
    assert engine.route_leads([lead.id for lead in leads[1:]]) == []


def test_batch_writes_its_leads_and_their_events_with_one_statement_each(team_of_three):
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement.lstrip().upper())

    leads = [unrouted_lead() for _ in range(6)]
    versions = [lead.version for lead in leads]
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        route_batch(leads)
    finally:
        event.remove(bind, "before_cursor_execute", record)

    assert len([s for s in statements if s.startswith("UPDATE LEAD ")]) == 1
    assert len([s for s in statements if s.startswith("INSERT INTO LEAD_EVENT")]) == 1
    # As one by one: the status change, then the assignment; the version up by one.
    assert [lead.version for lead in leads] == [v + 1 for v in versions]
    for lead in leads:
        types = db.session.scalars(
            select(LeadEvent.type).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)
        ).all()
        assert types[-2:] == [EventType.STATUS_CHANGED, EventType.ASSIGNED]
        assert lead.status is LeadStatus.ASSIGNED
