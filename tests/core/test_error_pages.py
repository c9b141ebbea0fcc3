"""Errors are JSON for the API and HTML pages for a browser (docs/api.md), never a traceback."""

from __future__ import annotations

import json

import pytest

from app.leads import service as leads_service
from app.web import routes as web_routes

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SECRET = "db password is hunter2 at /srv/parklead/app.py line 42"


def assert_json_error(response, status: int, code: str) -> dict:
    """`{"error": {"code", "message", ...}}` with `status`, and nothing that leaks internals."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert 'File "' not in text
    return error


def assert_html_page(response, status: int) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert str(status) in page
    assert "Traceback" not in page
    return page


# --- JSON errors, status by status --------------------------------------------------------


def test_400_is_json(client):
    response = client.post("/api/leads", data="{oops", content_type="application/json")
    assert_json_error(response, 400, "malformed_body")


def test_400_validation_error_has_fields(client):
    response = client.post("/api/leads", json={"phone": "12345"})
    error = assert_json_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"phone"}


def test_401_is_json(client):
    assert_json_error(client.get("/api/leads"), 401, "unauthorized")


def test_403_is_json(client, agent, token_for):
    response = client.get("/api/reports/funnel", headers=token_for(agent))
    assert_json_error(response, 403, "forbidden")


def test_404_is_json_for_an_unknown_api_path(client):
    assert_json_error(client.get("/api/no-such-thing"), 404, "not_found")


def test_404_is_json_for_an_unknown_lead(client, admin, token_for):
    assert_json_error(client.get("/api/leads/424242", headers=token_for(admin)), 404, "not_found")


def test_405_is_json_and_names_the_allowed_methods(client):
    response = client.get("/api/auth/token")
    assert_json_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_405_on_a_collection_lists_its_methods(client):
    response = client.delete("/api/leads")
    assert_json_error(response, 405, "method_not_allowed")
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_409_is_json(client, lead, agent, token_for):
    response = client.post(
        f"/api/leads/{lead.id}/transitions", json={"to": "producing"}, headers=token_for(agent)
    )
    error = assert_json_error(response, 409, "invalid_transition")
    assert "contacted" in error["allowed"]


def test_413_is_json(client, app):
    body = json.dumps({"phone": "13812345678", "message": "x" * app.config["MAX_CONTENT_LENGTH"]})
    response = client.post("/api/leads", data=body, content_type="application/json")
    error = assert_json_error(response, 413, "payload_too_large")
    assert str(app.config["MAX_CONTENT_LENGTH"]) in error["message"]


def test_415_is_json(client):
    response = client.post("/api/leads", data="phone=13812345678", content_type="text/plain")
    assert_json_error(response, 415, "unsupported_media_type")


def test_429_is_json(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "INTAKE_RATE_LIMIT", "1/minute")
    client.post("/api/leads", json={"phone": "13812345678"})
    response = client.post("/api/leads", json={"phone": "13912345678"})
    assert_json_error(response, 429, "rate_limited")
    assert response.headers["Retry-After"]


def _explode(*_args, **_kwargs):
    raise RuntimeError(SECRET)


def test_500_is_json_without_internals(client, admin, token_for, monkeypatch):
    monkeypatch.setattr(leads_service, "list_leads", _explode)
    response = client.get("/api/leads", headers=token_for(admin))
    error = assert_json_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert SECRET not in text
    assert "RuntimeError" not in text
    assert "fields" not in error


def test_500_is_logged_with_the_traceback(client, admin, token_for, monkeypatch, caplog):
    monkeypatch.setattr(leads_service, "list_leads", _explode)
    client.get("/api/leads", headers=token_for(admin))
    records = [r for r in caplog.records if r.name == "app.core.errors"]
    assert records
    assert records[-1].exc_info is not None
    assert "GET /api/leads" in records[-1].getMessage()


def test_api_errors_stay_json_for_a_browser(client):
    response = client.get("/api/no-such-thing", headers=BROWSER)
    assert_json_error(response, 404, "not_found")


# --- HTML pages for a browser on non-API paths ---------------------------------------------


def test_404_page_is_html_for_a_browser(client):
    page = assert_html_page(client.get("/no-such-page", headers=BROWSER), 404)
    assert '"error"' not in page
    assert 'href="/enquiry"' in page


def test_404_on_a_page_path_is_json_for_a_json_client(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert_json_error(response, 404, "not_found")


def test_405_page_is_html_for_a_browser(client):
    assert_html_page(client.put("/enquiry", headers=BROWSER), 405)


def test_413_page_is_html_for_a_browser(client, app):
    data = {"phone": "13812345678", "message": "x" * app.config["MAX_CONTENT_LENGTH"]}
    assert_html_page(client.post("/enquiry", data=data, headers=BROWSER), 413)


def test_500_page_is_html_without_internals(client, monkeypatch):
    monkeypatch.setattr(web_routes, "_render", _explode)
    page = assert_html_page(client.get("/enquiry", headers=BROWSER), 500)
    assert SECRET not in page
    assert "RuntimeError" not in page


@pytest.mark.parametrize("path", ["/no-such-page", "/enquiry/nothing"])
def test_page_error_does_not_echo_the_path_as_markup(client, path):
    response = client.get(path + "<script>alert(1)</script>", headers=BROWSER)
    page = assert_html_page(response, 404)
    assert "<script>" not in page
