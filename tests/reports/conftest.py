"""Fixtures shared by the report tests."""

from __future__ import annotations

import random

import pytest

from app.leads.models import Channel, NeedType
from tests.reports.known_history import PATH_TO_WON, add_lead, at, seed_known_history

PATHS = [
    [], ["assigned"], ["spam"], ["assigned", "duplicate"], ["assigned", "contacted"],
    ["assigned", "contacted", "lost"], PATH_TO_WON, [*PATH_TO_WON, "landed"],
    [*PATH_TO_WON, "landed", "producing"], ["assigned", "contacted", "qualified", "lost"],
]  # fmt: skip


DELAYS = [None, 3, 17, 29, 31, 45, 240]  # minutes to first contact


@pytest.fixture
def random_history(make_agent, default_team):
    """The known history and 60 random leads over 2026-03-02..15, some in the team's pool."""
    rng = random.Random(7)
    agents = [make_agent(f"r{i}", team=default_team).id for i in range(3)]
    seed_known_history(agents[0], agents[1], default_team.id)
    for _ in range(60):
        path = rng.choice(PATHS)
        add_lead(
            created=at(rng.randint(2, 15), rng.randint(0, 23)),
            channel=rng.choice(list(Channel)),
            need=rng.choice(list(NeedType)),
            agent_id=rng.choice([*agents, None]) if path and path[0] != "spam" else None,
            team_id=default_team.id,
            path=path,
            contact_after=rng.choice([None, 3, 17, 29, 31, 45, 240])
            if "contacted" in path
            else None,
            tax=rng.choice([None, 50, 120, 1000]),
            lost_reason=rng.choice(["价格太高", "面积不合适", "联系不上"]),
        )
