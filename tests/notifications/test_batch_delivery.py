"""Delivering many rows at once (`service.deliver_many`): one claim, one SMTP connection and
one record for the batch, with each row's outcome what `deliver` would have made it."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from sqlalchemy import select, update

from app.core.db import db
from app.leads.models import EventType, LeadEvent
from app.notifications import channels, service
from app.notifications.channels import ChannelResult
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.service import Outcome
from tests.notifications.helpers import reload
from tests.notifications.servers import SmtpCapture, WebhookReceiver

Status = NotificationStatus


@pytest.fixture
def mails(make_notification, smtp: SmtpCapture) -> list[Notification]:
    return [
        make_notification(
            NotificationChannel.EMAIL,
            f"agent{n}@park.example",
            payload={"subject": f"s{n}", "body": "b"},
        )
        for n in range(4)
    ]


@pytest.fixture
def hooks(make_notification, webhook: WebhookReceiver) -> list[Notification]:
    return [
        make_notification(
            NotificationChannel.WEBHOOK,
            webhook.url,
            kind="lead_created",
            payload={"event": "lead.created", "data": {"id": n}},
        )
        for n in range(3)
    ]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every SMTP connection opened, recorded."""
    opened: list[Any] = []
    real = smtplib.SMTP

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(smtplib, "SMTP", Counting)
    return opened


def outcomes(batch: service.BatchDelivery) -> dict[int, Outcome]:
    return {d.notification_id: d.outcome for d in batch.deliveries}


def test_batch_sends_every_row_once_over_one_smtp_connection(mails, smtp, connections):
    batch = service.deliver_many([m.id for m in mails])

    assert outcomes(batch) == {m.id: Outcome.SENT for m in mails}
    assert len(smtp.messages) == 4
    assert len(connections) == 1
    assert all(reload(m).status is Status.SENT for m in mails)
    assert all(reload(m).attempts == 1 for m in mails)


def test_redelivered_batch_sends_nothing_again(mails, smtp):
    service.deliver_many([m.id for m in mails])
    again = service.deliver_many([m.id for m in mails])

    assert outcomes(again) == {m.id: Outcome.DONE for m in mails}
    assert len(smtp.messages) == 4


def test_one_failed_row_neither_loses_nor_doubles_the_others(hooks, webhook):
    webhook.answer(503)  # the first call of the batch

    batch = service.deliver_many([h.id for h in hooks])

    assert outcomes(batch) == {
        hooks[0].id: Outcome.FAILED,
        hooks[1].id: Outcome.SENT,
        hooks[2].id: Outcome.SENT,
    }
    assert reload(hooks[0]).status is Status.FAILED
    assert reload(hooks[0]).next_attempt_at is not None
    assert len(webhook.calls) == 3
    # Another batch of the same rows sends only the failed one, once it is due again.
    db.session.execute(
        update(Notification)
        .where(Notification.id == hooks[0].id)
        .values(next_attempt_at=reload(hooks[0]).created_at)
    )
    db.session.commit()
    again = service.deliver_many([h.id for h in hooks])
    assert outcomes(again)[hooks[0].id] is Outcome.SENT
    assert len(webhook.calls) == 4


def test_a_refused_mail_drops_its_connection_and_the_next_one_opens_another(
    mails, smtp, connections
):
    smtp.rcpt_replies.append("550 5.1.1 no such user")  # the first mail of the batch

    batch = service.deliver_many([m.id for m in mails])

    assert outcomes(batch) == {
        mails[0].id: Outcome.DEAD,
        **{m.id: Outcome.SENT for m in mails[1:]},
    }
    assert len(smtp.messages) == 3
    assert len(connections) == 2


def test_unexpected_sender_error_fails_only_its_row(hooks, webhook, monkeypatch):
    real = channels.SENDERS[NotificationChannel.WEBHOOK]

    def flaky(notification: Notification) -> ChannelResult:
        if notification.id == hooks[1].id:
            raise ValueError("a bug")
        return real(notification)

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, flaky)

    batch = service.deliver_many([h.id for h in hooks])

    assert outcomes(batch)[hooks[1].id] is Outcome.FAILED
    assert reload(hooks[1]).last_error == "unexpected ValueError: a bug"
    assert [reload(h).status for h in (hooks[0], hooks[2])] == [Status.SENT, Status.SENT]


def test_each_sent_row_keeps_its_own_remote_id(hooks, monkeypatch):
    # The batch is recorded with one statement for every row: each row gets its own remote id,
    # and a row the remote gave none keeps none.
    remote = {hooks[0].id: "msg-a", hooks[2].id: "msg-c"}

    def answered(notification: Notification) -> ChannelResult:
        return ChannelResult.sent(remote_id=remote.get(notification.id))

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, answered)

    batch = service.deliver_many([h.id for h in hooks])

    assert set(outcomes(batch).values()) == {Outcome.SENT}
    rows = [reload(h) for h in hooks]
    assert [(r.status, r.attempts, r.remote_id) for r in rows] == [
        (Status.SENT, 1, "msg-a"),
        (Status.SENT, 1, None),
        (Status.SENT, 1, "msg-c"),
    ]
    assert all(r.sent_at is not None and r.next_attempt_at is None for r in rows)


def test_row_taken_over_mid_batch_is_not_recorded_as_ours(hooks, webhook, monkeypatch):
    real = channels.SENDERS[NotificationChannel.WEBHOOK]

    def taken_over(notification: Notification) -> ChannelResult:
        if notification.id == hooks[0].id:
            # The lease expired while sending; another worker's attempt 2 recorded a failure.
            db.session.execute(
                update(Notification)
                .where(Notification.id == notification.id)
                .values(attempts=2, status=Status.FAILED, last_error="newer attempt")
            )
            db.session.commit()
        return real(notification)

    monkeypatch.setitem(channels.SENDERS, NotificationChannel.WEBHOOK, taken_over)

    batch = service.deliver_many([h.id for h in hooks])

    assert outcomes(batch)[hooks[0].id] is Outcome.SUPERSEDED
    row = reload(hooks[0])
    assert (row.status, row.attempts, row.last_error) == (Status.FAILED, 2, "newer attempt")
    assert [reload(h).status for h in hooks[1:]] == [Status.SENT, Status.SENT]


def test_rows_not_reached_within_half_the_lease_are_released_unsent(hooks, webhook, settings):
    settings(NOTIFY_LEASE_SECONDS=-1.0)  # half the lease has passed before the first send

    batch = service.deliver_many([h.id for h in hooks])

    assert batch.deliveries == []
    assert batch.released == [h.id for h in hooks]
    assert webhook.calls == []
    assert [(reload(h).status, reload(h).attempts) for h in hooks] == [(Status.PENDING, 0)] * 3


def test_sent_rows_of_a_lead_get_their_timeline_event(make_notification, smtp, lead):
    rows = [
        make_notification(
            NotificationChannel.EMAIL,
            "li@park.example",
            payload={"subject": "s", "body": "b"},
            lead_id=lead.id,
        )
        for _ in range(2)
    ]

    service.deliver_many([r.id for r in rows])

    events = db.session.scalars(
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.NOTIFICATION)
        .order_by(LeadEvent.id)
    ).all()
    assert [e.data for e in events] == [
        {"notification_id": r.id, "channel": "email", "kind": r.kind, "attempts": 1} for r in rows
    ]
    assert all(e.actor == "system" and e.created_at == reload(rows[0]).sent_at for e in events)
