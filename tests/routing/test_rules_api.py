"""/api/routing/rules: create, list, change, reorder and delete routing rules (admin only)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.db import db
from app.routing.models import RoutingRule
from tests.routing.helpers import route, unrouted_lead

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def headers(token_for, admin):
    return token_for(admin)


@pytest.fixture
def senior(make_team):
    return make_team("重大项目组")


def create(client, headers, **body):
    body.setdefault("name", "大项目")
    return client.post("/api/routing/rules", headers=headers, json=body)


def positions(client, headers) -> list[tuple[str, int]]:
    items = client.get("/api/routing/rules", headers=headers).get_json()["items"]
    return [(item["name"], item["position"]) for item in items]


# --- roles -------------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/routing/rules"),
    ("post", "/api/routing/rules"),
    ("get", "/api/routing/rules/1"),
    ("patch", "/api/routing/rules/1"),
    ("delete", "/api/routing/rules/1"),
    ("post", "/api/routing/rules/reorder"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("role", [Role.AGENT, Role.LEAD])
def test_non_admins_get_403(client, token_for, member, default_team, method, url, role):
    response = client.open(
        url, method=method.upper(), headers=token_for(member(default_team, role=role)), json={}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_without_a_token_it_is_401(client, method, url):
    assert client.open(url, method=method.upper(), json={}).status_code == 401


# --- creating ----------------------------------------------------------------------------------


def test_admin_creates_a_rule(client, headers, senior):
    response = create(
        client,
        headers,
        conditions={"min_tax_wan": 1000, "need_types": ["land", "factory"]},
        team_id=senior.id,
        strategy="least_loaded",
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["conditions"] == {"min_tax_wan": 1000, "need_types": ["land", "factory"]}
    assert (body["team_id"], body["agent_id"], body["strategy"]) == (
        senior.id,
        None,
        "least_loaded",
    )
    assert (body["position"], body["active"]) == (1, True)
    assert db.session.get(RoutingRule, body["id"]).conditions["min_tax_wan"] == 1000


def test_new_rule_goes_last_unless_a_position_is_given(client, headers, senior):
    create(client, headers, name="a", team_id=senior.id)
    create(client, headers, name="b", team_id=senior.id)
    create(client, headers, name="first", team_id=senior.id, position=1)

    assert positions(client, headers) == [("first", 1), ("a", 2), ("b", 3)]


def test_rule_naming_an_agent(client, headers, member, senior):
    agent = member(senior)
    body = create(client, headers, agent_id=agent.id).get_json()
    assert (body["agent_id"], body["team_id"]) == (agent.id, None)


def test_created_rule_routes_new_leads(client, headers, senior, member, default_team):
    member(default_team)
    senior_agent = member(senior)
    create(client, headers, conditions={"districts": ["芦淞区"]}, team_id=senior.id)

    assert route(unrouted_lead(district="芦淞区")).agent_id == senior_agent.id
    assert route(unrouted_lead(district="天元区")).team_id == default_team.id


TEAM = object()  # stands for the id of an existing team


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"team_id": 99999999}, "team_id"),
        ({"agent_id": 99999999}, "agent_id"),
        ({}, "team_id"),
        ({"team_id": "x"}, "team_id"),
        ({"team_id": TEAM, "conditions": {"min_tax_wan": -5}}, "conditions.min_tax_wan"),
        ({"team_id": TEAM, "conditions": {"need_types": ["castle"]}}, "conditions.need_types.0"),
        ({"team_id": TEAM, "conditions": {"colour": ["red"]}}, "conditions.colour"),
        ({"team_id": TEAM, "conditions": {"districts": []}}, "conditions.districts"),
        ({"team_id": TEAM, "conditions": {"min_score": 101}}, "conditions.min_score"),
        ({"team_id": TEAM, "strategy": "random"}, "strategy"),
        ({"team_id": TEAM, "name": ""}, "name"),
        ({"team_id": TEAM, "position": 0}, "position"),
        ({"team_id": TEAM, "active": "yes"}, "active"),
    ],
)
def test_invalid_rule_is_400_naming_the_field(client, headers, senior, body, field):
    body = {k: senior.id if v is TEAM else v for k, v in body.items()}

    response = create(client, headers, **body)

    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(RoutingRule)) == 0


def test_rule_naming_both_a_team_and_an_agent_is_400(client, headers, senior, member):
    response = create(client, headers, team_id=senior.id, agent_id=member(senior).id)
    assert response.status_code == 400
    assert "agent_id" in response.get_json()["error"]["fields"]


def test_strategy_on_a_rule_naming_an_agent_is_400(client, headers, senior, member):
    response = create(client, headers, agent_id=member(senior).id, strategy="weighted")
    assert response.status_code == 400
    assert "strategy" in response.get_json()["error"]["fields"]


def test_area_range_upside_down_is_400(client, headers, senior):
    response = create(
        client, headers, team_id=senior.id, conditions={"min_area_m2": 500, "max_area_m2": 100}
    )
    assert response.status_code == 400


def test_body_that_is_not_json_is_415(client, headers):
    response = client.post("/api/routing/rules", headers=headers, data="name=x")
    assert response.status_code == 415


# --- reading, changing, deleting ---------------------------------------------------------------


def test_get_one_rule(client, headers, senior):
    rule_id = create(client, headers, team_id=senior.id).get_json()["id"]
    assert client.get(f"/api/routing/rules/{rule_id}", headers=headers).get_json()["id"] == rule_id


def test_unknown_rule_is_404(client, headers):
    assert client.get("/api/routing/rules/99999999", headers=headers).status_code == 404
    assert client.get("/api/routing/rules/99999999999999999999", headers=headers).status_code == 404


def test_patch_changes_only_the_fields_given(client, headers, senior):
    rule = create(client, headers, team_id=senior.id, conditions={"min_tax_wan": 1000}).get_json()

    response = client.patch(
        f"/api/routing/rules/{rule['id']}", headers=headers, json={"active": False}
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["active"] is False
    assert (body["conditions"], body["team_id"]) == ({"min_tax_wan": 1000}, senior.id)


def test_patch_replaces_the_conditions(client, headers, senior):
    rule = create(client, headers, team_id=senior.id, conditions={"min_tax_wan": 1000}).get_json()

    body = client.patch(
        f"/api/routing/rules/{rule['id']}",
        headers=headers,
        json={"conditions": {"channels": ["wechat"]}},
    ).get_json()

    assert body["conditions"] == {"channels": ["wechat"]}


def test_patch_naming_an_agent_replaces_the_team(client, headers, senior, member):
    rule = create(client, headers, team_id=senior.id, strategy="weighted").get_json()
    agent = member(senior)

    body = client.patch(
        f"/api/routing/rules/{rule['id']}", headers=headers, json={"agent_id": agent.id}
    ).get_json()

    assert (body["agent_id"], body["team_id"], body["strategy"]) == (agent.id, None, None)


def test_patch_setting_the_name_to_null_is_400(client, headers, senior):
    rule = create(client, headers, team_id=senior.id).get_json()
    response = client.patch(
        f"/api/routing/rules/{rule['id']}", headers=headers, json={"name": None}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"name": "may not be null"}


def test_patch_moving_a_rule_renumbers_the_others(client, headers, senior):
    for name in ("a", "b", "c"):
        create(client, headers, name=name, team_id=senior.id)
    last = client.get("/api/routing/rules", headers=headers).get_json()["items"][-1]

    client.patch(f"/api/routing/rules/{last['id']}", headers=headers, json={"position": 1})

    assert positions(client, headers) == [("c", 1), ("a", 2), ("b", 3)]


def test_delete_removes_the_rule_and_closes_the_gap(client, headers, senior):
    ids = [create(client, headers, name=n, team_id=senior.id).get_json()["id"] for n in "abc"]

    response = client.delete(f"/api/routing/rules/{ids[0]}", headers=headers)

    assert response.status_code == 204
    assert positions(client, headers) == [("b", 1), ("c", 2)]
    assert client.delete(f"/api/routing/rules/{ids[0]}", headers=headers).status_code == 404


# --- reordering --------------------------------------------------------------------------------


def test_reorder_sets_positions_in_the_order_given(client, headers, senior):
    ids = [create(client, headers, name=n, team_id=senior.id).get_json()["id"] for n in "abc"]

    response = client.post(
        "/api/routing/rules/reorder", headers=headers, json={"ids": [ids[2], ids[0], ids[1]]}
    )

    assert response.status_code == 200
    assert [i["id"] for i in response.get_json()["items"]] == [ids[2], ids[0], ids[1]]
    assert positions(client, headers) == [("c", 1), ("a", 2), ("b", 3)]


@pytest.mark.parametrize(
    ("order", "problem"),
    [
        (lambda ids: ids[:2], "missing"),
        (lambda ids: [*ids, ids[0]], "listed twice"),
        (lambda ids: [*ids, 99999999], "no such rules"),
    ],
    ids=["missing", "duplicate", "unknown"],
)
def test_reorder_must_list_every_rule_once(client, headers, senior, order, problem):
    ids = [create(client, headers, name=n, team_id=senior.id).get_json()["id"] for n in "abc"]

    response = client.post("/api/routing/rules/reorder", headers=headers, json={"ids": order(ids)})

    assert response.status_code == 400
    assert problem in response.get_json()["error"]["fields"]["ids"]
    assert positions(client, headers) == [("a", 1), ("b", 2), ("c", 3)]


def test_reorder_changes_which_rule_routes_a_lead(client, headers, make_team, member):
    land, tax = make_team("土地组"), make_team("税收组")
    land_agent, tax_agent = member(land), member(tax)
    land_rule = create(client, headers, name="土地", team_id=land.id,
                       conditions={"need_types": ["land"]}).get_json()  # fmt: skip
    tax_rule = create(client, headers, name="税收", team_id=tax.id,
                      conditions={"min_tax_wan": 100}).get_json()  # fmt: skip
    assert route(unrouted_lead(need_type="land", tax_wan=500)).agent_id == land_agent.id

    client.post(
        "/api/routing/rules/reorder",
        headers=headers,
        json={"ids": [tax_rule["id"], land_rule["id"]]},
    )

    assert route(unrouted_lead(need_type="land", tax_wan=500)).agent_id == tax_agent.id
