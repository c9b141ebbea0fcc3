"""POST /api/leads: validation, storage, dedupe and routing in embedded mode."""

from __future__ import annotations

from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus


def count_leads() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead))


def test_valid_enquiry_is_stored_and_answered_with_reference(client, agent):
    response = client.post(
        "/api/leads",
        json={
            "need_type": "factory",
            "deal": "rent",
            "area_min_m2": 3000,
            "area_max_m2": 5000,
            "industry": "新能源电池",
            "tax_wan": 300,
            "company": "湘能电池科技有限公司",
            "contact_name": "王先生",
            "phone": "138 1234 5678",
            "district": "芦淞区",
            "utm_source": "baidu",
        },
    )
    assert response.status_code == 201
    body = response.get_json()
    lead = db.session.get(Lead, body["id"])
    assert body["reference"] == lead.reference
    assert lead.reference.startswith("PL-")
    assert lead.reference.endswith(f"-{lead.id:04d}")
    assert lead.phone == "+8613812345678"
    assert lead.source == {"utm_source": "baidu", "form": "api"}
    assert float(lead.area_max_m2) == 5000.0


def test_new_lead_is_assigned_round_robin_in_embedded_mode(client, make_agent, default_team):
    first = make_agent("a1", team=default_team)
    second = make_agent("a2", team=default_team)
    ids = [
        client.post("/api/leads", json={"phone": f"1380000000{i}"}).get_json()["id"]
        for i in range(3)
    ]
    owners = [db.session.get(Lead, i).agent_id for i in ids]
    assert owners == [first.id, second.id, first.id]
    lead = db.session.get(Lead, ids[0])
    assert lead.status is LeadStatus.ASSIGNED
    types = db.session.scalars(
        select(LeadEvent.type).where(LeadEvent.lead_id == lead.id).order_by(LeadEvent.id)
    ).all()
    assert types == [EventType.CREATED, EventType.STATUS_CHANGED, EventType.ASSIGNED]


def open_leads() -> list[Lead]:
    return list(db.session.scalars(select(Lead).where(Lead.merged_into_id.is_(None))))


def test_enquiry_from_phone_with_open_lead_joins_it_behind_a_receipt(client, agent):
    first = client.post("/api/leads", json={"phone": "13812345678", "need_type": "factory"})
    again = client.post(
        "/api/leads", json={"phone": "+86 138-1234-5678", "tax_wan": 120, "message": "再问一下"}
    )
    # The same answer as for a new phone: 201, a receipt of its own, not the open lead.
    assert again.status_code == 201
    body = again.get_json()
    assert set(body) == set(first.get_json())
    assert body["status"] == "new"
    assert body["created"] is True
    assert body["id"] != first.get_json()["id"]
    assert body["reference"] != first.get_json()["reference"]
    assert [lead.id for lead in open_leads()] == [first.get_json()["id"]]
    lead = db.session.get(Lead, first.get_json()["id"])
    assert float(lead.tax_wan) == 120.0
    enquiry = db.session.scalars(
        select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.ENQUIRY)
    ).one()
    assert enquiry.data["submitted"]["message"] == "再问一下"
    assert enquiry.data["receipt_reference"] == body["reference"]
    receipt = db.session.get(Lead, body["id"])
    assert receipt.merged_into_id == lead.id
    assert receipt.status is LeadStatus.DUPLICATE
    assert receipt.reference == body["reference"]


def test_known_and_unknown_phones_get_answers_of_the_same_shape(client, agent):
    client.post("/api/leads", json={"phone": "13812345678", "company": "甲公司"})
    known = client.post("/api/leads", json={"phone": "13812345678", "need_type": "land"})
    unknown = client.post("/api/leads", json={"phone": "13900000001", "need_type": "land"})
    assert known.status_code == unknown.status_code == 201
    k, u = known.get_json(), unknown.get_json()
    assert set(k) == set(u)
    assert {key: v for key, v in k.items() if key not in ("id", "reference")} == {
        key: v for key, v in u.items() if key not in ("id", "reference")
    }
    # Ids come from one sequence: the receipt is not told apart by its number either.
    assert u["id"] == k["id"] + 1
    assert "甲公司" not in known.get_data(as_text=True)


def test_a_free_text_message_fills_the_fields_left_blank(client, agent):
    """The advert asks for need, use, tax, company, contact and phone in words: a form or a
    landing page that sends them as the message alone still makes a structured lead."""
    message = (
        "你好，我们是湘能电池科技有限公司，做新能源电池，想在芦淞区租5000平左右标准厂房，"
        "层高8米，年税收预计三百万，王先生"
    )
    response = client.post("/api/leads", json={"phone": "13812345678", "message": message})
    assert response.status_code == 201, response.get_json()
    lead = db.session.get(Lead, response.get_json()["id"])
    assert (lead.need_type.value, lead.deal.value) == ("factory", "rent")
    assert (float(lead.area_min_m2), lead.district) == (5000.0, "芦淞区")
    assert (lead.industry, float(lead.tax_wan)) == ("新能源电池", 300.0)
    assert (lead.company, lead.contact_name) == ("湘能电池科技有限公司", "王先生")
    assert float(lead.ceiling_height_min_m) == 8.0
    assert lead.message == message  # kept as written


def test_what_the_sender_gave_is_never_replaced_by_the_message(client, agent):
    response = client.post(
        "/api/leads",
        json={
            "phone": "13812345679",
            "need_type": "warehouse",
            "contact_name": "李女士",
            "message": "想租5000平厂房，王先生，年税收200万",
        },
    )
    assert response.status_code == 201
    lead = db.session.get(Lead, response.get_json()["id"])
    assert lead.need_type.value == "warehouse"
    assert lead.contact_name == "李女士"
    assert float(lead.area_min_m2) == 5000.0  # blank in the form: read from the message
    assert float(lead.tax_wan) == 200.0


def test_a_form_that_states_need_and_area_keeps_its_message_as_notes(client, agent):
    response = client.post(
        "/api/leads",
        json={
            "phone": "13812345670",
            "need_type": "warehouse",
            "area_min_m2": 1200,
            "message": "年税收200万，王先生",
        },
    )
    lead = db.session.get(Lead, response.get_json()["id"])
    assert (lead.tax_wan, lead.contact_name) == (None, None)
    assert lead.message == "年税收200万，王先生"
