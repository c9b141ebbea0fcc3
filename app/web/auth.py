"""The login, logout, password and WeChat-binding pages, and which blueprints skip CSRF.

The session machinery (login manager, `role_required`, `csrf`) is app/accounts/pages_auth.py.
The JSON API keeps bearer tokens; the public enquiry form and the WeChat callback need no
session and are exempt from CSRF.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from app.accounts import lockout
from app.accounts import service as accounts
from app.accounts.models import Agent
from app.accounts.pages_auth import PAGE_SESSION_KEY, csrf, init_page_auth
from app.core import messages
from app.core.db import db
from app.core.errors import AppError

bp = Blueprint("auth", __name__, template_folder="templates")

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
    init_page_auth(app)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> tuple[str, int]:
        return render_template("error.html", status=400, message=_("页面已过期，请刷新后重试")), 400


def exempt_blueprints(app: Flask) -> None:
    for name in CSRF_EXEMPT_BLUEPRINTS:
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    csrf.exempt("app.web.routes.submit")
