"""WeChat's delivery reports of template messages (TEMPLATESENDJOBFINISH, docs/notifications.md):
the callback keeps each on the notification that sent the message, the API returns it and the
lead's timeline shows it."""

from __future__ import annotations

import pytest

from app.devtools.simulator import build_template_receipt_xml, sign_delivery
from app.leads.models import Channel, Lead
from app.notifications import service
from app.notifications.models import NotificationChannel
from app.notifications.service import Outcome
from tests.notifications.helpers import reload
from tests.web.pages import page_client

TOKEN = "testtoken"  # config/testing.py
AGENT_OPENID = "o-agent-li"


def count_inbound() -> int:
    from sqlalchemy import func, select

    from app.core.db import db
    from app.wechat.models import InboundMessage

    return db.session.scalar(select(func.count()).select_from(InboundMessage))


def report(client, msgid, status, create_time=None):
    xml = build_template_receipt_xml(AGENT_OPENID, msgid, status, create_time=create_time)
    signed = sign_delivery(xml, token=TOKEN, openid=AGENT_OPENID)
    response = client.post(
        "/wechat/callback", query_string=signed.params, data=signed.body, content_type="text/xml"
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "success"  # WeChat expects no reply to a receipt


@pytest.fixture
def sent_template(wechat, make_notification, reachable_agent):
    from app.core.db import db

    lead = Lead(channel=Channel.WEB_FORM, phone="+8613900001111", agent_id=reachable_agent.id)
    db.session.add(lead)
    db.session.commit()
    notification = make_notification(
        NotificationChannel.WECHAT_TEMPLATE,
        AGENT_OPENID,
        template="lead_assigned",
        payload={"data": {"first": "新线索", "keyword1": lead.reference}},
        lead_id=lead.id,
        agent_id=reachable_agent.id,
    )
    assert service.deliver(notification.id).outcome is Outcome.SENT
    [message] = wechat.messages("template")
    notification = reload(notification)
    assert notification.remote_id == str(message["msgid"])
    return notification, lead


def test_a_failed_receipt_is_kept_on_the_notification_and_shown(
    app, client, sent_template, admin, token_for
):
    notification, lead = sent_template

    report(client, notification.remote_id, "failed:user block")

    notification = reload(notification)
    assert notification.receipt == "failed:user block"
    assert notification.receipt_at is not None
    listed = client.get(
        "/api/notifications", query_string={"lead_id": lead.id}, headers=token_for(admin)
    ).get_json()["items"]
    assert [(n["id"], n["receipt"]) for n in listed] == [(notification.id, "failed:user block")]
    html = page_client(app, admin.login).get(f"/app/leads/{lead.id}").get_data(as_text=True)
    assert "未送达：对方已拒收公众号消息" in html
    english = page_client(app, admin.login).get(f"/app/leads/{lead.id}?lang=en")
    assert "the recipient blocked the account" in english.get_data(as_text=True)


def test_success_receipt_and_unknown_msgids(client, sent_template):
    notification, _lead = sent_template

    second = 1_795_600_000
    report(client, "999999999", "success", second)  # another account's message: no match
    assert reload(notification).receipt is None

    report(client, notification.remote_id, "success", second)  # same second, other message
    assert reload(notification).receipt == "success"
    report(client, notification.remote_id, "success", second)  # WeChat's retry: stored once
    assert count_inbound() == 2
