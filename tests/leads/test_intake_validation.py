"""POST /api/leads refuses bad input with a clear 4xx and writes nothing (docs/leads.md,
docs/api.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Deal, Lead, LeadEvent, NeedType

VALID = {"phone": "13812345678", "need_type": "factory"}


def row_counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Lead)),
        db.session.scalar(select(func.count()).select_from(LeadEvent)),
    )


def post_json(client, payload: Any, **kwargs: Any):
    return client.post("/api/leads", json=payload, **kwargs)


def assert_rejected(response, status: int = 400) -> dict[str, Any]:
    """The response is a JSON error with `status`; returns the `error` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"]
    assert error["message"]
    return error


def reject(client, payload: Any, status: int = 400, **kwargs: Any) -> dict[str, Any]:
    """POST `payload`, expect a JSON error and no new lead or lead_event row."""
    before = row_counts()
    error = assert_rejected(post_json(client, payload, **kwargs), status)
    assert row_counts() == before
    return error


def stored(response) -> Lead:
    assert response.status_code == 201, response.get_data(as_text=True)
    return db.session.get(Lead, response.get_json()["id"])


# --- the body itself ----------------------------------------------------------------------


def test_malformed_json_is_400_naming_the_problem(client):
    before = row_counts()
    response = client.post(
        "/api/leads", data='{"phone": "13812345678",', content_type="application/json"
    )
    error = assert_rejected(response)
    assert error["code"] == "malformed_body"
    assert "malformed JSON" in error["message"]
    assert "line 1 column" in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize("body", ["[]", '["13812345678"]', '"13812345678"', "42", "null", "true"])
def test_json_that_is_not_an_object_is_400(client, body):
    before = row_counts()
    response = client.post("/api/leads", data=body, content_type="application/json")
    error = assert_rejected(response)
    assert "JSON object" in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize("body", ["", "   \n"])
def test_empty_body_is_400(client, body):
    before = row_counts()
    response = client.post("/api/leads", data=body, content_type="application/json")
    error = assert_rejected(response)
    assert "empty" in error["message"]
    assert row_counts() == before


def test_body_that_is_not_utf8_is_400(client):
    before = row_counts()
    response = client.post(
        "/api/leads", data=b'{"phone": "\xff\xfe"}', content_type="application/json"
    )
    error = assert_rejected(response)
    assert "UTF-8" in error["message"]
    assert row_counts() == before


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/xml",
    ],
)
def test_body_not_sent_as_json_is_415(client, content_type):
    before = row_counts()
    response = client.post("/api/leads", data=json.dumps(VALID), content_type=content_type)
    error = assert_rejected(response, 415)
    assert error["code"] == "unsupported_media_type"
    assert "application/json" in error["message"]
    assert row_counts() == before


def test_body_without_content_type_is_415(client):
    before = row_counts()
    response = client.post("/api/leads", data=json.dumps(VALID))
    assert_rejected(response, 415)
    assert row_counts() == before


def test_json_content_type_with_charset_is_accepted(client):
    response = client.post(
        "/api/leads", data=json.dumps(VALID), content_type="application/json; charset=utf-8"
    )
    assert stored(response).phone == "+8613812345678"


def test_ten_megabyte_body_is_413_json_error(client):
    before = row_counts()
    body = json.dumps({**VALID, "message": "厂" * (10 * 1024 * 1024 // 3)})
    assert len(body.encode()) >= 10 * 1024 * 1024
    response = client.post("/api/leads", data=body, content_type="application/json")
    error = assert_rejected(response, 413)
    assert error["code"] == "payload_too_large"
    assert row_counts() == before


# --- field types and values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("area_min_m2", "lots", "number"),
        ("area_max_m2", [3000], "number"),
        ("area_min_m2", {"value": 3000}, "number"),
        ("tax_wan", True, "number"),
        ("investment_wan", False, "number"),
        ("tax_wan", "三百万", "number"),
        ("company", ["湘能电池"], "text"),
        ("contact_name", {"name": "王"}, "text"),
        ("message", 12345, "text"),
        ("district", True, "text"),
        ("wechat_id", 42, "text"),
        ("employees", 1.5, "whole number"),
        ("employees", "many", "whole number"),
        ("need_type", 3, "one of"),
        ("deal", ["rent"], "one of"),
    ],
)
def test_wrong_type_is_400_with_field_message(client, field, value, says):
    error = reject(client, {**VALID, field: value})
    assert says in error["fields"][field]


@pytest.mark.parametrize(("field", "enum_cls"), [("need_type", NeedType), ("deal", Deal)])
def test_unknown_choice_is_400_listing_the_allowed_values(client, field, enum_cls):
    error = reject(client, {**VALID, field: "castle"})
    message = error["fields"][field]
    for member in enum_cls:
        assert member.value in message


@pytest.mark.parametrize("field", ["area_min_m2", "area_max_m2"])
@pytest.mark.parametrize("value", [0, -1, -0.01, "-5000"])
def test_area_must_be_positive(client, field, value):
    error = reject(client, {**VALID, field: value})
    assert "greater than 0" in error["fields"][field]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_area_must_be_a_finite_number(client, value):
    error = reject(client, {**VALID, "area_min_m2": value})
    assert "area_min_m2" in error["fields"]


def test_area_min_larger_than_max_is_400(client):
    error = reject(client, {**VALID, "area_min_m2": 5000, "area_max_m2": 3000})
    assert "area_min_m2" in error["message"]
    assert "area_max_m2" in error["message"]


def test_equal_area_min_and_max_is_accepted(client):
    lead = stored(post_json(client, {**VALID, "area_min_m2": 3000, "area_max_m2": 3000}))
    assert lead.area_min_m2 == lead.area_max_m2 == 3000


@pytest.mark.parametrize("field", ["tax_wan", "investment_wan"])
def test_negative_money_is_400(client, field):
    error = reject(client, {**VALID, field: -0.5})
    assert "0 or more" in error["fields"][field]


def test_zero_tax_is_accepted(client):
    assert stored(post_json(client, {**VALID, "tax_wan": 0})).tax_wan == 0


def test_more_than_two_decimal_places_is_400(client):
    error = reject(client, {**VALID, "area_min_m2": "3000.125"})
    assert "decimal places" in error["fields"]["area_min_m2"]


def test_unknown_fields_are_rejected_by_name(client):
    error = reject(client, {**VALID, "budget": 100, "is_admin": True})
    assert set(error["fields"]) == {"budget", "is_admin"}
    assert "not a field" in error["fields"]["budget"]


def test_server_controlled_fields_cannot_be_posted(client):
    error = reject(client, {**VALID, "status": "won", "agent_id": 1})
    assert {"status", "agent_id"} <= set(error["fields"])


# --- text lengths (exact boundaries) ------------------------------------------------------

TEXT_LIMITS = [
    ("industry", 100, "新"),
    ("timeline", 100, "月"),
    ("company", 200, "厂"),
    ("contact_name", 100, "王"),
    ("district", 50, "区"),
    ("wechat_id", 64, "w"),
    ("message", 4000, "需"),
    ("utm_source", 100, "s"),
    ("utm_medium", 100, "m"),
    ("utm_campaign", 100, "活"),
]


@pytest.mark.parametrize(("field", "limit", "char"), TEXT_LIMITS)
def test_text_at_max_length_is_stored_whole(client, field, limit, char):
    value = char * limit
    lead = stored(post_json(client, {**VALID, field: value}))
    saved = lead.source[field] if field.startswith("utm_") else getattr(lead, field)
    assert saved == value


@pytest.mark.parametrize(("field", "limit", "char"), TEXT_LIMITS)
def test_text_one_over_max_length_is_400(client, field, limit, char):
    error = reject(client, {**VALID, field: char * (limit + 1)})
    assert f"at most {limit} characters" in error["fields"][field]


# --- reachability ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"need_type": "land", "company": "湘能电池"},
        {"phone": "", "wechat_id": ""},
        {"phone": "   ", "wechat_id": "\t"},
        {"phone": None, "wechat_id": None},
    ],
)
def test_missing_phone_and_wechat_is_400(client, payload):
    error = reject(client, payload)
    assert "phone" in error["message"]
    assert "WeChat" in error["message"]


def test_wechat_id_alone_is_enough(client):
    lead = stored(post_json(client, {"wechat_id": "wang_zhuzhou"}))
    assert lead.wechat_id == "wang_zhuzhou"
    assert lead.phone is None


def test_filled_honeypot_is_rejected_and_nothing_written(client):
    error = reject(client, {**VALID, "website": "http://spam.example"})
    assert error["code"] == "rejected"
    assert "website" in error["fields"]


# --- cleaning and hostile text ------------------------------------------------------------


def test_nul_and_control_characters_are_stripped(client):
    lead = stored(
        post_json(
            client,
            {
                **VALID,
                "company": "湘能\x00电池\x07科技\x1b有限公司",
                "contact_name": "\x00王先生\x7f",
                "utm_source": "bai\x00du",
            },
        )
    )
    assert lead.company == "湘能电池科技有限公司"
    assert lead.contact_name == "王先生"
    assert lead.source["utm_source"] == "baidu"


def test_newlines_and_tabs_in_message_are_kept(client):
    lead = stored(post_json(client, {**VALID, "message": "第一行\n第二行\t层高8米\x0b"}))
    assert lead.message == "第一行\n第二行\t层高8米"


def test_text_made_only_of_control_characters_becomes_empty(client):
    lead = stored(post_json(client, {**VALID, "company": "\x00\x01\x02"}))
    assert lead.company is None


HOSTILE = {
    "company": "Robert'); DROP TABLE lead;--",
    "contact_name": "' OR '1'='1",
    "industry": "1; DELETE FROM lead_event WHERE 1=1",
    "message": "<script>alert('xss')</script><img src=x onerror=alert(1)>",
    "district": '"><svg onload=alert(1)>',
}


def test_injection_strings_are_stored_verbatim(client):
    lead = stored(post_json(client, {**VALID, **HOSTILE}))
    for field, value in HOSTILE.items():
        assert getattr(lead, field) == value


def test_injection_strings_leave_the_tables_intact(client):
    before_leads, before_events = row_counts()
    stored(post_json(client, {**VALID, **HOSTILE}))
    leads, events = row_counts()
    assert leads == before_leads + 1
    assert events > before_events
    assert stored(post_json(client, {"phone": "13987654321"})).id is not None


def test_injection_strings_come_back_unchanged_as_json_data(client, admin, token_for):
    lead_id = post_json(client, {**VALID, **HOSTILE}).get_json()["id"]
    response = client.get(f"/api/leads/{lead_id}", headers=token_for(admin))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    for field, value in HOSTILE.items():
        assert body[field] == value


# --- phone numbers --------------------------------------------------------------------------

PHONE_FORMATS = [
    ("13812345678", "+8613812345678"),
    ("138 1234 5678", "+8613812345678"),
    ("138-1234-5678", "+8613812345678"),
    ("138.1234.5678", "+8613812345678"),
    ("  13812345678  ", "+8613812345678"),
    ("+8613812345678", "+8613812345678"),
    ("+86 138 1234 5678", "+8613812345678"),
    ("+86-138-1234-5678", "+8613812345678"),
    ("0086 138 1234 5678", "+8613812345678"),
    ("008613812345678", "+8613812345678"),
    ("１３８１２３４５６７８", "+8613812345678"),
    ("＋８６ １３８－１２３４－５６７８", "+8613812345678"),
    ("(138) 1234 5678", "+8613812345678"),
    ("19912345678", "+8619912345678"),
    ("0731-28881234", "+8673128881234"),
    ("(0731) 2888 1234", "+8673128881234"),
    ("073128881234", "+8673128881234"),
    ("+86 731 2888 1234", "+8673128881234"),
    ("010-6552 9988", "+861065529988"),
    ("(010)65529988", "+861065529988"),
    ("021-6321 8888", "+862163218888"),
    ("+86 21 6321 8888", "+862163218888"),
    ("400-820-8820", "+864008208820"),
    ("400 820 8820", "+864008208820"),
    ("4008208820", "+864008208820"),
]


# Any number phonenumbers validates, in E.164; a number without a country code is Chinese.
PHONE_FORMATS += [
    ("+886 912 345 678", "+886912345678"),  # Taiwan mobile
    ("+852 9123 4567", "+85291234567"),  # Hong Kong mobile
    ("00852 2123 4567", "+85221234567"),  # dialled from China
    ("+41 44 668 18 00", "+41446681800"),  # Zürich landline
    ("+1 650 253 0000", "+16502530000"),
    ("+44 20 7946 0958", "+442079460958"),
]


@pytest.mark.parametrize(("raw", "e164"), PHONE_FORMATS)
def test_phone_formats_are_stored_as_e164(client, raw, e164):
    assert stored(post_json(client, {"phone": raw})).phone == e164


@pytest.mark.parametrize(
    "raw",
    [
        "12345",  # too short
        "1381234567",  # a mobile one digit short
        "1381234567890",  # too long
        "23812345678",  # no such prefix
        "+1 650 253 0000 1",  # a valid number with a digit too many
        "+852 1234",  # too short for Hong Kong
        "abc",
        "138abcd5678",  # letters are not keypad digits here
        "13812345678a",
        "phone: 13812345678",
        "---",
    ],
)
def test_invalid_phone_is_400_with_a_field_message(client, raw):
    error = reject(client, {"phone": raw, "need_type": "land"})
    assert "number" in error["fields"]["phone"]


def test_overlong_phone_is_400(client):
    error = reject(client, {"phone": "1" * 41})
    assert "phone" in error["fields"]


# --- hostile JSON (docs/security.md) ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"phone": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "[" * 50_000 + "]" * 50_000,
        '{"phone": "13812345678", "tax_wan": ' + "9" * 5000 + "}",
    ],
    ids=["nested-value", "nested-body", "huge-number"],
)
def test_hostile_json_is_a_400_with_a_message(client, body):
    response = client.post("/api/leads", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]
