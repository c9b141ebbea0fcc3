"""Phones from outside mainland China: valid for phonenumbers → a phone everywhere, in E.164.

The web form and POST /api/leads, PATCH, the ?phone= filter, the import and WeChat all share
one rule (app.leads.schemas.normalize_phone; docs/parser.md, phones).
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from app.core.db import db
from app.leads.models import Lead

FOREIGN = [
    ("+886 912 345 678", "+886912345678"),  # Taiwan
    ("+852 9123 4567", "+85291234567"),  # Hong Kong
    ("+41 44 668 18 00", "+41446681800"),  # Switzerland
]


@pytest.mark.parametrize(("raw", "e164"), FOREIGN)
def test_api_enquiry_with_a_foreign_phone_is_a_lead_in_e164(client, agent, raw, e164):
    response = client.post("/api/leads", json={"need_type": "factory", "phone": raw})
    assert response.status_code == 201, response.get_json()
    assert db.session.get(Lead, response.get_json()["id"]).phone == e164


@pytest.mark.parametrize(("raw", "e164"), FOREIGN)
def test_phone_filter_finds_a_foreign_lead(client, admin, create_lead, token_for, raw, e164):
    wanted = create_lead(phone=raw)
    create_lead(phone="13912345678")
    for query in (quote(raw), quote(e164), e164):  # the last: "+" unencoded arrives as a space
        response = client.get(f"/api/leads?phone={query}", headers=token_for(admin))
        assert response.status_code == 200, response.get_json()
        assert [item["id"] for item in response.get_json()["items"]] == [wanted.id]


def test_patch_sets_a_swiss_phone(client, lead, agent, token_for):
    response = client.patch(
        f"/api/leads/{lead.id}",
        json={"version": lead.version, "phone": "0041 44 668 18 00"},
        headers=token_for(agent),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["phone"] == "+41446681800"


def test_the_enquiry_form_accepts_a_hong_kong_phone(client, agent):
    response = client.post("/enquiry", data={"need_type": "office", "phone": "+852 9123 4567"})
    assert response.status_code < 400, response.get_data(as_text=True)[:500]
    assert db.session.query(Lead).filter_by(phone="+85291234567").count() == 1


def test_import_reads_a_taiwanese_phone(client, admin, token_for):
    rows = [["公司", "联系人", "电话", "需求"], ["台达精密", "陈先生", "+886 912 345 678", "厂房"]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = client.post(
        "/api/leads/import",
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "leads.csv")},
        headers=token_for(admin),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    assert db.session.query(Lead).filter_by(phone="+886912345678").one().company == "台达精密"
