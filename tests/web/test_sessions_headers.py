"""Session cookies under the production config, logout on the server side, security headers
on every response."""

from __future__ import annotations

import re

import pytest

from app import create_app
from app.core.headers import CONTENT_SECURITY_POLICY
from tests.support import migrate
from tests.web.pages import csrf_token, page_client


@pytest.fixture
def production_app(tmp_path, monkeypatch, redis_url):
    """create_app() as production builds it (environment variables, no testing overrides)."""
    monkeypatch.setenv("PARKLEAD_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("PARKLEAD_INSTANCE_PATH", str(tmp_path))
    application = create_app()
    migrate(application)
    yield application
    application.extensions["db_engine"].dispose()


def _make_agent(application):
    from app.accounts import service as accounts
    from app.core.db import db

    with application.app_context():
        accounts.create_agent(login="prod-agent", password="correct-horse-battery")
        db.session.commit()


def test_production_session_cookie_is_secure_httponly_samesite(production_app):
    _make_agent(production_app)
    browser = page_client(production_app)
    html = browser.get("/login", base_url="https://parklead.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = browser.post(
        "/login",
        data={"login": "prod-agent", "password": "correct-horse-battery", "csrf_token": token},
        base_url="https://parklead.example",
        headers={"Referer": "https://parklead.example/login"},  # Flask-WTF checks it on HTTPS
    )
    assert response.status_code == 302
    cookie = next(v for k, v in response.headers.items() if k == "Set-Cookie")
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "samesite"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert production_app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_copied_cookie_no_longer_works_after_logout(app, agent):
    browser = page_client(app, agent.login)
    cookie = browser.get_cookie("session")
    assert cookie is not None
    thief = page_client(app)
    thief.set_cookie("session", cookie.value)
    assert thief.get("/app/leads").status_code == 200  # the copy works while logged in
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/app/leads")})
    assert thief.get("/app/leads").status_code == 302  # and not after logout


def test_logout_ends_only_that_session(app, agent):
    office, phone = page_client(app, agent.login), page_client(app, agent.login)
    office.post("/logout", data={"csrf_token": csrf_token(office, "/app/leads")})
    assert office.get("/app/leads").status_code == 302
    assert phone.get("/app/leads").status_code == 200


def test_session_ends_after_its_maximum_age(app, agent, monkeypatch):
    browser = page_client(app, agent.login)
    assert browser.get("/app/leads").status_code == 200
    monkeypatch.setitem(app.config, "SESSION_MAX_AGE_SECONDS", 0)
    assert browser.get("/app/leads").status_code == 302


@pytest.mark.parametrize(
    "path", ["/login", "/enquiry", "/api/openapi.json", "/healthz", "/app/leads", "/nope"]
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_over_https(client):
    response = client.get("/login", base_url="https://parklead.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_tls_proxy(tmp_path, backend):
    from tests.support import make_app

    proxied = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, PROXY_COUNT=1)
    response = proxied.test_client().get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in response.headers
    proxied.extensions["db_engine"].dispose()
