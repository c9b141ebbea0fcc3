"""The OpenAPI 3 document at /api/openapi.json (docs/api.md, docs/architecture.md).

Request schemas come from the pydantic models, so the document cannot drift from validation;
a test checks that every JSON route of the app is described here.
"""

from __future__ import annotations

import functools
from typing import Any

from app.leads.models import Channel, LeadStatus
from app.leads.schemas import EnquiryIn

_ERROR = {"$ref": "#/components/schemas/Error"}

# Domains add their paths and schemas here at import time (see `add_paths`).
_EXTRA_PATHS: dict[str, Any] = {}
_EXTRA_SCHEMAS: dict[str, Any] = {}


def add_paths(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> None:
    """Describe a domain's endpoints; call from its routes module at import time."""
    for path, operations in paths.items():
        _EXTRA_PATHS.setdefault(path, {}).update(operations)
    _EXTRA_SCHEMAS.update(schemas or {})
    build_openapi.cache_clear()


def json_response(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return _json(schema, description)


def error_responses(*codes: int) -> dict[str, Any]:
    return _errors(*codes)


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return _page(item)


def query_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A query-string parameter."""
    param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    return param


def path_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A path parameter (always required)."""
    param: dict[str, Any] = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        param["description"] = description
    return param


def json_body(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A required JSON object request body with these properties."""
    shape: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        shape["required"] = required
    return {"required": True, "content": {"application/json": {"schema": shape}}}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed or invalid input",
        401: "Missing or invalid token",
        403: "Role not allowed",
        404: "Not found or not visible to you",
        409: "Transition not allowed or stale version",
        413: "Body too large",
        415: "Body is not JSON",
        429: "Rate limited",
        503: "A dependency is down",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": item},
            "next_cursor": {"type": ["string", "null"]},
        },
    }


@functools.cache
def build_openapi() -> dict[str, Any]:
    enquiry = EnquiryIn.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = enquiry.pop("$defs", {})
    lead_ref = {"$ref": "#/components/schemas/Lead"}
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    lead_key = {
        "name": "lead_key",
        "in": "path",
        "required": True,
        "description": "Lead id or reference (PL-20261124-0007)",
        "schema": {"type": "string"},
    }
    list_params = [
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
        },
        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        {
            "name": "status",
            "in": "query",
            "description": "Comma-separated statuses",
            "schema": {"type": "string"},
        },
        {"name": "need_type", "in": "query", "schema": {"type": "string"}},
        {"name": "district", "in": "query", "schema": {"type": "string"}},
        {"name": "phone", "in": "query", "schema": {"type": "string"}},
        {
            "name": "q",
            "in": "query",
            "description": "Search company, contact, phone",
            "schema": {"type": "string"},
        },
        {"name": "unassigned", "in": "query", "schema": {"type": "boolean"}},
    ]
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "summary": "Database and broker health",
                "tags": ["ops"],
                "responses": {
                    "200": _json({"type": "object"}, "All dependencies answer"),
                    **_errors(503),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["ops"],
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
            }
        },
        "/api/auth/token": {
            "post": {
                "summary": "Exchange login and password for a bearer token",
                "tags": ["auth"],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["login", "password"],
                                "properties": {
                                    "login": {"type": "string"},
                                    "password": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string"},
                                "token_type": {"type": "string"},
                                "expires_in": {"type": "integer"},
                                "agent": {"type": "object"},
                            },
                        },
                        "Token",
                    ),
                    **_errors(400, 401, 429),
                },
            }
        },
        "/api/leads": {
            "post": {
                "summary": "Submit an enquiry (public)",
                "tags": ["leads"],
                "description": "Answers 201 with a receipt of this enquiry, the same whether "
                "or not the phone has an open lead: for a new phone the new lead's id and "
                "reference; for a known phone a receipt (a lead row of its own, merged at once "
                "into the open lead), never that lead's id, reference or data.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/EnquiryIn"}}
                    },
                },
                "responses": {
                    "201": _json({"$ref": "#/components/schemas/IntakeResult"}, "Enquiry received"),
                    **_errors(400, 413, 415, 429),
                },
            },
            "get": {
                "summary": "Leads you can see, newest first",
                "tags": ["leads"],
                "security": bearer,
                "parameters": list_params,
                "responses": {
                    "200": _json(_page(lead_ref), "A page of leads"),
                    **_errors(400, 401),
                },
            },
        },
        "/api/leads/{lead_key}": {
            "get": {
                "summary": "One lead with its event timeline",
                "tags": ["leads"],
                "security": bearer,
                "parameters": [lead_key],
                "responses": {"200": _json(lead_ref, "The lead"), **_errors(401, 404)},
            }
        },
        "/api/leads/{lead_key}/transitions": {
            "post": {
                "summary": "Move a lead to another stage (docs/leads.md, Lifecycle)",
                "tags": ["leads"],
                "security": bearer,
                "parameters": [lead_key],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["to"],
                                "properties": {
                                    "to": {"type": "string", "enum": [s.value for s in LeadStatus]},
                                    "reason": {
                                        "type": "string",
                                        "description": "Required for lost",
                                    },
                                    "note": {"type": "string"},
                                    "version": {
                                        "type": "integer",
                                        "description": "Optimistic lock",
                                    },
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(lead_ref, "The lead after the change"),
                    **_errors(400, 401, 404, 409),
                },
            }
        },
    }
    schemas: dict[str, Any] = {
        **defs,
        "EnquiryIn": enquiry,
        "IntakeResult": {
            "type": "object",
            "required": ["id", "reference", "status", "created"],
            "properties": {
                "id": {"type": "integer"},
                "reference": {"type": "string"},
                "status": {"type": "string"},
                "created": {"type": "boolean"},
                "message": {
                    "type": "string",
                    "description": "POST /api/leads/manual only: the open lead it joined",
                },
            },
        },
        "Lead": {
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "reference": {"type": "string"},
                "status": {"type": "string", "enum": [s.value for s in LeadStatus]},
                "channel": {"type": "string", "enum": [c.value for c in Channel]},
                "agent": {"type": ["object", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "version": {"type": "integer"},
                "merged_into_id": {"type": ["integer", "null"]},
                "possible_duplicate_of_id": {
                    "type": ["integer", "null"],
                    "description": "Set when a WeChat prospect gave a phone that another "
                    "open lead has: check and merge (see the possible_duplicate event)",
                },
                "allowed_transitions": {"type": "array", "items": {"type": "string"}},
                "events": {"type": "array", "items": {"type": "object"}},
                **{k: v for k, v in enquiry["properties"].items() if k != "website"},
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                }
            },
        },
    }
    for path, operations in _EXTRA_PATHS.items():
        paths.setdefault(path, {}).update(operations)
    schemas.update(_EXTRA_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ParkLead API",
            "version": "0.1.0",
            "description": "Lead capture and CRM for industrial-park investment promotion.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
