"""Admin endpoints: list the outbox (dead, failed, ...) and retry a notification."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from app.accounts.models import Role
from app.core.db import db
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.outbox import SEND_TASK
from tests.notifications.helpers import reload

Status = NotificationStatus


@pytest.fixture
def make_row(make_notification):
    def _make(status: Status = Status.PENDING, **values) -> Notification:
        notification = make_notification(NotificationChannel.EMAIL, "li@park.example")
        db.session.execute(
            update(Notification)
            .where(Notification.id == notification.id)
            .values(status=status, **values)
        )
        db.session.commit()
        return reload(notification)

    return _make


@pytest.fixture
def admin_headers(admin, token_for):
    return token_for(admin)


def test_list_needs_a_token(client):
    assert client.get("/api/notifications").status_code == 401


@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_list_is_for_admins_only(client, make_agent, default_team, token_for, role):
    user = make_agent(team=default_team, role=role)

    response = client.get("/api/notifications", headers=token_for(user))

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_list_shows_dead_rows_with_their_error_and_attempts(client, admin_headers, make_row):
    dead = make_row(Status.DEAD, attempts=8, last_error="SMTP answered 550 no such user")
    make_row(Status.SENT, attempts=1)

    response = client.get("/api/notifications?status=dead", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["id"] == dead.id
    assert item["status"] == "dead"
    assert item["attempts"] == 8
    assert item["last_error"] == "SMTP answered 550 no such user"
    assert item["channel"] == "email"
    assert item["recipient"] == "li@park.example"


def test_list_filters_several_statuses(client, admin_headers, make_row):
    ids = {make_row(Status.DEAD).id, make_row(Status.FAILED).id}
    make_row(Status.SENT)
    make_row(Status.PENDING)

    items = client.get("/api/notifications?status=dead,failed", headers=admin_headers).get_json()

    assert {i["id"] for i in items["items"]} == ids


def test_list_is_keyset_paginated_newest_first(client, admin_headers, make_row):
    ids = [make_row(Status.DEAD).id for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = "/api/notifications?status=dead&limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=admin_headers).get_json()
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    "query", ["status=lost", "channel=fax", "cursor=bm90LWEtbnVtYmVy", "limit=0", "lead_id=x"]
)
def test_list_rejects_bad_filters(client, admin_headers, query):
    response = client.get(f"/api/notifications?{query}", headers=admin_headers)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("status", [Status.DEAD, Status.FAILED, Status.SKIPPED])
def test_retry_puts_the_row_back_to_pending_and_queues_it_after_commit(
    client, admin_headers, make_row, dispatched, status
):
    row = make_row(status, attempts=8, last_error="HTTP 503")
    dispatched.sent.clear()

    response = client.post(f"/api/notifications/{row.id}/retry", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["attempts"] == 8  # kept: the history stays honest
    assert dispatched.sent == [(SEND_TASK, (row.id,))]
    assert reload(row).status is Status.PENDING


@pytest.mark.parametrize("status", [Status.PENDING, Status.SENDING, Status.SENT])
def test_retry_of_a_row_not_failed_is_409(client, admin_headers, make_row, dispatched, status):
    row = make_row(status)
    dispatched.sent.clear()

    response = client.post(f"/api/notifications/{row.id}/retry", headers=admin_headers)

    assert response.status_code == 409
    assert status.value in response.get_json()["error"]["message"]
    assert dispatched.sent == []
    assert reload(row).status is status


def test_retry_of_a_missing_row_is_404(client, admin_headers):
    response = client.post("/api/notifications/424242/retry", headers=admin_headers)

    assert response.status_code == 404


def test_retry_is_for_admins_only(client, agent, token_for, make_row):
    row = make_row(Status.DEAD)

    response = client.post(f"/api/notifications/{row.id}/retry", headers=token_for(agent))

    assert response.status_code == 403
    assert reload(row).status is Status.DEAD


def test_retried_dead_row_gets_one_more_attempt(
    client, admin_headers, make_row, smtp, settings, dispatched
):
    from app.notifications import service

    settings(NOTIFY_MAX_ATTEMPTS=3)
    row = make_row(Status.DEAD, attempts=3, last_error="SMTP unreachable")
    client.post(f"/api/notifications/{row.id}/retry", headers=admin_headers)

    assert service.deliver(row.id).outcome.value == "sent"
    assert reload(row).attempts == 4
    assert len(smtp.received()) == 1
