"""Prospects from Taiwan, Hong Kong and abroad through the WeChat callback: need + a phone that
phonenumbers validates is a lead, stored in E.164 and found by GET /api/leads?phone=."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from app.core.db import db
from app.devtools.simulator import build_text_xml
from app.leads.models import Channel, Lead, LeadEvent
from tests.wechat.test_callback import OPENID, post, text_of


@pytest.mark.parametrize(
    ("message", "e164", "need"),
    [
        ("我們是台灣的精密機械公司，想租3000平方米廠房，電話+886 912 345 678",
         "+886912345678", "factory"),
        ("香港公司，想在株洲買地50畝，聯繫電話 +852 9123 4567，陳先生", "+85291234567", "land"),
        ("We need a warehouse of about 2,000 sqm, please call Mr. Keller +41 44 668 18 00",
         "+41446681800", "warehouse"),
    ],
)  # fmt: skip
def test_foreign_phone_and_need_make_a_lead_found_by_the_phone_filter(
    client, admin, token_for, message, e164, need
):
    reply = text_of(post(client, build_text_xml(OPENID, message)))
    lead = db.session.scalars(select(Lead).where(Lead.channel == Channel.WECHAT)).one()
    assert lead.phone == e164
    assert lead.need_type.value == need
    assert lead.reference in reply
    response = client.get(f"/api/leads?phone={quote(e164)}", headers=token_for(admin))
    assert [item["id"] for item in response.get_json()["items"]] == [lead.id]


def test_a_foreign_investment_is_kept_in_its_currency_not_on_the_rmb_column(client):
    message = "We plan to invest USD 30 million in a plant and need 40 mu of land, +41 44 668 18 00"
    text_of(post(client, build_text_xml(OPENID, message)))
    lead = db.session.scalars(select(Lead).where(Lead.channel == Channel.WECHAT)).one()
    assert lead.investment_wan is None  # never converted, never stored as if it were RMB
    events = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id))
    records = [e.data["requirements"] for e in events if e.data and "requirements" in e.data]
    assert records == [{"investment_foreign": "USD 3000万"}]
