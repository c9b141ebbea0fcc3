"""Session login for the pages: login, logout, CSRF on forms, password change, redirects."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def csrf_client(app):
    """A client with CSRF checks on (the testing config leaves them on as in production)."""
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def log_in(client, login: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_token(client)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"login": login, "password": password, "csrf_token": token})


def test_pages_redirect_anonymous_visitors_to_login(csrf_client):
    response = csrf_client.get("/app/leads")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_login_with_right_password_opens_the_queue(csrf_client, agent):
    response = log_in(csrf_client, agent.login)
    assert response.status_code == 302
    assert response.headers["Location"] == "/app/leads"
    assert csrf_client.get("/app/leads").status_code == 200


def test_login_with_wrong_password_is_refused(csrf_client, agent):
    response = log_in(csrf_client, agent.login, "not-the-password")
    assert response.status_code == 401
    assert "账号或密码不正确" in response.get_data(as_text=True)
    assert csrf_client.get("/app/leads").status_code == 302


def test_login_form_without_csrf_token_is_refused(csrf_client, agent):
    response = csrf_client.post("/login", data={"login": agent.login, "password": PASSWORD})
    assert response.status_code == 400
    assert csrf_client.get("/app/leads").status_code == 302


def test_login_redirects_only_to_same_site_paths(csrf_client, agent):
    response = log_in(csrf_client, agent.login, next_url="https://evil.example/")
    assert response.headers["Location"] == "/app/leads"


def test_logout_needs_post_with_csrf_and_ends_the_session(csrf_client, agent):
    log_in(csrf_client, agent.login)
    assert csrf_client.post("/logout").status_code == 400  # no CSRF token
    token = csrf_token(csrf_client, "/app/leads")
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert csrf_client.get("/app/leads").status_code == 302


def test_password_change_ends_other_sessions(app, agent):
    first, second = app.test_client(), app.test_client()
    log_in(first, agent.login)
    log_in(second, agent.login)
    token = csrf_token(first, "/account/password")
    response = first.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "a-brand-new-password",
            "again": "a-brand-new-password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert second.get("/app/leads").status_code == 302  # the other session is over
    assert log_in(first, agent.login, "a-brand-new-password").status_code == 302


def test_password_change_checks_the_current_password_and_repeat(csrf_client, agent):
    log_in(csrf_client, agent.login)
    token = csrf_token(csrf_client, "/account/password")
    wrong = csrf_client.post(
        "/account/password",
        data={
            "current": "nope",
            "new": "another-password",
            "again": "another-password",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    mismatch = csrf_client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "another-password",
            "again": "different-password",
            "csrf_token": token,
        },
    )
    assert mismatch.status_code == 400
    short = csrf_client.post(
        "/account/password",
        data={"current": PASSWORD, "new": "short", "again": "short", "csrf_token": token},
    )
    assert short.status_code == 400


def test_pages_switch_to_english_and_remember_it(csrf_client):
    assert "Log in" in csrf_client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in csrf_client.get("/login").get_data(as_text=True)
    assert "登录" in csrf_client.get("/login?lang=zh").get_data(as_text=True)


def test_api_posts_need_no_csrf_token(client):
    response = client.post("/api/leads", json={"phone": "13812345678"})
    assert response.status_code == 201
