"""Helpers for the workspace and lead-activity tests (no fixtures; see conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.accounts.models import Agent, Team
from app.core.db import db
from app.leads.models import Lead, LeadStatus
from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def give(
    lead: Lead,
    owner: Agent | None = None,
    *,
    team: Team | None = None,
    status: LeadStatus | None = None,
    **fields: Any,
) -> Lead:
    """Put a lead in someone's hands (or the pool) and set fields, without routing."""
    lead.agent_id = owner.id if owner else None
    lead.team_id = team.id if team else (owner.team_id if owner else lead.team_id)
    lead.status = status or (LeadStatus.ASSIGNED if owner else LeadStatus.NEW)
    for name, value in fields.items():
        setattr(lead, name, value)
    db.session.commit()
    return lead


class Browser:
    """A logged-in session that sends the CSRF token with its forms, as the pages do."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def log_in(self, agent: Agent) -> Browser:
        page = self.client.get("/login").get_data(as_text=True)
        token = _CSRF.search(page)
        assert token, "the login form carries a CSRF token"
        response = self.client.post(
            "/login", data={"login": agent.login, "password": PASSWORD, "csrf_token": token[1]}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = csrf_token(self.client.get("/app/leads").get_data(as_text=True))
        return self

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def text(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response.get_data(as_text=True)

    def post(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True,
             **kwargs: Any) -> TestResponse:  # fmt: skip
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token
        return self.client.post(path, data=form, **kwargs)


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def assert_error(response: TestResponse, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    if code:
        assert error["code"] == code, error
    return error
