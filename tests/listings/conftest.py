"""Fixtures for the listings tests: a team lead who manages listings, and a listing factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from app.accounts.models import Agent, Role, Team
from app.core.db import db
from app.listings import service
from app.listings.models import Listing


@pytest.fixture
def manager(make_agent: Callable[..., Agent], default_team: Team) -> Agent:
    return make_agent("li-lead", role=Role.LEAD, team=default_team)


FACTORY = {
    "kind": "factory",
    "subtype": "standard",
    "deals": ["rent"],
    "title": "天元区标准厂房 A3 栋",
    "park": "株洲高新区",
    "district": "天元区",
    "area_m2": 3000,
    "available_m2": 3000,
    "min_split_m2": 1000,
    "ceiling_height_m": 9,
    "crane_t": 10,
    "power_kva": 800,
    "floor_load_t_m2": 3,
    "fire_class": "丙",
    "eia_categories": ["一般", "喷涂"],
    "excluded_industries": ["化工"],
    "rent_yuan_m2_month": 18,
}


@pytest.fixture
def make_listing(app: Flask) -> Callable[..., Listing]:
    """Add a listing through the service (committed), fields over the FACTORY defaults."""

    def _make(by: Agent | None = None, **fields: Any) -> Listing:
        if fields.get("kind", "factory") != "factory":
            fields.setdefault("subtype", None)  # the factory's subtype fits no other kind
        listing = service.create_listing({**FACTORY, **fields}, by=by)
        db.session.commit()
        return listing

    return _make
