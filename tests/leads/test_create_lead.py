"""`leads.create_lead` writes the lead with one INSERT and hands back a persistent object that
holds exactly what was stored, without a flush or a SELECT (docs/leads.md "Intake and dedupe")."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.exc import IntegrityError

from app.core.db import db
from app.leads import service as leads
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from tests.conftest import fresh_phone


def _statements() -> tuple[list[str], Any]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(" ".join(statement.split()).upper())

    return seen, record


def test_a_created_lead_holds_what_was_stored_and_reading_it_costs_no_select(app):
    fields = {
        "phone": fresh_phone(),
        "need_type": "warehouse",
        "company": "测试物流有限公司",
        "area_min_m2": Decimal("1200"),
        "district": "tianxin",
    }
    seen, record = _statements()
    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        lead = leads.create_lead(fields, channel=Channel.WEB_FORM, source={"form": "test"})
        # Every column is loaded: none is expired, so reading them all sends nothing.
        assert not inspect(lead).expired_attributes
        values = {c.key: getattr(lead, c.key) for c in Lead.__table__.columns}
    finally:
        event.remove(bind, "before_cursor_execute", record)

    # Statements about the lead (the SLA's calendar may be read from the settings first).
    on_lead = [s.split(" (")[0] for s in seen if re.search(r"\bLEAD(_EVENT)?\b", s)]
    assert on_lead == ["INSERT INTO LEAD", "INSERT INTO LEAD_EVENT"]
    assert lead in db.session
    assert not inspect(lead).pending

    # The row as stored (read past the ORM, before routing touches it after the commit).
    row = db.session.execute(select(Lead.__table__).where(Lead.id == lead.id)).one()._mapping
    for name, value in values.items():
        assert row[name] == value, name
    assert lead.status is LeadStatus.NEW
    assert row["version"] == 1
    created = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.CREATED)
    ).all()
    assert len(created) == 1


def test_a_change_to_the_created_lead_saves_through_its_version(app):
    lead = leads.create_lead(
        {"phone": fresh_phone(), "need_type": "factory"}, channel=Channel.WEB_FORM
    )
    lead.company = "后来补充的公司"
    db.session.flush()  # an UPDATE fenced on version 1: it must match the stored row

    row = db.session.execute(select(Lead.__table__).where(Lead.id == lead.id)).one()._mapping
    assert row["company"] == "后来补充的公司"
    assert row["version"] == 2


def test_a_phone_with_an_open_lead_still_raises_and_writes_nothing(app):
    phone = fresh_phone()
    first = leads.create_lead({"phone": phone, "need_type": "factory"}, channel=Channel.WEB_FORM)
    db.session.commit()

    with pytest.raises(IntegrityError), db.session.begin_nested():
        leads.create_lead({"phone": phone, "need_type": "land"}, channel=Channel.WEB_FORM)

    same_phone = db.session.scalars(select(Lead.id).where(Lead.phone == phone)).all()
    assert same_phone == [first.id]
