"""A password reset ends the agent's page sessions, even one opened the same second."""

from __future__ import annotations

from app.accounts import service as accounts
from app.core.db import db
from tests.web.pages import page_client


def test_password_reset_right_after_login_ends_the_session(app, agent):
    browser = page_client(app, agent.login)
    assert browser.get("/account/password").status_code == 200
    accounts.set_password(agent, "a-new-password-1")  # well within the same second
    db.session.commit()
    response = browser.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
