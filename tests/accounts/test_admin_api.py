"""/api/teams and /api/agents: the admin's team and agent settings, validated, admin only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.accounts.models import Agent, Role, Team
from app.core.db import db
from app.routing.models import RoutingRule

pytestmark = pytest.mark.usefixtures("app")

PASSWORD = "correct-horse-battery"  # the conftest agents' password


@pytest.fixture
def headers(token_for, admin):
    return token_for(admin)


def new_team(client, headers, **body):
    body.setdefault("name", "招商二部")
    return client.post("/api/teams", headers=headers, json=body)


def new_agent(client, headers, **body):
    body.setdefault("login", "wangfang")
    body.setdefault("password", "a-good-long-password")
    return client.post("/api/agents", headers=headers, json=body)


ENDPOINTS = [
    ("get", "/api/teams"),
    ("post", "/api/teams"),
    ("get", "/api/teams/1"),
    ("patch", "/api/teams/1"),
    ("delete", "/api/teams/1"),
    ("get", "/api/agents"),
    ("post", "/api/agents"),
    ("get", "/api/agents/1"),
    ("patch", "/api/agents/1"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_non_admins_get_403(client, token_for, make_agent, default_team, method, url, role):
    headers = token_for(make_agent(team=default_team, role=role))
    response = client.open(url, method=method.upper(), headers=headers, json={})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_without_a_token_it_is_401(client, method, url):
    assert client.open(url, method=method.upper(), json={}).status_code == 401


# --- teams -------------------------------------------------------------------------------------


def test_admin_creates_a_team(client, headers):
    response = new_team(client, headers, strategy="weighted", max_private_leads=30, sla_minutes=60)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "招商二部"
    assert (body["strategy"], body["max_private_leads"], body["sla_minutes"]) == (
        "weighted",
        30,
        60,
    )
    assert (body["is_default"], body["active"], body["agents"]) == (False, True, 0)


def test_team_list_counts_agents(client, headers, admin, default_team):
    items = client.get("/api/teams", headers=headers).get_json()["items"]
    [team] = [t for t in items if t["id"] == default_team.id]
    assert team["agents"] == 1  # the admin


def test_duplicate_team_name_is_409(client, headers, default_team):
    response = new_team(client, headers, name="招商一部")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "name_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"strategy": "random"}, "strategy"),
        ({"max_private_leads": -1}, "max_private_leads"),
        ({"sla_minutes": 0}, "sla_minutes"),
        ({"sla_minutes": "30"}, "sla_minutes"),
        ({"active": "yes"}, "active"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_team_is_400_naming_the_field(client, headers, body, field):
    response = new_team(client, headers, **body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["fields"]


def test_patch_changes_team_settings(client, headers, default_team):
    response = client.patch(
        f"/api/teams/{default_team.id}",
        headers=headers,
        json={"strategy": "least_loaded", "max_private_leads": 20, "pool_after_days": 15},
    )

    assert response.status_code == 200
    db.session.refresh(default_team)
    assert default_team.strategy.value == "least_loaded"
    assert (default_team.max_private_leads, default_team.pool_after_days) == (20, 15)


def test_patch_with_null_clears_an_optional_setting(client, headers, default_team):
    default_team.max_private_leads = 20
    db.session.commit()

    client.patch(f"/api/teams/{default_team.id}", headers=headers, json={"max_private_leads": None})

    db.session.refresh(default_team)
    assert default_team.max_private_leads is None


def test_patch_name_to_null_is_400(client, headers, default_team):
    response = client.patch(f"/api/teams/{default_team.id}", headers=headers, json={"name": None})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"name": "may not be null"}


def test_making_a_team_default_moves_the_flag(client, headers, default_team):
    other = new_team(client, headers).get_json()

    response = client.patch(f"/api/teams/{other['id']}", headers=headers, json={"is_default": True})

    assert response.status_code == 200
    db.session.expire_all()
    defaults = db.session.scalars(select(Team.id).where(Team.is_default.is_(True))).all()
    assert defaults == [other["id"]]


def test_default_team_cannot_be_deactivated(client, headers, default_team):
    response = client.patch(
        f"/api/teams/{default_team.id}", headers=headers, json={"active": False}
    )
    assert response.status_code == 409


def test_empty_team_is_deleted(client, headers, default_team):
    team_id = new_team(client, headers).get_json()["id"]

    assert client.delete(f"/api/teams/{team_id}", headers=headers).status_code == 204
    assert db.session.get(Team, team_id) is None


def test_deleting_a_team_with_agents_is_409(client, headers, make_team, make_agent, default_team):
    team = make_team("招商二部")
    make_agent(team=team)

    response = client.delete(f"/api/teams/{team.id}", headers=headers)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "team_has_agents"
    assert db.session.get(Team, team.id) is not None


def test_deleting_a_team_named_by_a_rule_is_409(client, headers, make_team, default_team):
    team = make_team("招商二部")
    db.session.add(RoutingRule(name="r", position=1, conditions={}, team_id=team.id))
    db.session.commit()

    response = client.delete(f"/api/teams/{team.id}", headers=headers)

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "team_has_rules"


def test_deleting_the_default_team_is_409(client, headers, default_team):
    assert client.delete(f"/api/teams/{default_team.id}", headers=headers).status_code == 409


def test_unknown_team_is_404(client, headers):
    assert client.get("/api/teams/99999999", headers=headers).status_code == 404
    assert client.delete("/api/teams/99999999", headers=headers).status_code == 404


# --- agents ------------------------------------------------------------------------------------


def test_admin_creates_an_agent_who_can_log_in(client, headers, default_team):
    response = new_agent(
        client,
        headers,
        name="王芳",
        team_id=default_team.id,
        capacity=20,
        weight=3,
        skills={"need_types": ["land"], "districts": ["芦淞区"], "industries": ["电池"]},
        working_hours={"mon": [["09:00", "12:00"], ["13:30", "18:00"]]},
        phone="138 1234 5678",
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["login"], body["name"], body["role"], body["team_id"]) == (
        "wangfang", "王芳", "agent", default_team.id,
    )  # fmt: skip
    assert (body["capacity"], body["weight"], body["phone"]) == (20, 3, "+8613812345678")
    assert body["skills"]["districts"] == ["芦淞区"]
    assert body["working_hours"] == {"mon": [["09:00", "12:00"], ["13:30", "18:00"]]}
    login = client.post(
        "/api/auth/token", json={"login": "wangfang", "password": "a-good-long-password"}
    )
    assert login.status_code == 200


def test_agent_json_never_carries_the_password_or_its_hash(client, headers, default_team):
    created = new_agent(client, headers).get_json()
    listed = client.get("/api/agents", headers=headers).get_json()
    one = client.get(f"/api/agents/{created['id']}", headers=headers).get_json()

    stored_hash = db.session.get(Agent, created["id"]).password_hash
    for document in (created, listed, one):
        text = json.dumps(document)
        assert "password" not in text
        assert stored_hash not in text


def test_duplicate_login_is_409(client, headers, admin):
    response = new_agent(client, headers, login=admin.login)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "login_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": "short"}, "password"),
        ({"login": "has space"}, "login"),
        ({"team_id": 99999999}, "team_id"),
        ({"role": "owner"}, "role"),
        ({"capacity": -1}, "capacity"),
        ({"weight": 0}, "weight"),
        ({"phone": "12345"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"working_hours": {"monday": [["09:00", "18:00"]]}}, "working_hours"),
        ({"working_hours": {"mon": [["18:00", "09:00"]]}}, "working_hours"),
        ({"skills": {"need_types": ["castle"]}}, "skills.need_types.0"),
        ({"active": 1}, "active"),
    ],
)
def test_invalid_agent_is_400_naming_the_field(client, headers, default_team, body, field):
    response = new_agent(client, headers, **body)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]


def test_working_hours_error_says_what_is_wrong(client, headers):
    response = new_agent(client, headers, working_hours={"mon": [["9am", "18:00"]]})
    assert "not a time of day" in response.get_json()["error"]["fields"]["working_hours"]


@pytest.mark.parametrize(
    ("change", "column", "value"),
    [
        ({"capacity": 5}, "capacity", 5),
        ({"weight": 4}, "weight", 4),
        ({"role": "lead"}, "role", Role.LEAD),
        ({"skills": {"industries": ["物流"]}}, "skills", {"need_types": [], "districts": [],
                                                          "industries": ["物流"]}),
        ({"working_hours": {"sat": [["09:00", "12:00"]]}}, "working_hours",
         {"sat": [["09:00", "12:00"]]}),
        ({"working_hours": None}, "working_hours", None),
    ],
)  # fmt: skip
def test_patch_changes_one_agent_setting(
    client, headers, make_agent, default_team, change, column, value
):
    agent = make_agent(team=default_team)
    agent.working_hours = {"mon": [["09:00", "18:00"]]}
    db.session.commit()

    response = client.patch(f"/api/agents/{agent.id}", headers=headers, json=change)

    assert response.status_code == 200, response.get_json()
    db.session.refresh(agent)
    assert getattr(agent, column) == value


def test_patch_moves_an_agent_to_another_team(client, headers, make_agent, make_team, default_team):
    agent, team = make_agent(team=default_team), make_team("招商二部")

    body = client.patch(
        f"/api/agents/{agent.id}", headers=headers, json={"team_id": team.id}
    ).get_json()

    assert body["team_id"] == team.id


def test_patch_to_an_unknown_team_is_400(client, headers, make_agent, default_team):
    agent = make_agent(team=default_team)
    response = client.patch(f"/api/agents/{agent.id}", headers=headers, json={"team_id": 99999999})
    assert response.status_code == 400
    assert "team_id" in response.get_json()["error"]["fields"]


def test_deactivated_agent_token_stops_working(
    client, headers, token_for, make_agent, default_team
):
    agent = make_agent(team=default_team)
    their = token_for(agent)

    client.patch(f"/api/agents/{agent.id}", headers=headers, json={"active": False})

    assert client.get("/api/leads", headers=their).status_code == 401


def test_password_change_by_admin_replaces_the_password(client, headers, make_agent, default_team):
    agent = make_agent(team=default_team)

    response = client.patch(
        f"/api/agents/{agent.id}", headers=headers, json={"password": "brand-new-password"}
    )

    assert response.status_code == 200
    old = client.post("/api/auth/token", json={"login": agent.login, "password": PASSWORD})
    new = client.post(
        "/api/auth/token", json={"login": agent.login, "password": "brand-new-password"}
    )
    assert (old.status_code, new.status_code) == (401, 200)


def test_last_active_admin_cannot_be_demoted(client, headers, admin):
    response = client.patch(f"/api/agents/{admin.id}", headers=headers, json={"role": "agent"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"


def test_admin_can_be_demoted_when_another_admin_remains(client, headers, make_agent, admin):
    other = make_agent(role=Role.ADMIN)
    response = client.patch(f"/api/agents/{other.id}", headers=headers, json={"role": "agent"})
    assert response.status_code == 200


def test_agent_list_filters_and_pages(client, headers, make_agent, make_team, default_team):
    other = make_team("招商二部")
    mine = [make_agent(team=default_team) for _ in range(3)]
    make_agent(team=other)

    first = client.get(
        f"/api/agents?team_id={default_team.id}&role=agent&limit=2", headers=headers
    ).get_json()
    second = client.get(
        f"/api/agents?team_id={default_team.id}&role=agent&limit=2&cursor={first['next_cursor']}",
        headers=headers,
    ).get_json()

    assert [a["id"] for a in first["items"] + second["items"]] == [a.id for a in mine]
    assert second["next_cursor"] is None


def test_agent_list_shows_open_leads(client, headers, agent, create_lead):
    create_lead()  # routed to `agent`, the only agent of the default team
    [row] = [a for a in client.get("/api/agents", headers=headers).get_json()["items"]
             if a["id"] == agent.id]  # fmt: skip
    assert row["open_leads"] == 1


def test_bad_agent_list_filter_is_400(client, headers):
    assert client.get("/api/agents?role=owner", headers=headers).status_code == 400
    assert client.get("/api/agents?active=maybe", headers=headers).status_code == 400


def test_unknown_agent_is_404(client, headers):
    assert client.get("/api/agents/99999999", headers=headers).status_code == 404
    assert client.patch("/api/agents/99999999", headers=headers, json={}).status_code == 404
