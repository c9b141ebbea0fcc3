"""Session login for the pages (Flask-Login) with CSRF protection on every form (Flask-WTF).

The JSON API keeps bearer tokens; the public enquiry form and the WeChat callback need no
session and are exempt from CSRF.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.wrappers import Response

from app.accounts import lockout
from app.accounts import service as accounts
from app.accounts.models import Agent, Role
from app.core import messages
from app.core.db import db
from app.core.errors import AppError

bp = Blueprint("auth", __name__, template_folder="templates")
login_manager = LoginManager()
csrf = CSRFProtect()
P = ParamSpec("P")
R = TypeVar("R")
# Key of the server-side page session's id in the signed session cookie.
PAGE_SESSION_KEY = "_page_session"

# Blueprints that authenticate otherwise (bearer tokens, WeChat signatures) or are public.
CSRF_EXEMPT_BLUEPRINTS = (
    "core",
    "bot_answers_api",
    "auth_api",
    "leads_api",
    "reports_api",
    "wechat",
    "routing_api",
    "accounts_api",
    "notifications_api",
    "listings_api",
    "listing_photos",
)


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


def role_required(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Pages: log in first (302 to /login), then one of `roles` (403)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so /login?next= cannot send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("workspace.queue")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if request.method == "GET":
        return render_template("login.html")
    login_name = (request.form.get("login") or "").strip()
    password = request.form.get("password") or ""
    try:
        agent = lockout.authenticate(login_name, password, request.remote_addr or "")
    except lockout.LoginThrottled as exc:
        flash(exc.message, "error")
        page = render_template("login.html", login=login_name)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    except AppError:
        flash(_("账号或密码不正确"), "error")
        return render_template("login.html", login=login_name), 401
    login_user(agent, remember=False)
    session[PAGE_SESSION_KEY] = accounts.start_page_session(agent)
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")))


def _fresh_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.post("/logout")
def logout() -> Response:
    accounts.end_page_session(session.get(PAGE_SESSION_KEY))
    db.session.commit()
    logout_user()
    _fresh_session()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("password.html")
    agent: Agent = current_user._get_current_object()
    current, new, again = (request.form.get(k) or "" for k in ("current", "new", "again"))
    error = None
    if not accounts.verify_password(agent, current):
        error = _("当前密码不正确")
    elif new != again:
        error = _("两次输入的新密码不一致")
    else:
        try:
            accounts.set_password(agent, new)
        except AppError as exc:
            words = messages.fields_text(exc.fields)  # in the page's language (docs/i18n.md)
            error = _("；").join(words.values()) or messages.error_text(exc.code, exc.message)
    if error:
        flash(error, "error")
        return render_template("password.html"), 400
    db.session.commit()
    logout_user()
    flash(_("密码已修改，请重新登录"), "info")
    return redirect(url_for("auth.login"))


@bp.get("/account/wechat")
@login_required
def wechat_binding() -> str:
    """A short-lived QR code that binds the agent's official-account openid when scanned."""
    from app.wechat import client as wechat

    agent: Agent = current_user._get_current_object()
    scene, seconds = accounts.binding_scene(agent)
    qr, error = None, None
    try:
        qr = wechat.create_scene_qrcode(scene, seconds)
    except wechat.WechatError as exc:
        error = str(exc)
    return render_template(
        "wechat_binding.html", qr=qr, scene=scene, minutes=seconds // 60, error=error
    )


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    # The cookie flags and the CSRF time limit are settings (config/base.py): Flask's own
    # defaults are already in app.config, so setdefault here would never take effect.

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", status=400, message=_("页面已过期，请刷新后重试")), 400


def exempt_blueprints(app: Flask) -> None:
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    csrf.exempt("app.web.routes.submit")
