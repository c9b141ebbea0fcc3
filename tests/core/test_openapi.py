"""/api/openapi.json is valid OpenAPI 3 and documents every JSON route the app serves."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from openapi_spec_validator import validate

from app.leads.schemas import EnquiryIn

# The machine interface: everything under these prefixes must be documented. Pages for
# people (/, /enquiry, /login, /app/...) are covered by the route x role matrix instead.
API_PREFIXES = ("/api/", "/healthz", "/wechat/")
IGNORED_METHODS = {"HEAD", "OPTIONS"}
INTAKE_FIELDS = {
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "tax_wan", "investment_wan",
    "company", "contact_name", "phone", "district", "message", "utm_source", "utm_medium",
    "utm_campaign",
}  # fmt: skip


def openapi_path(rule: str) -> str:
    """Flask's `/api/leads/<lead_key>` (or `<int:id>`) as OpenAPI's `/api/leads/{lead_key}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def served_operations(app: Flask) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIXES):
            continue
        for method in rule.methods - IGNORED_METHODS:
            operations.add((openapi_path(rule.rule), method.lower()))
    return operations


def documented_operations(doc: dict) -> set[tuple[str, str]]:
    return {(path, method) for path, ops in doc["paths"].items() for method in ops}


@pytest.fixture
def doc(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi(doc):
    validate(doc)
    assert doc["openapi"].startswith("3.")


def test_served_without_a_token(client):
    assert client.get("/api/openapi.json").status_code == 200


def test_every_json_route_is_documented_with_its_methods(app, doc):
    missing = served_operations(app) - documented_operations(doc)
    assert not missing, f"routes without OpenAPI docs: {sorted(missing)}"


def test_every_documented_operation_is_served(app, doc):
    stale = documented_operations(doc) - served_operations(app)
    assert not stale, f"documented but not served: {sorted(stale)}"


def test_route_table_helpers_see_the_spec_routes(app):
    operations = served_operations(app)
    assert ("/api/leads/{lead_key}", "get") in operations
    assert ("/api/leads", "post") in operations
    assert not any(path == "/enquiry" or path.startswith("/static") for path, _ in operations)


def test_path_parameters_are_declared(doc):
    for path, operations in doc["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in operations.items():
            declared = {
                p["name"]
                for p in operation.get("parameters", [])
                if p["in"] == "path" and p.get("required")
            }
            assert names <= declared, f"{method.upper()} {path} declares {declared}"


def test_every_operation_documents_a_success_response(doc):
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), f"{method.upper()} {path}"


def test_operations_that_need_a_token_say_so(app, client, doc):
    """Every /api route that answers 401 without a token is documented with bearer security."""
    protected = set()
    for path, method in sorted(served_operations(app)):
        if not path.startswith("/api/"):
            continue
        url = re.sub(r"{[^}]+}", "1", path)
        response = client.open(url, method=method.upper(), json={} if method != "get" else None)
        if response.status_code == 401:
            protected.add((path, method))
            operation = doc["paths"][path][method]
            assert operation.get("security"), f"{method.upper()} {path} needs a token"
    assert {("/api/leads", "get"), ("/api/leads/{lead_key}/transitions", "post")} <= protected


def test_intake_request_schema_is_the_validation_model(doc):
    body = doc["paths"]["/api/leads"]["post"]["requestBody"]["content"]["application/json"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    schema = doc["components"]["schemas"][ref]
    assert set(schema["properties"]) == set(EnquiryIn.model_fields)
    assert set(schema["properties"]) >= INTAKE_FIELDS


def test_lead_schema_has_the_spec_field_names(doc):
    lead = doc["components"]["schemas"]["Lead"]["properties"]
    assert set(lead) >= INTAKE_FIELDS | {"reference", "status", "channel", "agent", "created_at"}


def test_error_schema_matches_the_error_shape(doc):
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["required"]) == {"code", "message"}
    assert "fields" in error["properties"]
