"""The lead state machine (app.leads.lifecycle.change_status) through real leads."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import celery
import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.accounts import service as accounts
from app.accounts.models import Role
from app.core.db import db
from app.core.errors import Conflict, ValidationFailed
from app.core.limiter import limiter
from app.leads import service as leads
from app.leads.lifecycle import TRANSITIONS, change_status, record_event
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.leads.schemas import EnquiryIn
from tests.conftest import PASSWORD
from tests.support import TEST_PG_URL, make_app, migrate, recreate_pg_database, unavailable

ALLOWED = [(src, dst) for src, targets in TRANSITIONS.items() for dst in sorted(targets)]
DISALLOWED = [(src, dst) for src in LeadStatus for dst in LeadStatus if dst not in TRANSITIONS[src]]


@pytest.fixture
def lead(app: Flask, lead: Lead) -> Lead:
    """conftest's `lead`, requesting `app` so that the test runs on both backends, rolled back
    (the conftest factories do not depend on `app` themselves)."""
    return lead


def pair_id(pair: tuple[LeadStatus, LeadStatus]) -> str:
    return f"{pair[0].value}->{pair[1].value}"


def put_in_status(lead: Lead, status: LeadStatus) -> None:
    """Set up a lead in `status` directly (the path there is not what these tests are about)."""
    lead.status = status
    lead.lost_reason = "预算不足" if status is LeadStatus.LOST else None
    db.session.commit()


def status_events(lead: Lead) -> list[LeadEvent]:
    stmt = (
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.STATUS_CHANGED)
        .order_by(LeadEvent.id)
    )
    return list(db.session.scalars(stmt))


def reason_for(target: LeadStatus) -> str | None:
    return "选址改到外省" if target is LeadStatus.LOST else None


# --- allowed and refused transitions --------------------------------------------------------


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_allowed_transition_changes_status_and_writes_one_status_event(lead, pair):
    source, target = pair
    put_in_status(lead, source)
    before = len(status_events(lead))

    change_status(lead, target, reason=reason_for(target))
    db.session.flush()

    assert lead.status is target
    new_events = status_events(lead)[before:]
    assert len(new_events) == 1
    assert new_events[0].data["from"] == source.value
    assert new_events[0].data["to"] == target.value


@pytest.mark.parametrize("pair", ALLOWED, ids=pair_id)
def test_rollback_removes_status_change_and_its_event_together(lead, pair):
    source, target = pair
    put_in_status(lead, source)
    events_before = len(status_events(lead))

    change_status(lead, target, reason=reason_for(target))
    db.session.flush()
    assert len(status_events(lead)) == events_before + 1  # written in the open transaction
    db.session.rollback()

    assert db.session.get(Lead, lead.id).status is source
    assert len(status_events(lead)) == events_before


@pytest.mark.parametrize("pair", DISALLOWED, ids=pair_id)
def test_disallowed_transition_is_refused_naming_allowed_targets(lead, pair):
    source, target = pair
    put_in_status(lead, source)
    version, events_before = lead.version, len(status_events(lead))

    with pytest.raises(Conflict) as refused:
        change_status(lead, target, reason="给了原因也不行")

    assert refused.value.code == "invalid_transition"
    assert refused.value.status == 409
    assert sorted(refused.value.extra["allowed"]) == sorted(s.value for s in TRANSITIONS[source])
    for allowed in TRANSITIONS[source]:
        assert allowed.value in refused.value.message
    db.session.flush()
    assert lead.status is source
    assert lead.version == version
    assert len(status_events(lead)) == events_before


def test_record_event_adds_one_event_in_the_callers_transaction(lead):
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    activity = lead.last_activity_at

    event = record_event(lead.id, EventType.SLA_BREACHED, actor="system", data={"level": 1}, at=at)
    db.session.flush()

    stored = db.session.get(LeadEvent, event.id)
    assert (stored.lead_id, stored.type, stored.actor, stored.agent_id) == (
        lead.id,
        EventType.SLA_BREACHED,
        "system",
        None,
    )
    assert stored.data == {"level": 1}
    assert stored.created_at.replace(tzinfo=dt.UTC) == at
    assert lead.last_activity_at == activity  # moving it is the caller's rule
    db.session.rollback()
    assert db.session.get(LeadEvent, event.id) is None


def test_every_status_has_a_transition_entry():
    assert set(TRANSITIONS) == set(LeadStatus)
    assert len(ALLOWED) + len(DISALLOWED) == len(LeadStatus) ** 2


def test_unknown_target_status_is_a_validation_error(lead):
    with pytest.raises(ValidationFailed) as refused:
        change_status(lead, "signed")
    assert "to" in refused.value.fields


# --- lost: reason required, stored, cleared on reopen ---------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   ", "\t\n"], ids=repr)
def test_lost_without_a_reason_is_refused(lead, reason):
    with pytest.raises(ValidationFailed) as refused:
        change_status(lead, LeadStatus.LOST, reason=reason)
    assert "reason" in refused.value.fields
    assert lead.status is LeadStatus.ASSIGNED
    assert lead.lost_reason is None


def test_lost_reason_is_stored_trimmed_on_lead_and_event(lead):
    event = change_status(lead, LeadStatus.LOST, reason="  园区电力容量不够  ")
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(Lead, lead.id)
    assert stored.status is LeadStatus.LOST
    assert stored.lost_reason == "园区电力容量不够"
    assert event.data["reason"] == "园区电力容量不够"


def test_overlong_lost_reason_is_refused(lead):
    with pytest.raises(ValidationFailed):
        change_status(lead, LeadStatus.LOST, reason="太" * 201)
    assert lead.status is LeadStatus.ASSIGNED


def test_reopening_a_lost_lead_to_contacted_clears_the_reason(lead):
    change_status(lead, LeadStatus.LOST, reason="暂缓投资")
    db.session.commit()

    change_status(lead, LeadStatus.CONTACTED)
    db.session.commit()

    db.session.expire_all()
    stored = db.session.get(Lead, lead.id)
    assert stored.status is LeadStatus.CONTACTED
    assert stored.lost_reason is None


# --- timestamps and version --------------------------------------------------------------------


def test_first_contact_sets_first_contacted_at(lead):
    assert lead.first_contacted_at is None
    change_status(lead, LeadStatus.CONTACTED)
    db.session.commit()
    assert lead.first_contacted_at is not None


def test_first_contacted_at_is_kept_when_contacted_again_after_reopen(lead):
    change_status(lead, LeadStatus.CONTACTED)
    db.session.commit()
    first = lead.first_contacted_at

    change_status(lead, LeadStatus.LOST, reason="联系不上")
    db.session.commit()
    change_status(lead, LeadStatus.CONTACTED)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Lead, lead.id).first_contacted_at == first


def test_version_increments_on_each_status_change(lead):
    versions = [lead.version]
    for target in (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.SITE_VISIT):
        change_status(lead, target, expected_version=lead.version)
        db.session.commit()
        versions.append(db.session.scalar(select(Lead.version).where(Lead.id == lead.id)))
    assert versions == [versions[0] + i for i in range(4)]


def test_stale_expected_version_is_refused_with_stale_version(lead):
    stale = lead.version - 1
    with pytest.raises(Conflict) as refused:
        change_status(lead, LeadStatus.CONTACTED, expected_version=stale)
    assert refused.value.code == "stale_version"
    assert refused.value.extra["current_version"] == lead.version
    assert lead.status is LeadStatus.ASSIGNED


def test_matching_expected_version_is_accepted(lead):
    change_status(lead, LeadStatus.CONTACTED, expected_version=lead.version)
    assert lead.status is LeadStatus.CONTACTED


def test_api_transition_with_an_outdated_version_answers_409(client, lead, agent, token_for):
    headers = token_for(agent)
    seen = client.get(f"/api/leads/{lead.id}", headers=headers).get_json()["version"]

    first = client.post(
        f"/api/leads/{lead.id}/transitions",
        headers=headers,
        json={"to": "contacted", "version": seen},
    )
    second = client.post(
        f"/api/leads/{lead.id}/transitions",
        headers=headers,
        json={"to": "lost", "reason": "重复操作", "version": seen},
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "stale_version"
    assert db.session.get(Lead, lead.id).status is LeadStatus.CONTACTED


# --- a real race between two sessions on a committed database --------------------------------


@pytest.fixture
def _keep_process_wide_state() -> Iterator[None]:
    """Every create_app() re-points flask-limiter's storage and Celery's current app at the
    newest app; put them back so the tests after these keep their own."""
    celery_app = celery.current_app._get_current_object()
    limiter_state = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(limiter_state)
    celery_app.set_current()
    celery_app.set_default()


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(
    request: pytest.FixtureRequest, tmp_path: Path, _keep_process_wide_state: None
) -> Iterator[Flask]:
    """A separate app whose writes really commit (not the rolled-back per-test transaction)."""
    if request.param == "postgresql":
        url = (
            make_url(TEST_PG_URL)
            .set(database="parklead_test_lifecycle_race")
            .render_as_string(hide_password=False)
        )
        error = recreate_pg_database(url)
        if error:
            unavailable(error)
    else:
        url = f"sqlite:///{tmp_path / 'race.db'}"
    application = make_app(url, tmp_path)
    migrate(application)
    try:
        yield application
    finally:
        application.extensions["db_engine"].dispose()


def committed_lead(application: Flask) -> tuple[int, str]:
    """A lead assigned to a fresh agent, committed; returns (lead id, agent login)."""
    with application.app_context():
        with db.transaction():
            team = accounts.ensure_default_team()
            agent = accounts.create_agent(
                login="racer", password=PASSWORD, role=Role.AGENT, team=team
            )
            login = agent.login
        result = leads.submit_enquiry(
            EnquiryIn.model_validate({"phone": "13812345678"}), channel=Channel.WEB_FORM
        )
        db.session.commit()  # routes it in-process (embedded mode)
        return result.lead.id, login


def test_second_writer_from_a_stale_copy_gets_stale_data_error(committed_app):
    lead_id, _login = committed_lead(committed_app)
    engine = committed_app.extensions["db_engine"]
    with (
        committed_app.app_context(),
        Session(bind=engine, expire_on_commit=False) as first,
        Session(bind=engine, expire_on_commit=False) as second,
    ):
        mine = first.get(Lead, lead_id)
        first.commit()  # end the read (SQLite takes the write lock at BEGIN)
        theirs = second.get(Lead, lead_id)
        second.commit()
        assert mine.version == theirs.version

        mine.status = LeadStatus.CONTACTED
        first.commit()
        theirs.status = LeadStatus.LOST
        theirs.lost_reason = "抢先一步"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()

    with committed_app.app_context():
        stored = db.session.get(Lead, lead_id)
        assert stored.status is LeadStatus.CONTACTED
        assert stored.lost_reason is None


def test_concurrent_api_transitions_from_same_version_one_wins_one_gets_409(committed_app):
    lead_id, login = committed_lead(committed_app)
    client = committed_app.test_client()
    token = client.post("/api/auth/token", json={"login": login, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    version = client.get(f"/api/leads/{lead_id}", headers=headers).get_json()["version"]

    start = threading.Barrier(2)
    answers: dict[str, tuple[int, str | None]] = {}

    def post(to: str) -> None:
        start.wait()
        response = committed_app.test_client().post(
            f"/api/leads/{lead_id}/transitions",
            headers=headers,
            json={"to": to, "reason": "并发测试", "version": version},
        )
        error = (response.get_json().get("error") or {}).get("code")
        answers[to] = (response.status_code, error)

    threads = [threading.Thread(target=post, args=(to,)) for to in ("contacted", "lost")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(answers.values()) == [(200, None), (409, "stale_version")]
    winner = next(to for to, (status, _code) in answers.items() if status == 200)
    with committed_app.app_context():
        assert db.session.get(Lead, lead_id).status.value == winner
        changes = db.session.scalars(
            select(LeadEvent).where(
                LeadEvent.lead_id == lead_id, LeadEvent.type == EventType.STATUS_CHANGED
            )
        )
        assert [e.data["from"] for e in changes if e.data["to"] in answers] == ["assigned"]
