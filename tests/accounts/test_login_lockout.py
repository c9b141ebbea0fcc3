"""Brute force on /login and POST /api/auth/token: budgets per account and per address, a
temporary lock, the typed login kept, a Chinese (or English) message, a log line."""

from __future__ import annotations

import logging
import time

import pytest

from tests.conftest import PASSWORD
from tests.web.pages import csrf_token, page_client

ATTACKER = "198.51.100.23"


def post_login(client, login: str, password: str, ip: str = ATTACKER, lang: str | None = None):
    token = csrf_token(client, "/login" + (f"?lang={lang}" if lang else ""))
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )


def post_token(client, login: str, password: str, ip: str = ATTACKER):
    return client.post(
        "/api/auth/token",
        json={"login": login, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_account_is_locked_after_five_failures_even_for_the_right_password(app, agent):
    browser = page_client(app)
    statuses = [post_login(browser, agent.login, f"wrong-{i}").status_code for i in range(5)]
    assert statuses == [401] * 5
    response = post_login(browser, agent.login, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 800
    html = response.get_data(as_text=True)
    assert "账号已暂时锁定" in html
    assert f'value="{agent.login}"' in html  # the form keeps what was typed
    assert browser.get("/app/leads").status_code == 302  # not logged in


def test_lock_applies_to_the_api_token_too_and_answers_json(app, client, agent):
    for _ in range(5):
        assert post_token(client, agent.login, "wrong-password").status_code == 401
    response = post_token(client, agent.login, PASSWORD, ip="192.0.2.99")  # another address
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "account_locked"
    assert "锁定" in error["message"]
    assert error["retry_after"] > 0
    assert int(response.headers["Retry-After"]) > 0


def test_lock_message_in_english_when_chosen(app, agent):
    browser = page_client(app)
    for _ in range(5):
        post_login(browser, agent.login, "wrong-password", lang="en")
    html = post_login(browser, agent.login, PASSWORD, lang="en").get_data(as_text=True)
    assert "temporarily locked" in html


def test_lock_ends_after_the_configured_time(app, agent, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT_SECONDS", 1)
    browser = page_client(app)
    post_login(browser, agent.login, "wrong-1")
    post_login(browser, agent.login, "wrong-2")
    assert post_login(browser, agent.login, PASSWORD).status_code == 429
    time.sleep(1.2)
    assert post_login(browser, agent.login, PASSWORD).status_code == 302


def test_success_clears_the_failures(app, agent):
    browser = page_client(app)
    for _ in range(4):
        post_login(browser, agent.login, "wrong-password")
    assert post_login(browser, agent.login, PASSWORD).status_code == 302
    other = page_client(app)
    for _ in range(4):
        assert post_login(other, agent.login, "wrong-password").status_code == 401
    assert post_login(other, agent.login, PASSWORD).status_code == 302


def test_unknown_logins_lock_alike_so_the_lock_reveals_nothing(app, client, agent):
    for _ in range(5):
        assert post_token(client, "nobody-here", "wrong-password").status_code == 401
    assert post_token(client, "nobody-here", "wrong-password").get_json()["error"]["code"] == (
        "account_locked"
    )


def test_one_address_spraying_many_accounts_is_throttled(app, client, agent, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "10/minute")
    statuses = [post_token(client, f"guess-{i}", "wrong-password").status_code for i in range(10)]
    assert statuses == [401] * 10
    response = post_token(client, agent.login, PASSWORD)
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    # Other addresses are not affected.
    assert post_token(client, agent.login, PASSWORD, ip="192.0.2.5").status_code == 200


def test_failures_and_the_lock_are_logged(app, client, agent, caplog):
    with caplog.at_level(logging.INFO, logger="app.accounts.lockout"):
        for _ in range(5):
            post_token(client, agent.login, "wrong-password")
    messages = [r.getMessage() for r in caplog.records]
    assert sum("failed attempt for" in m for m in messages) == 5
    locked = [r for r in caplog.records if "locked" in r.getMessage()]
    assert locked
    assert locked[0].levelno == logging.WARNING
    assert ATTACKER in locked[0].getMessage()


@pytest.mark.parametrize("path", ["/login", "/api/auth/token"])
def test_sixty_wrong_passwords_then_the_right_one_is_refused(app, agent, path):
    """The attack the issue measured: 60 guesses, then the right password."""
    browser = page_client(app)
    send = post_login if path == "/login" else post_token
    for i in range(60):
        send(browser, agent.login, f"guess-{i}")
    assert send(browser, agent.login, PASSWORD).status_code == 429


def test_login_still_works_when_the_counter_storage_is_down(tmp_path):
    """Redis gone: no 500 at login; the budgets are skipped with a warning."""
    from app.accounts import service as accounts
    from app.core.db import db
    from tests.support import make_app, migrate

    down = make_app(
        f"sqlite:///{tmp_path / 'down.db'}", tmp_path,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
    )  # fmt: skip
    migrate(down)
    with down.app_context():
        accounts.create_agent(login="li", password=PASSWORD)
        db.session.commit()
    browser = page_client(down)
    assert post_login(browser, "li", "wrong-password").status_code == 401
    assert post_login(browser, "li", PASSWORD).status_code == 302
    client = down.test_client()
    assert post_token(client, "li", "wrong-password").status_code == 401
    assert post_token(client, "li", PASSWORD).status_code == 200
    down.extensions["db_engine"].dispose()
