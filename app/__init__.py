"""ParkLead: lead capture and CRM for industrial-park investment promotion.

`create_app()` is the WSGI entry point (`gunicorn 'app:create_app()'`).
"""

from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from config import load_config


def create_app(config: dict[str, Any] | str | None = None) -> Flask:
    """Build the app. `config` is an environment name or a dict of settings to override."""
    overrides = config if isinstance(config, dict) else None
    env_name = config if isinstance(config, str) else None
    settings = load_config(env_name, overrides)

    instance_path = settings.get("INSTANCE_PATH") or os.environ.get("PARKLEAD_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        static_folder="web/static",  # /static/app.css and the other page assets
    )
    app.config.from_mapping(settings)
    _require_settings(app)
    _use_fake_channels(app)
    _check_secret_key(app)
    _ensure_secret_key(app)
    json_provider = DefaultJSONProvider(app)
    json_provider.ensure_ascii = False  # Chinese as it is in JSON answers, not \uXXXX
    app.json = json_provider
    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware: replace the wsgi_app method

    from app.core.logging import configure_logging

    configure_logging(app)
    from app.core.http import refuse_impossible_ids

    app.url_value_preprocessor(refuse_impossible_ids)
    _init_extensions(app)
    _register_blueprints(app)
    return app


def _require_settings(app: Flask) -> None:
    missing = [k for k in app.config.get("REQUIRED", ()) if not app.config.get(k)]
    if missing:
        raise RuntimeError(
            f"{app.config['ENV_NAME']} needs these environment variables: {', '.join(missing)}"
        )


def _use_fake_channels(app: Flask) -> None:
    """PARKLEAD_FAKE_CHANNELS_URL (the demo's `parklead fake-channels`): every alert channel
    setting left unset (or at the real service's address) points at the fakes. Refused in
    production."""
    url = app.config.get("FAKE_CHANNELS_URL")
    if not url:
        return
    if app.config["ENV_NAME"] == "production":
        raise RuntimeError("PARKLEAD_FAKE_CHANNELS_URL is for demos and tests, not production")
    from app.devtools.fake_channels import settings_for
    from config.base import BaseConfig

    for key, value in settings_for(url.rstrip("/")).items():
        # Unset, or still the real service's default address: use the fake's.
        if app.config.get(key) in (None, "", getattr(BaseConfig, key, None)):
            app.config[key] = value


# A SECRET_KEY signs sessions, CSRF and API tokens: production takes no guessable one.
MIN_SECRET_KEY_BYTES = 32


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY") or ""
    if app.config["ENV_NAME"] == "production" and len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(
            f"production needs a SECRET_KEY of at least {MIN_SECRET_KEY_BYTES} bytes, e.g. "
            "python3 -c 'import secrets;print(secrets.token_urlsafe(48))'"
        )


def _ensure_secret_key(app: Flask) -> None:
    """Outside production, generate a key once and keep it in the instance folder."""
    if app.config.get("SECRET_KEY"):
        return
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    app.config["SECRET_KEY"] = path.read_text().strip()


def _init_extensions(app: Flask) -> None:
    from app.core.celery import init_celery
    from app.core.db import db
    from app.core.dispatch import TaskDispatcher
    from app.core.errors import register_error_handlers
    from app.core.headers import init_security_headers
    from app.core.limiter import init_limiter

    db.init_app(app)
    init_limiter(app)
    celery = init_celery(app)
    # The worker's tasks and beat schedule are said by the top-level `tasks` package, which
    # imports the app (`celery -A tasks.celery_app`): named here, not imported at module level.
    importlib.import_module("tasks").configure(celery, app)
    app.extensions["dispatcher"] = TaskDispatcher(
        celery, linger=app.config["DISPATCH_LINGER_MS"] / 1000
    )
    register_error_handlers(app)
    init_security_headers(app)

    from app.core.i18n import init_i18n
    from app.web.auth import init_auth

    init_i18n(app)
    init_auth(app)  # session login and CSRF for the pages

    from app.core.routes import register_health_warning, register_metrics
    from app.metrics import render as render_metrics
    from app.settings.worktime import calendar_warning

    register_health_warning(app, "calendar", calendar_warning)
    register_metrics(app, render_metrics)


def _hang_views() -> None:
    """Import the modules that hang their views on a blueprint defined in a plain module of
    their package (`requests`, `helpers`), so that route modules never import each other."""
    from app.admin import routes as admin_routes  # noqa: F401
    from app.admin import settings_pages  # noqa: F401
    from app.leads import routes as lead_routes  # noqa: F401
    from app.leads import work_routes  # noqa: F401
    from app.workspace import lead_pages  # noqa: F401
    from app.workspace import routes as workspace_routes  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    _hang_views()
    from app.accounts.routes import bp as auth_api
    from app.admin.accounts_routes import bp as accounts_api
    from app.admin.notifications_api import bp as notifications_api
    from app.core.routes import bp as core
    from app.leads.requests import bp as leads_api
    from app.listings.routes import bp as listings_api
    from app.listings.routes import files as listing_photos
    from app.reports.routes import bp as reports_api
    from app.routing.routes import bp as routing_api
    from app.web.auth import bp as auth_pages
    from app.web.auth import exempt_blueprints
    from app.web.routes import bp as web
    from app.wechat.knowledge_routes import api as bot_answers_api
    from app.wechat.routes import bp as wechat
    from app.workspace.helpers import bp as workspace

    app.register_blueprint(notifications_api)
    app.register_blueprint(routing_api)
    app.register_blueprint(accounts_api)
    app.register_blueprint(listings_api)
    app.register_blueprint(listing_photos)
    # The bot answers price questions from the inventory (docs/wechat-bot.md).
    from app.listings.answers import bot_shortlist, price_answer
    from app.wechat.answers import set_price_lookup, set_shortlist_lookup

    set_price_lookup(price_answer)
    set_shortlist_lookup(bot_shortlist)
    # The customer-service window rule is the WeChat domain's (docs/notifications.md).
    from app.leads.activity import set_wechat_window_reader
    from app.wechat.client import service_window

    set_wechat_window_reader(service_window)
    # A web enquiry's message is read by the WeChat bot's parser (docs/leads.md).
    from app.leads.service import set_message_reader
    from app.wechat.service import TEXT_FIELDS, lead_fields_from_text

    set_message_reader(lead_fields_from_text, TEXT_FIELDS)
    _connect_outbox()
    app.register_blueprint(bot_answers_api)
    for blueprint in (core, auth_api, leads_api, reports_api, wechat, web, auth_pages, workspace):
        app.register_blueprint(blueprint)
    exempt_blueprints(app)

    # Pages for admins and team leads (session login, CSRF on every form).
    from app.accounts.pages_auth import csrf
    from app.admin.helpers import bp as admin_pages
    from app.reports.pages import bp as report_pages

    app.register_blueprint(report_pages)
    app.register_blueprint(admin_pages)

    # Personal information: the public privacy page and the admins' API (docs/security.md).
    from app.privacy.routes import api as privacy_api
    from app.privacy.routes import bp as privacy_pages

    app.register_blueprint(privacy_pages)
    app.register_blueprint(privacy_api)
    csrf.exempt(privacy_api)
    from app.wechat.knowledge_routes import pages as bot_answers_pages

    app.register_blueprint(bot_answers_pages)
    # Listings: the workspace pages and the prospects' pages (docs/listings.md "Pages").
    from app.listings.pages import bp as listing_pages
    from app.listings.public import bp as listing_public

    app.register_blueprint(listing_pages)
    app.register_blueprint(listing_public)
    from app.accounts.pages_auth import csrf

    csrf.exempt(listing_public)


def _connect_outbox() -> None:
    """The generic outbox learns about the rooms above it by registration, never by import
    (docs/architecture.md "The outbox contract"): the official account's channels come from
    the WeChat domain, and the rooms whose alerts need a follow-up hear the outbox's signals.
    Registering again (every `create_app`) changes nothing."""
    from app.accounts.alerts import connect_signals as connect_agent_alerts
    from app.leads.alerts import connect_signals as connect_lead_alerts
    from app.wechat.channels import register_channels as register_wechat_channels

    register_wechat_channels()
    connect_agent_alerts()
    connect_lead_alerts()
