"""How `@api_doc` and the OpenAPI assembly behave, on a small app of their own
(docs/api.md "The OpenAPI document")."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from openapi_spec_validator import validate
from pydantic import BaseModel, Field

from app.core.apidoc import Page, api_doc
from app.core.openapi import build_openapi


class Part(BaseModel):
    name: str


class Thing(BaseModel):
    """The thing"""

    id: int
    parts: list[Part]


class ThingQuery(BaseModel):
    q: str | None = Field(None, description="Search")
    limit: int = Field(50, ge=1, le=200)


def small_app() -> Flask:
    app = Flask(__name__)

    @app.get("/api/things")
    @api_doc("Things", tags="things", auth=True, query=ThingQuery, responses={200: Page[Thing]})
    def things() -> str:
        return ""

    @app.post("/api/things/<int:thing_id>")
    @api_doc("Change a thing", tags="things", body=Thing, responses={200: Thing}, errors=(400,))
    def change(thing_id: int) -> str:
        return ""

    @app.get("/api/undocumented")
    def undocumented() -> str:
        return ""

    return app


def test_a_route_without_a_description_is_left_out_so_the_route_test_fails():
    doc = build_openapi(small_app())
    assert "/api/undocumented" not in doc["paths"]
    assert set(doc["paths"]) == {"/api/things", "/api/things/{thing_id}"}


def test_the_document_is_valid_and_its_defs_are_hoisted_into_components():
    doc = build_openapi(small_app())
    validate(doc)
    assert "$defs" not in json.dumps(doc)
    schemas = doc["components"]["schemas"]
    thing = Thing.model_json_schema(ref_template="#/components/schemas/{model}")
    assert schemas["Part"] == thing.pop("$defs")["Part"]
    assert schemas["Thing"] == thing
    assert {"Part", "ThingPage", "Error"} <= set(schemas)


def test_operations_read_path_query_body_and_answers_from_the_models():
    doc = build_openapi(small_app())
    listing = doc["paths"]["/api/things"]["get"]
    assert listing["security"] == [{"bearer": []}]
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["q"] == {
        "name": "q", "in": "query", "schema": {"type": "string"}, "description": "Search"
    }  # fmt: skip
    assert params["limit"]["schema"]["maximum"] == 200
    change = doc["paths"]["/api/things/{thing_id}"]["post"]
    assert change["parameters"] == [
        {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    ]
    body = change["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Thing"}
    assert change["responses"]["200"]["description"] == "The thing"
    assert change["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Error"
    )
    assert "security" not in change


def test_two_different_models_of_one_name_fail_the_build():
    app = small_app()
    other = type("Thing", (BaseModel,), {"__annotations__": {"colour": str}})

    @app.get("/api/other")
    @api_doc("Another thing", tags="things", responses={200: other})
    def another() -> str:
        return ""

    with pytest.raises(ValueError, match="Thing"):
        build_openapi(app)
