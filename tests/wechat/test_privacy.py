"""No public WeChat path reveals or changes another prospect's lead (docs/security.md), played
through POST /wechat/callback as WeChat delivers and read back through the API as an agent."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from app.core.db import db
from app.devtools.simulator import build_text_xml, reply_text, sign_delivery
from app.leads.models import Channel, EventType, Lead, LeadEvent

_msg_ids = itertools.count(7_000_000_000)


def say(client, app, openid: str, text: str) -> str:
    xml = build_text_xml(openid, text, msg_id=next(_msg_ids))
    delivery = sign_delivery(xml, token=app.config["WECHAT_TOKEN"], openid=openid)
    response = client.post(
        "/wechat/callback",
        query_string=delivery.params,
        data=delivery.body,
        content_type="text/xml",
    )
    assert response.status_code == 200
    return reply_text(response.get_data(as_text=True))[1]


def own_lead(openid: str) -> Lead:
    return db.session.scalars(select(Lead).where(Lead.wechat_openid == openid)).one()


def test_phone_of_another_prospects_lead_gets_an_own_lead_flagged(client, app, admin, token_for):
    victim = client.post(
        "/api/leads", json={"phone": "13812345678", "company": "甲公司", "need_type": "land"}
    ).get_json()
    reply = say(client, app, "o-intruder", "想租5000平厂房，电话13812345678")
    assert victim["reference"] not in reply
    assert "已在跟进中" not in reply
    assert "甲公司" not in reply
    mine = own_lead("o-intruder")
    assert mine.reference in reply
    assert mine.id != victim["id"]

    headers = token_for(admin)
    body = client.get(f"/api/leads/{mine.id}", headers=headers).get_json()
    assert body["possible_duplicate_of_id"] == victim["id"]
    flags = [e for e in body["events"] if e["type"] == "possible_duplicate"]
    assert flags[0]["data"]["phone"] == "+8613812345678"
    assert flags[0]["data"]["lead_id"] == victim["id"]
    theirs = client.get(f"/api/leads/{victim['id']}", headers=headers).get_json()
    assert theirs["need_type"] == "land"
    assert not [e for e in theirs["events"] if e["type"] in ("enquiry", "message_in")]


def test_corrections_in_the_conversation_never_change_the_other_lead(client, app, admin, token_for):
    victim = client.post("/api/leads", json={"phone": "13812345678"}).get_json()
    say(client, app, "o-intruder", "想买地，电话13812345678")
    say(client, app, "o-intruder", "不对，是8000平")
    say(client, app, "o-intruder", "湘能电池科技有限公司")
    say(client, app, "o-intruder", "电话13812345678")
    theirs = db.session.get(Lead, victim["id"])
    db.session.refresh(theirs)
    assert theirs.company is None
    assert theirs.wechat_openid is None
    assert theirs.area_min_m2 is None
    changed = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == theirs.id, LeadEvent.actor == "prospect")
    ).all()
    assert [e.type for e in changed] == [EventType.CREATED]
    mine = own_lead("o-intruder")
    assert mine.company == "湘能电池科技有限公司"
    assert mine.possible_duplicate_of_id == theirs.id


def test_the_same_prospects_own_lead_is_still_updated(client, app):
    say(client, app, "o-owner", "想租厂房，电话13812345678")
    say(client, app, "o-owner", "湘能电池科技有限公司")
    leads = db.session.scalars(select(Lead).where(Lead.channel == Channel.WECHAT)).all()
    assert len(leads) == 1
    assert leads[0].company == "湘能电池科技有限公司"
    assert leads[0].phone == "+8613812345678"
    assert leads[0].possible_duplicate_of_id is None


def test_an_english_message_with_another_prospects_phone_is_flagged_too(client, app):
    victim = client.post("/api/leads", json={"phone": "13812345678"}).get_json()
    reply = say(
        client, app, "o-english", "We want to rent a factory of 5000 sqm, phone 13812345678"
    )
    assert victim["reference"] not in reply
    mine = own_lead("o-english")
    assert mine.reference in reply
    assert mine.possible_duplicate_of_id == victim["id"]
    assert mine.need_type.value == "factory"
    theirs = db.session.get(Lead, victim["id"])
    db.session.refresh(theirs)
    assert theirs.wechat_openid is None
    assert theirs.area_min_m2 is None
