"""How a refused listings action is told on a page (the listing pages and the lead page's
匹配载体 panel alike)."""

from __future__ import annotations

from flask import flash

from app.core import messages
from app.core.db import db
from app.core.errors import AppError

# Errors raised by app.leads (English messages) explained by the catalogue's sentences.
LEAD_CODES = ("forbidden",)


def flash_failure(exc: AppError) -> None:
    """Roll back and flash what went wrong. The listings domain's messages are already in the
    user's language; a lead the user cannot see gets the catalogue's sentence
    (app/core/messages.py)."""
    db.session.rollback()
    message = (
        messages.error_text(exc.code, exc.message, exc.status)
        if exc.code in LEAD_CODES
        else exc.message
    )
    fields = [str(v) for v in exc.fields.values() if str(v) != message]
    flash("；".join([message, *fields]) if fields else message, "error")
