"""Per-IP rate limit on public intake (docs/security.md, docs/api.md `INTAKE_RATE_LIMIT`)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Lead

_numbers = itertools.count()


def new_phone() -> str:
    return f"1370000{next(_numbers) % 10_000:04d}"


def count_leads() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead))


@pytest.fixture
def limit_3(app, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_RATE_LIMIT", "3/minute")


def post_api(client, ip: str = "203.0.113.7"):
    return client.post("/api/leads", json={"phone": new_phone()}, environ_base={"REMOTE_ADDR": ip})


def post_form(client, ip: str = "203.0.113.7"):
    return client.post("/enquiry", data={"phone": new_phone()}, environ_base={"REMOTE_ADDR": ip})


@pytest.mark.usefixtures("limit_3")
def test_requests_within_the_limit_are_accepted(client):
    assert [post_api(client).status_code for _ in range(3)] == [201, 201, 201]


@pytest.mark.usefixtures("limit_3")
def test_flood_from_one_ip_gets_429_json_error(client):
    for _ in range(3):
        post_api(client)
    response = post_api(client)
    assert response.status_code == 429
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert "too many requests" in error["message"]


@pytest.mark.usefixtures("limit_3")
def test_429_says_when_to_retry(client):
    for _ in range(3):
        post_api(client)
    response = post_api(client)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


@pytest.mark.usefixtures("limit_3")
def test_rate_limited_request_writes_nothing(client):
    for _ in range(3):
        post_api(client)
    before = count_leads()
    assert post_api(client).status_code == 429
    assert count_leads() == before


@pytest.mark.usefixtures("limit_3")
def test_form_flood_gets_429(client):
    assert [post_form(client).status_code for _ in range(4)] == [201, 201, 201, 429]


@pytest.mark.usefixtures("limit_3")
def test_api_and_form_share_one_budget(client):
    assert post_api(client).status_code == 201
    assert post_form(client).status_code == 201
    assert post_api(client).status_code == 201
    assert post_form(client).status_code == 429
    assert post_api(client).status_code == 429


@pytest.mark.usefixtures("limit_3")
def test_another_ip_is_unaffected(client):
    for _ in range(4):
        post_api(client, ip="203.0.113.7")
    assert post_api(client, ip="198.51.100.9").status_code == 201
    assert post_form(client, ip="198.51.100.9").status_code == 201


@pytest.mark.usefixtures("limit_3")
def test_reading_the_form_does_not_spend_the_budget(client):
    for _ in range(5):
        assert (
            client.get("/enquiry", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code == 200
        )
    assert post_form(client).status_code == 201


@pytest.mark.usefixtures("limit_3")
def test_rejected_submissions_count_against_the_limit(client):
    for _ in range(3):
        response = client.post(
            "/api/leads", json={"phone": "12345"}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
        )
        assert response.status_code == 400
    assert post_api(client).status_code == 429


def test_off_disables_the_limit(client, monkeypatch, app):
    monkeypatch.setitem(app.config, "INTAKE_RATE_LIMIT", "off")
    statuses = {post_api(client).status_code for _ in range(25)}
    assert statuses == {201}
