"""`deliver` over each channel against real local servers: SMTP (aiosmtpd), an HTTP server
receiving webhooks, and the fake WeChat API."""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Agent
from app.core.db import db, utcnow
from app.devtools.fake_server import FakeWechatServer
from app.leads.models import EventType, Lead, LeadEvent
from app.notifications import service
from app.notifications.channels.email import message_id
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.notifications.service import Outcome
from app.wechat.client import record_inbound
from tests.notifications.helpers import TEMPLATE_ASSIGNED, WEBHOOK_SECRET, reload
from tests.notifications.servers import SmtpCapture, WebhookReceiver, make_tls_files

MakeNotification = Callable[..., Notification]


def email_to(make_notification: MakeNotification, **fields) -> Notification:
    return make_notification(
        NotificationChannel.EMAIL,
        "wang@park.example",
        payload={"subject": "[ParkLead] 新线索 PL-20261124-0007", "body": "请尽快联系客户。"},
        **fields,
    )


# --- e-mail ----------------------------------------------------------------------------------


def test_email_is_delivered_over_smtp_and_marked_sent(smtp: SmtpCapture, make_notification):
    notification = email_to(make_notification)

    delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.SENT
    [message] = smtp.received()
    assert message["To"] == "wang@park.example"
    assert message["Subject"] == "[ParkLead] 新线索 PL-20261124-0007"
    assert message.get_content().strip() == "请尽快联系客户。"
    row = reload(notification)
    assert row.status is NotificationStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.next_attempt_at is None


def test_email_message_id_is_derived_from_the_idempotency_key(smtp, make_notification):
    notification = email_to(make_notification, idempotency_key="lead_assigned:7:3:x:email")

    service.deliver(notification.id)

    expected = message_id("lead_assigned:7:3:x:email", "parklead@localhost")
    assert smtp.received()[0]["Message-ID"] == expected
    assert expected == message_id("lead_assigned:7:3:x:email", "parklead@localhost")


def test_email_with_starttls_and_login(
    settings, make_notification, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    ca, cert, key = make_tls_files(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the client trusts our test CA
    with SmtpCapture(tls_context=server_tls, credentials=("parklead", "s3cret")) as smtp:
        settings(
            SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, SMTP_STARTTLS=True,
            SMTP_USER="parklead", SMTP_PASSWORD="s3cret",
        )  # fmt: skip
        notification = email_to(make_notification)

        assert service.deliver(notification.id).outcome is Outcome.SENT

    assert smtp.logins == ["parklead"]
    assert len(smtp.received()) == 1


def test_email_to_an_untrusted_certificate_is_dead(settings, make_notification, tmp_path: Path):
    _ca, cert, key = make_tls_files(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    with SmtpCapture(tls_context=server_tls) as smtp:
        settings(SMTP_HOST=smtp.host, SMTP_PORT=smtp.port, SMTP_STARTTLS=True)
        notification = email_to(make_notification)

        delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.DEAD
    assert "certificate" in reload(notification).last_error
    assert smtp.received() == []


def test_smtp_temporary_failure_is_retried(smtp: SmtpCapture, make_notification):
    smtp.data_replies.append("451 4.3.0 mail queue full, try again later")
    notification = email_to(make_notification)

    delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.FAILED
    assert delivery.retry_in is not None
    row = reload(notification)
    assert row.status is NotificationStatus.FAILED
    assert "451" in row.last_error
    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert len(smtp.received()) == 1


def test_smtp_refused_recipient_is_dead_at_once(smtp: SmtpCapture, make_notification):
    smtp.rcpt_replies.append("550 5.1.1 no such user here")
    notification = email_to(make_notification)

    delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.DEAD
    row = reload(notification)
    assert row.status is NotificationStatus.DEAD
    assert row.attempts == 1
    assert "550" in row.last_error


def test_unreachable_smtp_server_is_retried(settings, make_notification):
    with SmtpCapture() as closed:
        port = closed.port
    settings(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_TIMEOUT_SECONDS=2.0)
    notification = email_to(make_notification)

    delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.FAILED
    assert "unreachable" in reload(notification).last_error


def test_email_without_smtp_host_is_dead(settings, make_notification):
    settings(SMTP_HOST=None)
    notification = email_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    assert "SMTP_HOST" in reload(notification).last_error


# --- webhook ---------------------------------------------------------------------------------


def webhook_event(make_notification: MakeNotification, url: str, **fields) -> Notification:
    return make_notification(
        NotificationChannel.WEBHOOK,
        url,
        kind="lead_assigned",
        payload={
            "event": "lead.assigned",
            "occurred_at": "2026-11-24T08:00:00+00:00",
            "data": {"id": 7, "reference": "PL-20261124-0007", "company": "湘能电池"},
        },
        **fields,
    )


def test_webhook_is_posted_signed_and_verifiable(webhook: WebhookReceiver, make_notification):
    notification = webhook_event(make_notification, webhook.url)

    assert service.deliver(notification.id).outcome is Outcome.SENT

    [call] = webhook.calls
    assert call.signature_ok
    assert call.headers["X-ParkLead-Signature"].startswith("sha256=")
    assert call.headers["X-ParkLead-Idempotency-Key"] == notification.idempotency_key
    assert call.headers["X-ParkLead-Event"] == "lead.assigned"
    assert abs(int(call.headers["X-ParkLead-Timestamp"]) - utcnow().timestamp()) < 60
    assert call.headers["Content-Type"].startswith("application/json")
    assert call.json == {
        "id": notification.idempotency_key,
        "event": "lead.assigned",
        "occurred_at": "2026-11-24T08:00:00+00:00",
        "data": {"id": 7, "reference": "PL-20261124-0007", "company": "湘能电池"},
    }


def test_webhook_signature_does_not_verify_with_another_secret(webhook, make_notification):
    notification = webhook_event(make_notification, webhook.url)
    service.deliver(notification.id)

    [call] = webhook.calls
    webhook.secret = WEBHOOK_SECRET + "-rotated"
    assert not webhook.verify(call.headers, call.body)
    assert not webhook.verify(call.headers, call.body.replace(b"7", b"8"))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_webhook_client_error_is_dead_at_once(webhook, make_notification, status):
    webhook.answer(status)
    notification = webhook_event(make_notification, webhook.url)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    row = reload(notification)
    assert row.attempts == 1
    assert f"HTTP {status}" in row.last_error


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_webhook_timeout_rate_limit_and_server_errors_are_retried(
    webhook, make_notification, status
):
    webhook.answer(status)
    notification = webhook_event(make_notification, webhook.url)

    assert service.deliver(notification.id).outcome is Outcome.FAILED
    assert f"HTTP {status}" in reload(notification).last_error
    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert len(webhook.calls) == 2
    # Every attempt carries the same key, so the receiver can tell a repeat.
    assert {c.headers["X-ParkLead-Idempotency-Key"] for c in webhook.calls} == {
        notification.idempotency_key
    }


def test_webhook_retry_after_sets_the_least_wait(webhook, make_notification, settings):
    settings(NOTIFY_BACKOFF_BASE_SECONDS=1.0, NOTIFY_BACKOFF_MAX_SECONDS=3600.0)
    webhook.answer(429, headers={"Retry-After": "120"})
    notification = webhook_event(make_notification, webhook.url)

    delivery = service.deliver(notification.id)

    assert delivery.retry_in == 120
    wait = reload(notification).next_attempt_at - utcnow()
    assert dt.timedelta(seconds=110) < wait <= dt.timedelta(seconds=120)


def test_webhook_redirect_is_not_followed(webhook, make_notification):
    webhook.answer(301, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    notification = webhook_event(make_notification, webhook.url)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    assert len(webhook.calls) == 1


def test_unreachable_webhook_is_retried(settings, make_notification):
    with WebhookReceiver(WEBHOOK_SECRET) as gone:
        url = gone.url
    settings(WEBHOOK_URL=url, WEBHOOK_SECRET=WEBHOOK_SECRET, WEBHOOK_TIMEOUT_SECONDS=2.0)
    notification = webhook_event(make_notification, url)

    assert service.deliver(notification.id).outcome is Outcome.FAILED
    assert "unreachable" in reload(notification).last_error


def test_webhook_without_a_secret_is_not_sent(webhook, make_notification, settings):
    settings(WEBHOOK_SECRET=None)
    notification = webhook_event(make_notification, webhook.url)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    assert "WEBHOOK_SECRET" in reload(notification).last_error
    assert webhook.calls == []


# --- WeChat template messages ----------------------------------------------------------------


def template_to(make_notification: MakeNotification, openid: str = "o-agent-li", **fields):
    return make_notification(
        NotificationChannel.WECHAT_TEMPLATE,
        openid,
        template="lead_assigned",
        payload={"data": {"first": "新线索已分配给您", "keyword1": "PL-20261124-0007"}},
        **fields,
    )


def test_template_message_reaches_the_agent(wechat: FakeWechatServer, make_notification):
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.SENT

    [message] = wechat.messages("template")
    assert message["touser"] == "o-agent-li"
    assert message["template_id"] == TEMPLATE_ASSIGNED
    assert message["data"]["keyword1"] == {"value": "PL-20261124-0007"}


def test_template_id_is_read_from_the_settings_when_sending(wechat, make_notification, settings):
    notification = template_to(make_notification)
    settings(WECHAT_TEMPLATE_LEAD_ASSIGNED="tmpl-renamed")

    service.deliver(notification.id)

    assert wechat.messages("template")[0]["template_id"] == "tmpl-renamed"


def test_template_without_a_configured_id_is_dead(wechat, make_notification, settings):
    settings(WECHAT_TEMPLATE_LEAD_ASSIGNED=None)
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    assert "WECHAT_TEMPLATE_LEAD_ASSIGNED" in reload(notification).last_error
    assert wechat.messages() == []


def test_wechat_5xx_is_retried(wechat, make_notification):
    wechat.add_fault("5xx", path="/cgi-bin/message/template/send", status=502)
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.FAILED
    assert "502" in reload(notification).last_error
    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert len(wechat.messages("template")) == 1


def test_wechat_busy_errcode_is_retried(wechat, make_notification):
    wechat.add_fault("errcode", errcode=-1, path="/cgi-bin/message/template/send")
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.FAILED
    assert service.deliver(notification.id).outcome is Outcome.SENT


def test_wechat_expired_token_once_is_refreshed_within_the_attempt(wechat, make_notification):
    wechat.add_fault("errcode", errcode=40001, path="/cgi-bin/message/template/send")
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.SENT
    assert reload(notification).attempts == 1
    assert len(wechat.messages("template")) == 1


def test_wechat_final_errcode_is_dead(wechat, make_notification):
    wechat.add_fault("errcode", errcode=43004, path="/cgi-bin/message/template/send")
    notification = template_to(make_notification)

    assert service.deliver(notification.id).outcome is Outcome.DEAD
    assert "43004" in reload(notification).last_error


# --- WeChat customer-service messages to prospects -------------------------------------------


@pytest.fixture
def prospect_lead(create_lead, reachable_agent: Agent) -> Lead:
    lead = create_lead(company="湘能电池科技有限公司", contact_name="王先生")
    lead.wechat_openid = "o-prospect-wang"
    db.session.commit()
    return lead


def cs_to(make_notification: MakeNotification, lead: Lead, n: int = 0) -> Notification:
    return make_notification(
        NotificationChannel.WECHAT_CS,
        lead.wechat_openid,
        kind="prospect_message",
        payload={"text": f"您好，这是招商专员的第{n + 1}条消息。"},
        lead_id=lead.id,
        agent_id=lead.agent_id,
    )


def test_customer_service_message_inside_the_window_is_sent(
    wechat, make_notification, prospect_lead
):
    record_inbound("o-prospect-wang", utcnow() - dt.timedelta(hours=2))
    db.session.commit()
    notification = cs_to(make_notification, prospect_lead)

    assert service.deliver(notification.id).outcome is Outcome.SENT

    [message] = wechat.messages("custom")
    assert message["touser"] == "o-prospect-wang"
    assert message["text"]["content"] == "您好，这是招商专员的第1条消息。"


def test_customer_service_message_outside_the_window_is_skipped_and_the_agent_told(
    wechat, smtp, make_notification, prospect_lead, reachable_agent, dispatched
):
    record_inbound("o-prospect-wang", utcnow() - dt.timedelta(hours=49))
    db.session.commit()
    notification = cs_to(make_notification, prospect_lead)

    delivery = service.deliver(notification.id)

    assert delivery.outcome is Outcome.SKIPPED
    assert wechat.messages("custom") == []
    row = reload(notification)
    assert row.status is NotificationStatus.SKIPPED
    assert row.last_error.startswith("outside_48h_window")
    assert "agent told by email, wechat_template" in row.last_error
    told = list(
        db.session.scalars(select(Notification).where(Notification.kind == "prospect_unreachable"))
    )
    assert {(n.channel, n.recipient) for n in told} == {
        (NotificationChannel.WECHAT_TEMPLATE, "o-agent-li"),
        (NotificationChannel.EMAIL, "li@park.example"),
    }
    assert all(n.agent_id == reachable_agent.id and n.lead_id == prospect_lead.id for n in told)
    # The agent's messages go out like any other.
    for n in told:
        assert n.id in dispatched.notification_ids
        assert service.deliver(n.id).outcome is Outcome.SENT
    [template] = wechat.messages("template")
    assert "未能通过公众号联系客户" in template["data"]["first"]["value"]
    assert "48小时" in json.dumps(template["data"], ensure_ascii=False)
    assert len(smtp.received()) == 1


def test_prospect_without_a_window_at_all_is_skipped(wechat, make_notification, prospect_lead):
    notification = cs_to(make_notification, prospect_lead)

    assert service.deliver(notification.id).outcome is Outcome.SKIPPED
    assert wechat.messages("custom") == []


def test_sixth_customer_service_message_in_a_window_is_skipped(
    wechat, make_notification, prospect_lead
):
    record_inbound("o-prospect-wang", utcnow() - dt.timedelta(minutes=10))
    db.session.commit()
    rows = [cs_to(make_notification, prospect_lead, n) for n in range(6)]

    outcomes = [service.deliver(row.id).outcome for row in rows]

    assert outcomes == [Outcome.SENT] * 5 + [Outcome.SKIPPED]
    assert len(wechat.messages("custom")) == 5
    assert reload(rows[5]).last_error.startswith("window_quota_used")


def test_skipped_customer_service_message_without_an_agent_says_so(
    wechat, make_notification, create_lead
):
    lead = create_lead()  # no agent in the default team: stays in the pool
    lead.wechat_openid = "o-prospect-zhao"
    db.session.commit()
    notification = cs_to(make_notification, lead)

    assert service.deliver(notification.id).outcome is Outcome.SKIPPED
    assert reload(notification).last_error.endswith("no channel to tell the agent")


def test_sent_notification_is_on_the_lead_timeline(wechat, make_notification, prospect_lead):
    record_inbound("o-prospect-wang", utcnow())
    db.session.commit()
    notification = cs_to(make_notification, prospect_lead)

    service.deliver(notification.id)

    events = db.session.scalars(
        select(LeadEvent).where(
            LeadEvent.lead_id == prospect_lead.id, LeadEvent.type == EventType.NOTIFICATION
        )
    )
    assert [e.data for e in events] == [
        {
            "notification_id": notification.id,
            "channel": "wechat_cs",
            "kind": "prospect_message",
            "attempts": 1,
        }
    ]
