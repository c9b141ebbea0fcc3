"""Fixtures for the routing tests (helpers without fixtures are in helpers.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import Agent, Team
from app.core.db import db
from app.routing.models import RoutingRule


@pytest.fixture
def make_rule() -> Callable[..., RoutingRule]:
    def _make(
        conditions: dict[str, Any] | None = None,
        *,
        team: Team | None = None,
        agent: Agent | None = None,
        position: int | None = None,
        active: bool = True,
        **fields: Any,
    ) -> RoutingRule:
        if position is None:
            position = len(list(db.session.scalars(select(RoutingRule.id)))) + 1
        rule = RoutingRule(
            name=fields.pop("name", f"rule {position}"),
            position=position,
            active=active,
            conditions=conditions or {},
            team_id=team.id if team else None,
            agent_id=agent.id if agent else None,
            **fields,
        )
        db.session.add(rule)
        db.session.commit()
        return rule

    return _make


@pytest.fixture
def member(make_agent: Callable[..., Agent]) -> Callable[..., Agent]:
    """An agent of `team` with routing settings (weight, working_hours, ...) set directly."""

    def _make(team: Team | None, **settings: Any) -> Agent:
        login = settings.pop("login", None)
        role = settings.pop("role", None)
        agent = make_agent(login, team=team, **({"role": role} if role else {}))
        for name, value in settings.items():
            setattr(agent, name, value)
        db.session.commit()
        return agent

    return _make
