"""Session login for the pages (Flask-Login) with CSRF protection on every form (Flask-WTF):
the login manager, the page session check and the decorators that page modules of every room
use (`role_required`, `csrf`). The login and logout pages themselves are in app/web/auth.py.

The JSON API keeps bearer tokens; the public enquiry form and the WeChat callback need no
session and are exempt from CSRF.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, session
from flask_login import LoginManager, current_user, login_required
from flask_wtf.csrf import CSRFProtect

from app.accounts import service as accounts
from app.accounts.models import Agent, Role
from app.core.db import db

login_manager = LoginManager()
csrf = CSRFProtect()
F = TypeVar("F", bound=Callable[..., Any])
# Key of the server-side page session's id in the signed session cookie.
PAGE_SESSION_KEY = "_page_session"


@login_manager.user_loader
def _load_user(user_id: str) -> Agent | None:
    agent_id, _, stamp = user_id.partition(":")
    agent = db.session.get(Agent, int(agent_id)) if agent_id.isdigit() else None
    if agent is None or not agent.active or stamp != agent.session_stamp:
        return None
    # The server-side half: logout deleted the row, so a copy of the cookie is worthless.
    if not accounts.page_session_valid(session.get(PAGE_SESSION_KEY), agent):
        return None
    return agent


def role_required(*roles: Role) -> Callable[[F], F]:
    """Pages: log in first (302 to /login), then one of `roles` (403)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def init_page_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    # The cookie flags and the CSRF time limit are settings (config/base.py): Flask's own
    # defaults are already in app.config, so setdefault here would never take effect.
