"""The bot's answers: JSON API for admins (/api/bot-answers) and a simple admin page
(/app/admin/bot-answers). Thin: app/wechat/knowledge.py does the work (docs/wechat-bot.md)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.accounts.auth import require_token
from app.accounts.models import Role
from app.accounts.pages_auth import role_required
from app.core.apidoc import Page, api_doc
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.http import json_body
from app.core.validation import parse
from app.wechat import knowledge
from app.wechat.knowledge import AnswerIn, AnswerPatch
from app.wechat.shapes import BotAnswer

api = Blueprint("bot_answers_api", __name__)
pages = Blueprint("bot_answers_pages", __name__, template_folder="templates")
admin_token = require_token(Role.ADMIN)
admin_page = role_required(Role.ADMIN)


@api.get("/api/bot-answers")
@api_doc(
    "The WeChat bot's answers (admin)",
    tags="wechat",
    auth=True,
    responses={200: (Page[BotAnswer], "Answers")},
    errors=(401, 403),
)
@admin_token
def list_answers() -> Any:
    items = [knowledge.answer_to_dict(r) for r in knowledge.list_answers()]
    return jsonify({"items": items, "next_cursor": None})


@api.post("/api/bot-answers")
@api_doc(
    "Add an answer: keywords and the answer in Chinese and English (admin)",
    tags="wechat",
    auth=True,
    body=AnswerIn,
    responses={201: BotAnswer},
    errors=(400, 401, 403),
)
@admin_token
def create_answer() -> tuple[Any, int]:
    row = knowledge.create_answer(parse(AnswerIn, json_body()))
    db.session.commit()
    return jsonify(knowledge.answer_to_dict(row)), 201


@api.get("/api/bot-answers/<int:answer_id>")
@api_doc(
    "One answer (admin)",
    tags="wechat",
    auth=True,
    responses={200: BotAnswer},
    errors=(401, 403, 404),
)
@admin_token
def get_answer(answer_id: int) -> Any:
    return jsonify(knowledge.answer_to_dict(knowledge.get_answer(answer_id)))


@api.patch("/api/bot-answers/<int:answer_id>")
@api_doc(
    "Change an answer (admin)",
    tags="wechat",
    auth=True,
    body=AnswerPatch,
    responses={200: BotAnswer},
    errors=(400, 401, 403, 404),
)
@admin_token
def update_answer(answer_id: int) -> Any:
    row = knowledge.update_answer(answer_id, parse(AnswerPatch, json_body()))
    db.session.commit()
    return jsonify(knowledge.answer_to_dict(row))


@api.delete("/api/bot-answers/<int:answer_id>")
@api_doc(
    "Remove an answer (admin)",
    tags="wechat",
    auth=True,
    responses={204: "Removed"},
    errors=(401, 403, 404),
)
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
            knowledge.update_answer(int(answer_id), parse(AnswerPatch, _form_payload()))
        else:
            knowledge.create_answer(parse(AnswerIn, _form_payload()))
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("请修改标出的内容"), "error")
        return _page(exc.fields, 400)
    db.session.commit()
    flash(_("已保存"), "info")
    return redirect(url_for("bot_answers_pages.answers_page"))
