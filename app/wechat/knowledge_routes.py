"""The bot's answers: JSON API for admins (/api/bot-answers) and a simple admin page
(/app/admin/bot-answers). Thin: app/wechat/knowledge.py does the work (docs/wechat-bot.md)."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Response

from app.accounts.auth import require_token
from app.accounts.models import Role
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import json_body
from app.core.openapi import add_paths, error_responses, json_response, page_of
from app.leads.schemas import validation_error
from app.web.auth import role_required
from app.wechat import knowledge
from app.wechat.knowledge import AnswerIn, AnswerPatch

api = Blueprint("bot_answers_api", __name__)
pages = Blueprint("bot_answers_pages", __name__, template_folder="templates")
admin_token = require_token(Role.ADMIN)
admin_page = role_required(Role.ADMIN)
M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], payload: Any) -> M:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc) from None


@api.get("/api/bot-answers")
@admin_token
def list_answers() -> Any:
    items = [knowledge.answer_to_dict(r) for r in knowledge.list_answers()]
    return jsonify({"items": items, "next_cursor": None})


@api.post("/api/bot-answers")
@admin_token
def create_answer() -> tuple[Any, int]:
    row = knowledge.create_answer(_parse(AnswerIn, json_body()))
    db.session.commit()
    return jsonify(knowledge.answer_to_dict(row)), 201


@api.get("/api/bot-answers/<int:answer_id>")
@admin_token
def get_answer(answer_id: int) -> Any:
    return jsonify(knowledge.answer_to_dict(knowledge.get_answer(answer_id)))


@api.patch("/api/bot-answers/<int:answer_id>")
@admin_token
def update_answer(answer_id: int) -> Any:
    row = knowledge.update_answer(answer_id, _parse(AnswerPatch, json_body()))
    db.session.commit()
    return jsonify(knowledge.answer_to_dict(row))


@api.delete("/api/bot-answers/<int:answer_id>")
@admin_token
def delete_answer(answer_id: int) -> tuple[str, int]:
    knowledge.delete_answer(answer_id)
    db.session.commit()
    return "", 204


# --- the page ----------------------------------------------------------------------------------


def _form_payload() -> dict[str, Any]:
    form = request.form
    return {
        "topic": form.get("topic", "other"),
        "keywords": form.get("keywords", ""),
        "answer_zh": form.get("answer_zh", ""),
        "answer_en": form.get("answer_en", ""),
        "active": form.get("active") == "1",
    }


def _page(errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "wechat/bot_answers.html",
        answers=knowledge.list_answers(),
        topics=knowledge.TOPICS,
        errors=errors or {},
    ), status


@pages.get("/app/admin/bot-answers")
@admin_page
def answers_page() -> tuple[str, int]:
    return _page()


@pages.post("/app/admin/bot-answers")
@admin_page
def save_answer() -> Response | tuple[str, int]:
    answer_id = request.form.get("id", "")
    try:
        if request.form.get("delete") and answer_id.isdigit():
            knowledge.delete_answer(int(answer_id))
        elif answer_id.isdigit():
            knowledge.update_answer(int(answer_id), _parse(AnswerPatch, _form_payload()))
        else:
            knowledge.create_answer(_parse(AnswerIn, _form_payload()))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("请修改标出的内容"), "error")
        return _page(exc.fields, 400)
    db.session.commit()
    flash(_("已保存"), "info")
    return redirect(url_for("bot_answers_pages.answers_page"))


# --- OpenAPI -----------------------------------------------------------------------------------


def _document() -> None:
    bearer: list[dict[str, list[str]]] = [{"bearer": []}]
    answer = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "topic": {"type": "string", "enum": list(knowledge.TOPICS)},
            "keywords": {"type": "string", "description": "comma-separated"},
            "answer_zh": {"type": "string"},
            "answer_en": {"type": "string"},
            "active": {"type": "boolean"},
            "updated_at": {"type": "string", "format": "date-time"},
        },
    }
    schemas: dict[str, Any] = {"BotAnswer": answer}
    for model in (AnswerIn, AnswerPatch):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    ref = {"$ref": "#/components/schemas/BotAnswer"}
    answer_id = {"name": "answer_id", "in": "path", "required": True, "schema": {"type": "integer"}}

    def body(name: str) -> dict[str, Any]:
        schema = {"$ref": f"#/components/schemas/{name}"}
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    def op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"summary": summary, "tags": ["wechat"], "security": bearer,
                "responses": responses, **extra}  # fmt: skip

    add_paths(
        {
            "/api/bot-answers": {
                "get": op(
                    "The WeChat bot's answers (admin)",
                    {"200": json_response(page_of(ref), "Answers"), **error_responses(401, 403)},
                ),
                "post": op(
                    "Add an answer: keywords and the answer in Chinese and English (admin)",
                    {"201": json_response(ref, "The answer"), **error_responses(400, 401, 403)},
                    requestBody=body("AnswerIn"),
                ),
            },
            "/api/bot-answers/{answer_id}": {
                "get": op(
                    "One answer (admin)",
                    {"200": json_response(ref, "The answer"), **error_responses(401, 403, 404)},
                    parameters=[answer_id],
                ),
                "patch": op(
                    "Change an answer (admin)",
                    {
                        "200": json_response(ref, "The answer"),
                        **error_responses(400, 401, 403, 404),
                    },
                    parameters=[answer_id],
                    requestBody=body("AnswerPatch"),
                ),
                "delete": op(
                    "Remove an answer (admin)",
                    {"204": {"description": "Removed"}, **error_responses(401, 403, 404)},
                    parameters=[answer_id],
                ),
            },
        },
        schemas,
    )


_document()
