"""Helpers of the browser tests: the live server's handle, login, screenshots."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.accounts import service as accounts
from app.accounts.models import Agent, Role, Team
from app.core.db import db

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
PASSWORD = "browser-test-password"
PHONE = {"width": 390, "height": 844}  # the phone the layouts are checked on (CSS px)


@dataclass
class LiveServer:
    app: Flask
    url: str

    def agent(
        self, login: str, *, role: Role = Role.AGENT, team: str | None = None, name: str = ""
    ) -> Agent:
        """An agent (and their team) committed to the live database."""
        with self.app.app_context():
            team_row = self._team(team) if team else None
            agent = accounts.create_agent(
                login=login, password=PASSWORD, role=role, team=team_row, name=name or login
            )
            db.session.commit()
            return agent

    def _team(self, name: str) -> Team:
        """The team `name`; the first one made is the default team."""
        existing = db.session.scalars(sa.select(Team).where(Team.name == name)).first()
        if existing is not None:
            return existing
        has_default = db.session.scalars(sa.select(Team).where(Team.is_default)).first()
        team = Team(name=name, is_default=has_default is None)
        db.session.add(team)
        db.session.flush()
        return team

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.app.extensions["db_engine"].connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()


def shoot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Any, login: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form.login button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def watch_csp(page: Any) -> list[str]:
    """What the Content-Security-Policy blocks on `page` (filled as it browses): Chromium
    reports a violation as a DOM event, which this relays to the console we listen to."""
    blocked: list[str] = []
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "CSP violation" in msg.text else None
    )
    return blocked
