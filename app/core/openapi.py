"""The OpenAPI 3.1 document at /api/openapi.json (docs/api.md "The OpenAPI document").

Assembled from the app's URL rules and the `@api_doc` descriptions attached to their view
functions (`app.core.apidoc`): request and answer schemas are the pydantic models' own JSON
schemas, so the document cannot drift from validation. Nothing here imports a domain. A test
checks that every JSON route the app serves is described.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Flask
from pydantic import BaseModel

from app.core.apidoc import ApiDoc, Model, docs_of

REF = "#/components/schemas/{model}"
IGNORED_METHODS = {"HEAD", "OPTIONS"}

ERROR_TEXT = {
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

# The error shape of every JSON error (app/core/errors.py, docs/api.md "Errors").
ERROR_SCHEMA: dict[str, Any] = {
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
}

_PARAM = re.compile(r"<(?:([a-zA-Z_]\w*)(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")
_CONVERTER_SCHEMA = {"int": {"type": "integer"}, "float": {"type": "number"}}


def build_openapi(app: Flask) -> dict[str, Any]:
    """The document for `app` (built once per app: routes do not change after start-up)."""
    document = app.extensions.get("openapi_document")
    if document is None:
        document = app.extensions["openapi_document"] = _Builder().document(app)
    return document  # type: ignore[no-any-return]


def openapi_path(rule: str) -> str:
    """Flask's `/api/leads/<lead_key>` (or `<int:id>`) as OpenAPI's `/api/leads/{lead_key}`."""
    return _PARAM.sub(lambda m: "{" + m[2] + "}", rule)


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
        self.models: set[Model] = set()

    def document(self, app: Flask) -> dict[str, Any]:
        paths: dict[str, dict[str, Any]] = {}
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            docs = docs_of(app.view_functions[rule.endpoint])
            if not docs:
                continue
            for method in sorted((rule.methods or set()) - IGNORED_METHODS):
                doc = docs.get(method, docs.get(None))
                if doc is not None:
                    operation = self.operation(doc, rule.rule)
                    paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = operation
        return {
            "openapi": "3.1.0",
            "info": {
                "title": "ParkLead API",
                "version": "0.1.0",
                "description": "Lead capture and CRM for industrial-park investment promotion.",
            },
            "paths": dict(sorted(paths.items())),
            "components": {
                "schemas": dict(sorted(self.schemas.items())),
                "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            },
        }

    def operation(self, doc: ApiDoc, rule: str) -> dict[str, Any]:
        operation: dict[str, Any] = {"summary": doc.summary, "tags": list(doc.tags)}
        if doc.description:
            operation["description"] = doc.description
        if doc.auth:
            operation["security"] = [{"bearer": []}]
        parameters = [*self.path_parameters(doc, rule), *self.query_parameters(doc.query)]
        if parameters:
            operation["parameters"] = parameters
        content: dict[str, Any] = {}
        if doc.body is not None:
            content["application/json"] = {"schema": self.ref(doc.body)}
        for media, schema in (doc.body_media or {}).items():
            content[media] = {"schema": self.schema(schema)}
        if content:
            operation["requestBody"] = {"required": True, "content": content}
        responses = {str(code): self.answer(answer) for code, answer in doc.responses.items()}
        for code, text in doc.errors.items():
            responses[str(code)] = {
                "description": text or ERROR_TEXT[code],
                "content": {"application/json": {"schema": {"$ref": REF.format(model="Error")}}},
            }
        operation["responses"] = responses
        return operation

    def path_parameters(self, doc: ApiDoc, rule: str) -> list[dict[str, Any]]:
        found = []
        for converter, name in _PARAM.findall(rule):
            param: dict[str, Any] = {
                "name": name,
                "in": "path",
                "required": True,
                "schema": dict(_CONVERTER_SCHEMA.get(converter, {"type": "string"})),
            }
            about = doc.path.get(name)
            if isinstance(about, Mapping):  # {"schema": ..., "description": ...}
                param["schema"] = dict(about.get("schema", param["schema"]))
                about = about.get("description")
            if about:
                param["description"] = about
            found.append(param)
        return found

    def query_parameters(self, model: Model | None) -> list[dict[str, Any]]:
        if model is None:
            return []
        schema = self.hoisted(model)
        required = set(schema.get("required", []))
        found = []
        for name, prop in schema.get("properties", {}).items():
            prop = _without_null(prop)
            description = prop.pop("description", None)
            prop.pop("title", None)
            param: dict[str, Any] = {"name": name, "in": "query", "schema": prop}
            if name in required:
                param["required"] = True
            if description:
                param["description"] = description
            found.append(param)
        return found

    def answer(self, answer: Any) -> dict[str, Any]:
        if isinstance(answer, str):
            return {"description": answer}
        what, description = answer if isinstance(answer, tuple) else (answer, None)
        if isinstance(what, Mapping):
            content = {media: {"schema": self.schema(s)} for media, s in what.items()}
        else:
            content = {"application/json": {"schema": self.ref(what)}}
            description = description or (what.__doc__ or what.__name__).strip().splitlines()[0]
        return {"description": description or "The answer", "content": content}

    def schema(self, schema: Model | dict[str, Any]) -> dict[str, Any]:
        return self.ref(schema) if isinstance(schema, type) else schema

    def ref(self, model: Model) -> dict[str, Any]:
        if model not in self.models:
            self.models.add(model)
            self.put(model.__name__, self.hoisted(model))
        return {"$ref": REF.format(model=model.__name__)}

    def hoisted(self, model: Model) -> dict[str, Any]:
        """The model's JSON schema with its `$defs` moved to the components."""
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"not a pydantic model: {model!r}")
        schema = model.model_json_schema(ref_template=REF)
        for name, definition in schema.pop("$defs", {}).items():
            self.put(name, definition)
        return schema

    def put(self, name: str, schema: dict[str, Any]) -> None:
        if self.schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are both named {name!r}")


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema: a query string cannot carry null, so `X | None` is X."""
    schema = dict(schema)
    if schema.get("default", ...) is None:
        del schema["default"]
    members = [m for m in schema.get("anyOf", []) if m != {"type": "null"}]
    if "anyOf" in schema and len(members) == 1:
        del schema["anyOf"]
        schema = {**members[0], **schema}
    return schema
