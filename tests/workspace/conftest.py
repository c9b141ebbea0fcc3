"""Fixtures for the workspace pages: logged-in browsers, a second team, team leads."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.accounts.models import Agent, Role, Team
from tests.workspace.helpers import Browser


@pytest.fixture
def browse(app: Flask) -> Callable[[Agent], Browser]:
    """`browse(agent)`: a browser of its own, logged in as `agent`."""
    return lambda agent: Browser(app.test_client()).log_in(agent)


@pytest.fixture
def other_team(make_team: Callable[..., Team]) -> Team:
    return make_team("招商二部")


@pytest.fixture
def colleague(make_agent: Callable[..., Agent], default_team: Team) -> Agent:
    """Another agent of my team."""
    return make_agent("wang", team=default_team)


@pytest.fixture
def outsider(make_agent: Callable[..., Agent], other_team: Team) -> Agent:
    """An agent of another team."""
    return make_agent("li", team=other_team)


@pytest.fixture
def team_lead(make_agent: Callable[..., Agent], default_team: Team) -> Agent:
    return make_agent("chen", role=Role.LEAD, team=default_team)
