"""What the WeChat bot knows: admin-edited answers, and a hook for prices from listings.

`load()` builds the conversation's `Knowledge` (app/wechat/answers.py) from the `bot_answer`
table and the price lookup registered there. See docs/wechat-bot.md.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from flask import current_app
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.core.db import db
from app.core.errors import NotFound
from app.wechat import answers
from app.wechat.answers import Entry, Knowledge, split_keywords
from app.wechat.models import BotAnswer

TOPICS = answers.TOPICS


# Seconds the answers stay in the process (docs/wechat-bot.md): every text message reads
# them, admins change them now and then.
TTL_SECONDS = 30.0
_loaded: dict[int, tuple[float, tuple[Entry, ...]]] = {}  # app -> (expires, entries)


def load() -> Knowledge:
    """The active answers (read at most once every TTL_SECONDS in each process, at once again
    in the process that changes them) and the registered price lookup."""
    app_key, now = id(current_app._get_current_object()), time.monotonic()  # type: ignore[attr-defined]  # Flask types current_app as the Flask object, not the proxy that has this method
    cached = _loaded.get(app_key)
    if cached is None or cached[0] <= now:
        rows = db.session.scalars(
            select(BotAnswer).where(BotAnswer.active.is_(True)).order_by(BotAnswer.id)
        )
        entries = tuple(
            Entry(r.topic, split_keywords(r.keywords), r.answer_zh, r.answer_en) for r in rows
        )
        cached = _loaded[app_key] = (now + TTL_SECONDS, entries)
    return Knowledge(
        entries=cached[1],
        price_lookup=answers.price_lookup(),
        office_hours=tuple(
            (str(start), str(end)) for start, end in current_app.config["WORKING_HOURS"]
        ),
    )


def forget() -> None:
    """Read the answers again on next use (after a change, and between tests)."""
    _loaded.clear()


# --- admin: the answers' API and page share these ---------------------------------------------


def _known_topic(value: str) -> str:
    if value not in TOPICS:
        raise ValueError("must be one of: " + ", ".join(TOPICS))
    return value


def _some_keyword(value: str) -> str:
    if not split_keywords(value):
        raise ValueError("give at least one keyword")
    return value


# The checks a field gets whether it is given whole (AnswerIn) or changed (AnswerPatch).
Topic = Annotated[str, AfterValidator(_known_topic)]
Keywords = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_some_keyword)]
AnswerZh = Annotated[str, Field(min_length=1, max_length=2000)]
AnswerEn = Annotated[str, Field(max_length=2000)]


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    topic: Topic = "other"
    keywords: Keywords
    answer_zh: AnswerZh
    answer_en: AnswerEn = ""
    active: bool = True


# The fields of AnswerIn to change; a field left out (or null) keeps its value. Not a subclass
# of AnswerIn: a patch whose fields may be None is no valid AnswerIn.
class AnswerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    topic: Topic | None = None
    keywords: Keywords | None = None
    answer_zh: AnswerZh | None = None
    answer_en: AnswerEn | None = None
    active: bool | None = None


def list_answers() -> list[BotAnswer]:
    return list(db.session.scalars(select(BotAnswer).order_by(BotAnswer.topic, BotAnswer.id)))


def get_answer(answer_id: int) -> BotAnswer:
    row = db.session.get(BotAnswer, answer_id)
    if row is None:
        raise NotFound("no such answer")
    return row


def create_answer(data: AnswerIn) -> BotAnswer:
    row = BotAnswer(**data.model_dump())
    db.session.add(row)
    db.session.flush()
    forget()
    return row


def update_answer(answer_id: int, data: AnswerPatch) -> BotAnswer:
    row = get_answer(answer_id)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(row, name, value)
    db.session.flush()
    forget()
    return row


def delete_answer(answer_id: int) -> None:
    db.session.delete(get_answer(answer_id))
    db.session.flush()
    forget()


def answer_to_dict(row: BotAnswer) -> dict[str, Any]:
    return {
        "id": row.id,
        "topic": row.topic,
        "keywords": row.keywords,
        "answer_zh": row.answer_zh,
        "answer_en": row.answer_en,
        "active": row.active,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
