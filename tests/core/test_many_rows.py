"""Many rows with one statement (`insert_many`, `update_many`), on both backends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import event, select

from app.core.db import db, insert_many, update_many, utcnow
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from tests.routing.helpers import unrouted_lead

pytestmark = pytest.mark.usefixtures("app")


def statements_of(run: Any) -> list[str]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE")):
            seen.append(statement)

    bind = db.session.get_bind()
    event.listen(bind, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(bind, "before_cursor_execute", record)
    return seen


def test_insert_many_writes_every_row_with_one_statement():
    lead = unrouted_lead()
    at = utcnow()
    rows = [
        {
            "lead_id": lead.id,
            "type": EventType.ASSIGNED,
            "agent_id": None,
            "actor": "system",
            "data": {"n": n, "text": "分配"},
            "created_at": at + dt.timedelta(seconds=n),
        }
        for n in range(3)
    ]

    seen = statements_of(lambda: insert_many(LeadEvent.__table__, rows))

    assert len(seen) == 1
    stored = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.ASSIGNED)
    ).all()
    assert sorted(e.data["n"] for e in stored) == [0, 1, 2]
    assert {e.created_at for e in stored} == {r["created_at"] for r in rows}


def test_insert_many_leaves_out_existing_keys_and_returns_the_new_rows():
    def row(key: str) -> dict[str, Any]:
        return {
            "channel": NotificationChannel.EMAIL,
            "kind": "test",
            "recipient": "a@park.example",
            "idempotency_key": key,
            "payload": {"subject": "s"},
            "template": None,
            "lead_id": None,
            "agent_id": None,
            "status": NotificationStatus.PENDING,
            "next_attempt_at": utcnow(),
        }

    table = Notification.__table__
    first = insert_many(table, [row("k1")], unless_exists="idempotency_key", returning=["id"])
    again = insert_many(
        table,
        [row("k1"), row("k2")],
        unless_exists="idempotency_key",
        returning=["id", "idempotency_key"],
    )

    assert len(first) == 1
    assert [r.idempotency_key for r in again] == ["k2"]
    assert db.session.get(Notification, again[0].id).status is NotificationStatus.PENDING


def test_update_many_changes_each_row_to_its_values_fenced_by_version():
    leads = [unrouted_lead() for _ in range(3)]
    now = utcnow()
    rows = [
        {"id": lead.id, "version": lead.version, "status": LeadStatus.SPAM, "routed_at": now}
        for lead in leads
    ]
    rows[2]["version"] += 7  # a stale copy: not changed

    seen: list[int] = []
    statements = statements_of(
        lambda: seen.append(update_many(Lead.__table__, rows, fence="version"))
    )

    assert len(statements) == 1
    assert seen == [2]
    versions = [lead.version for lead in leads]
    for lead in leads:
        db.session.refresh(lead)
    assert [lead.version for lead in leads] == [versions[0] + 1, versions[1] + 1, versions[2]]
    assert [lead.status for lead in leads] == [LeadStatus.SPAM, LeadStatus.SPAM, LeadStatus.NEW]
    assert leads[0].routed_at == now
    assert leads[2].routed_at is None
