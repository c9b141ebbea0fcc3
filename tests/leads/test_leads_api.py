"""GET /api/leads, GET /api/leads/<id|reference> and POST .../transitions over HTTP."""

from __future__ import annotations

import base64
import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.core.db import db
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus

_numbers = itertools.count(1)


def new_phone() -> str:
    return f"1590000{next(_numbers):04d}"


@pytest.fixture
def give():
    """Put a lead in someone's hands (or the pool) without going through routing."""

    def _give(lead: Lead, owner=None, *, team=None, status: LeadStatus | None = None) -> Lead:
        lead.agent_id = owner.id if owner else None
        lead.team_id = team.id if team else (owner.team_id if owner else lead.team_id)
        lead.status = status or (LeadStatus.ASSIGNED if owner else LeadStatus.NEW)
        db.session.commit()
        return lead

    return _give


@pytest.fixture
def other_team(make_team):
    return make_team("招商二部")


@pytest.fixture
def colleague(make_agent, other_team):
    return make_agent("li", team=other_team)


@pytest.fixture
def scene(agent, colleague, create_lead, give):
    """One lead each: mine, a colleague's in another team, and one in the unassigned pool."""
    return {
        "mine": give(create_lead(company="我的公司"), agent),
        "theirs": give(create_lead(company="别人的公司"), colleague),
        "pool": give(create_lead(company="公海公司"), None),
    }


def list_ids(client, headers, query: str = "") -> list[int]:
    response = client.get(f"/api/leads{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    if code:
        assert error["code"] == code
    return error


# --- authentication -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/leads", "/api/leads/1"])
def test_reading_leads_without_a_token_is_401(client, lead, path):
    error = assert_error(client.get(path), 401, "unauthorized")
    assert "Bearer" in error["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer ", "Basic emhhbmc6cHc=", "bearer", "Token abc"],
)
def test_reading_leads_with_a_bad_authorization_header_is_401(client, lead, header):
    response = client.get(f"/api/leads/{lead.id}", headers={"Authorization": header})
    assert_error(response, 401)


def test_token_signed_with_another_key_is_401(client, lead, agent):
    from itsdangerous import URLSafeTimedSerializer

    forged = URLSafeTimedSerializer("not-our-key", salt="parklead-api-token").dumps(
        {"agent": agent.id}
    )
    response = client.get("/api/leads", headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "invalid_token")


def test_expired_token_is_401(client, app, agent, token_for, monkeypatch):
    import itsdangerous.timed

    headers = token_for(agent)
    max_age = app.config["TOKEN_MAX_AGE_SECONDS"]
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner,
        "get_timestamp",
        lambda self: real(self) + max_age + 1,
    )
    assert_error(client.get("/api/leads", headers=headers), 401, "token_expired")


def test_transition_without_a_token_is_401(client, lead):
    response = client.post(f"/api/leads/{lead.id}/transitions", json={"to": "contacted"})
    assert_error(response, 401)
    assert db.session.get(Lead, lead.id).status is LeadStatus.ASSIGNED


# --- who sees what --------------------------------------------------------------------------


def test_agent_lists_own_and_unassigned_leads_only(client, agent, scene, token_for):
    ids = list_ids(client, token_for(agent))
    assert sorted(ids) == sorted([scene["mine"].id, scene["pool"].id])


def test_agent_cannot_read_another_agents_lead(client, agent, scene, token_for):
    theirs = scene["theirs"]
    headers = token_for(agent)
    assert_error(client.get(f"/api/leads/{theirs.id}", headers=headers), 404, "not_found")
    assert_error(client.get(f"/api/leads/{theirs.reference}", headers=headers), 404)


def test_agent_reads_an_unassigned_lead(client, agent, scene, token_for):
    response = client.get(f"/api/leads/{scene['pool'].id}", headers=token_for(agent))
    assert response.status_code == 200
    assert response.get_json()["agent"] is None


def test_agent_cannot_read_another_teams_pool_lead(
    client, colleague, other_team, make_team, create_lead, give, token_for
):
    """The pool view shows an agent their team's pool only; the id, the reference, the list
    and a claim agree with it (docs/security.md)."""
    own_pool = give(create_lead(company="二部公海公司"), None, team=other_team)
    foreign = give(create_lead(company="一部公海公司"), None, team=make_team("招商一部"))
    headers = token_for(colleague)  # an agent of other_team
    assert_error(client.get(f"/api/leads/{foreign.id}", headers=headers), 404)
    assert_error(client.get(f"/api/leads/{foreign.reference}", headers=headers), 404)
    assert foreign.id not in list_ids(client, headers, "?unassigned=1")
    assert own_pool.id in list_ids(client, headers, "?unassigned=1")
    claim = client.post(f"/api/leads/{foreign.id}/claim", headers=headers)
    assert_error(claim, 404)
    assert "公海公司" not in claim.get_data(as_text=True)


def test_agent_cannot_list_another_teams_pool_by_naming_it(client, agent, other_team, token_for):
    response = client.get(f"/api/routing/pool?team_id={other_team.id}", headers=token_for(agent))
    assert_error(response, 403)


def test_claiming_someone_elses_lead_is_404_not_409_naming_them(client, agent, scene, token_for):
    response = client.post(f"/api/leads/{scene['theirs'].id}/claim", headers=token_for(agent))
    assert_error(response, 404)
    assert "li" not in str(response.get_json().get("error", {}).get("extra", ""))
    assert "agent" not in response.get_json()["error"]


def test_agent_cannot_move_another_agents_lead(client, agent, scene, token_for):
    theirs = scene["theirs"]
    response = client.post(
        f"/api/leads/{theirs.id}/transitions", json={"to": "contacted"}, headers=token_for(agent)
    )
    assert_error(response, 404)
    db.session.refresh(theirs)
    assert theirs.status is LeadStatus.ASSIGNED


def test_team_lead_sees_the_whole_team(
    client, make_agent, default_team, agent, scene, token_for, create_lead, give
):
    teammate = make_agent("wang", team=default_team)
    teammates_lead = give(create_lead(company="队友的公司"), teammate)
    boss = make_agent("chen", role=Role.LEAD, team=default_team)
    ids = list_ids(client, token_for(boss))
    assert sorted(ids) == sorted([scene["mine"].id, scene["pool"].id, teammates_lead.id])
    assert client.get(f"/api/leads/{teammates_lead.id}", headers=token_for(boss)).status_code == 200


def test_team_lead_cannot_read_another_teams_lead(
    client, make_agent, default_team, scene, token_for
):
    boss = make_agent("chen", role=Role.LEAD, team=default_team)
    response = client.get(f"/api/leads/{scene['theirs'].id}", headers=token_for(boss))
    assert_error(response, 404)


def test_admin_sees_every_lead(client, admin, scene, token_for):
    ids = list_ids(client, token_for(admin))
    assert sorted(ids) == sorted(lead.id for lead in scene.values())


# --- detail -----------------------------------------------------------------------------------


def test_lead_is_found_by_id_and_by_reference(client, lead, agent, token_for):
    headers = token_for(agent)
    by_id = client.get(f"/api/leads/{lead.id}", headers=headers).get_json()
    by_ref = client.get(f"/api/leads/{lead.reference}", headers=headers).get_json()
    by_lower = client.get(f"/api/leads/{lead.reference.lower()}", headers=headers).get_json()
    assert by_id["id"] == by_ref["id"] == by_lower["id"] == lead.id


def test_reference_with_the_wrong_date_is_404(client, lead, agent, token_for):
    wrong = f"PL-19990101-{lead.id:04d}"
    assert_error(client.get(f"/api/leads/{wrong}", headers=token_for(agent)), 404)


@pytest.mark.parametrize(
    "key",
    [
        "999999",
        "PL-20261124-999999",
        "nonsense",
        "99999999999999999999999",
        "-1",
        "²",
        "PL-20261124-²",
    ],
)
def test_unknown_lead_is_404(client, admin, token_for, key):
    assert_error(client.get(f"/api/leads/{key}", headers=token_for(admin)), 404, "not_found")


SPEC_FIELDS = {
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "tax_wan", "investment_wan",
    "company", "contact_name", "phone", "district", "message", "utm_source", "utm_medium",
    "utm_campaign", "reference", "status", "channel", "agent", "created_at",
}  # fmt: skip


def test_lead_json_has_the_spec_field_names(client, agent, token_for):
    submitted = {
        "need_type": "factory", "deal": "rent", "area_min_m2": 3000, "area_max_m2": 5000,
        "industry": "新能源电池", "tax_wan": 300, "investment_wan": 5000,
        "company": "湘能电池科技有限公司", "contact_name": "王先生", "phone": "13812345678",
        "district": "芦淞区", "message": "层高8米", "utm_source": "baidu", "utm_medium": "cpc",
        "utm_campaign": "2026-spring",
    }  # fmt: skip
    lead_id = client.post("/api/leads", json=submitted).get_json()["id"]
    body = client.get(f"/api/leads/{lead_id}", headers=token_for(agent)).get_json()
    assert set(body) >= SPEC_FIELDS
    for name, value in submitted.items():
        expected = "+8613812345678" if name == "phone" else value
        assert body[name] == expected, name
    assert body["status"] == "assigned"
    assert body["channel"] == "web_form"
    assert body["agent"]["id"] == agent.id
    assert dt.datetime.fromisoformat(body["created_at"]).tzinfo is not None


def test_list_items_have_the_same_fields_as_the_detail(client, lead, agent, token_for):
    headers = token_for(agent)
    item = client.get("/api/leads", headers=headers).get_json()["items"][0]
    detail = client.get(f"/api/leads/{lead.id}", headers=headers).get_json()
    assert set(item) >= SPEC_FIELDS
    assert {k: v for k, v in detail.items() if k != "events"} == item


def test_detail_includes_the_event_timeline(client, lead, agent, token_for):
    body = client.get(f"/api/leads/{lead.id}", headers=token_for(agent)).get_json()
    types = [e["type"] for e in body["events"]]
    assert types[0] == "created"
    assert "assigned" in types


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def statuses(admin, create_lead, give, agent):
    leads = {}
    for status in (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST):
        owner = None if status is LeadStatus.NEW else agent
        leads[status] = give(create_lead(), owner, status=status)
    return leads


def test_status_filter(client, admin, statuses, token_for):
    ids = list_ids(client, token_for(admin), "?status=contacted")
    assert ids == [statuses[LeadStatus.CONTACTED].id]


def test_status_filter_takes_a_comma_list(client, admin, statuses, token_for):
    ids = list_ids(client, token_for(admin), "?status=new, qualified")
    assert sorted(ids) == sorted([statuses[LeadStatus.NEW].id, statuses[LeadStatus.QUALIFIED].id])


def test_unknown_status_filter_is_400(client, admin, statuses, token_for):
    response = client.get("/api/leads?status=contacted,closed", headers=token_for(admin))
    error = assert_error(response, 400)
    assert "closed" in error["message"]
    assert "qualified" in error["fields"]["status"]


@pytest.mark.parametrize(
    "query", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "0086%2013812345678"]
)
def test_phone_filter_accepts_any_format(client, admin, create_lead, token_for, query):
    wanted = create_lead(phone="138 1234 5678")
    create_lead(phone="13912345678")
    assert list_ids(client, token_for(admin), f"?phone={query}") == [wanted.id]


def test_invalid_phone_filter_is_400(client, admin, token_for):
    error = assert_error(client.get("/api/leads?phone=12345", headers=token_for(admin)), 400)
    assert "phone" in error["fields"]


@pytest.mark.parametrize(
    ("query", "match"),
    [("湘能", "company"), ("电池科", "company"), ("王先", "contact"), ("5678", "phone")],
)
def test_q_searches_company_contact_and_phone(client, admin, create_lead, token_for, query, match):
    leads = {
        "company": create_lead(company="湘能电池科技有限公司", phone="13900000001"),
        "contact": create_lead(company="株洲机械", contact_name="王先生", phone="13900000002"),
        "phone": create_lead(company="长沙物流", phone="13812345678"),
    }
    create_lead(company="无关公司", contact_name="李女士", phone="13900000003")
    assert list_ids(client, token_for(admin), f"?q={query}") == [leads[match].id]


def test_q_is_case_insensitive_for_latin_names(client, admin, create_lead, token_for):
    wanted = create_lead(company="CRRC Zhuzhou")
    assert list_ids(client, token_for(admin), "?q=crrc") == [wanted.id]


@pytest.mark.parametrize(("query", "company"), [("%25", "100%绿电"), ("_", "A_B公司")])
def test_q_wildcards_are_literal(client, admin, create_lead, token_for, query, company):
    wanted = create_lead(company=company, phone="13900000011")
    create_lead(company="AxB公司 100绿电", phone="13900000012")
    assert list_ids(client, token_for(admin), f"?q={query}") == [wanted.id]


def test_q_with_sql_is_just_text(client, admin, create_lead, token_for):
    create_lead(company="湘能电池")
    assert list_ids(client, token_for(admin), "?q=' OR '1'='1") == []


def test_need_type_filter(client, admin, create_lead, token_for):
    land = create_lead(need_type="land")
    create_lead(need_type="factory")
    assert list_ids(client, token_for(admin), "?need_type=land") == [land.id]


def test_unknown_need_type_filter_is_400(client, admin, create_lead, token_for):
    create_lead()
    error = assert_error(client.get("/api/leads?need_type=castle", headers=token_for(admin)), 400)
    assert "factory" in error["fields"]["need_type"]


def test_district_filter(client, admin, create_lead, token_for):
    lusong = create_lead(district="芦淞区")
    create_lead(district="天元区")
    assert list_ids(client, token_for(admin), "?district=芦淞区") == [lusong.id]


# --- pagination -------------------------------------------------------------------------------


def walk(client, headers, query: str = "?limit=2") -> tuple[list[int], list[int]]:
    """Follow next_cursor to the end; return the ids seen and each page's size."""
    seen, sizes, cursor = [], [], None
    for _ in range(50):
        url = f"/api/leads{query}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        seen += [item["id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, sizes
    raise AssertionError("pagination did not end")


def test_pagination_walks_every_lead_exactly_once(client, admin, create_lead, token_for):
    ids = [create_lead().id for _ in range(5)]
    seen, sizes = walk(client, token_for(admin))
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    assert sizes == [2, 2, 1]


def test_list_is_newest_first(client, admin, create_lead, token_for):
    ids = [create_lead().id for _ in range(3)]
    assert list_ids(client, token_for(admin)) == ids[::-1]


def test_pagination_survives_leads_created_in_the_same_instant(
    client, admin, create_lead, token_for
):
    leads = [create_lead() for _ in range(5)]
    same = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    for lead in leads:
        lead.created_at = same
    db.session.commit()
    seen, _ = walk(client, token_for(admin))
    assert seen == sorted((lead.id for lead in leads), reverse=True)


def test_exact_multiple_of_the_page_size_ends_with_null_cursor(
    client, admin, create_lead, token_for
):
    for _ in range(4):
        create_lead()
    seen, sizes = walk(client, token_for(admin))
    assert len(set(seen)) == 4
    assert sizes == [2, 2]  # no empty trailing page


def test_pagination_keeps_the_filters(client, admin, create_lead, token_for):
    land = [create_lead(need_type="land").id for _ in range(3)]
    for _ in range(3):
        create_lead(need_type="office")
    seen, _ = walk(client, token_for(admin), "?limit=2&need_type=land")
    assert sorted(seen) == sorted(land)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!",
        b64("yesterday|5"),
        b64("2026-11-24T08:00:00+00:00|five"),
        b64("2026-11-24T08:00:00|5"),  # no timezone
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    ],
)
def test_bad_cursor_is_400(client, admin, create_lead, token_for, cursor):
    create_lead()
    response = client.get(f"/api/leads?cursor={cursor}", headers=token_for(admin))
    error = assert_error(response, 400)
    assert "cursor" in error["fields"]


@pytest.mark.parametrize("limit", ["0", "-1", "201", "abc", "1.5"])
def test_limit_out_of_bounds_is_400(client, admin, token_for, limit):
    error = assert_error(client.get(f"/api/leads?limit={limit}", headers=token_for(admin)), 400)
    assert "limit" in error["fields"]


@pytest.mark.parametrize(("limit", "expected"), [("1", 1), ("200", 3), ("", 3)])
def test_limit_in_bounds_is_honoured(client, admin, create_lead, token_for, limit, expected):
    for _ in range(3):
        create_lead()
    assert len(list_ids(client, token_for(admin), f"?limit={limit}")) == expected


# --- transitions --------------------------------------------------------------------------------


def move(client, lead, headers, **body):
    return client.post(f"/api/leads/{lead.id}/transitions", json=body, headers=headers)


def status_events(lead) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(
        LeadEvent.lead_id == lead.id, LeadEvent.type == EventType.STATUS_CHANGED
    )
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))


def test_allowed_transition_is_200_and_records_an_event(client, lead, agent, token_for):
    before, version = len(status_events(lead)), lead.version
    response = move(client, lead, token_for(agent), to="contacted", note="打过电话")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "contacted"
    assert body["version"] == version + 1
    events = status_events(lead)
    assert len(events) == before + 1
    assert events[-1].data["from"] == "assigned"
    assert events[-1].data["to"] == "contacted"
    assert events[-1].data["note"] == "打过电话"
    assert events[-1].agent_id == agent.id
    assert body["events"][-1]["type"] == "status_changed"


def test_transition_by_reference(client, lead, agent, token_for):
    response = client.post(
        f"/api/leads/{lead.reference}/transitions", json={"to": "contacted"},
        headers=token_for(agent),
    )  # fmt: skip
    assert response.status_code == 200
    assert db.session.get(Lead, lead.id).status is LeadStatus.CONTACTED


def test_disallowed_transition_is_409_listing_the_allowed_ones(client, lead, agent, token_for):
    before = len(status_events(lead))
    error = assert_error(move(client, lead, token_for(agent), to="won"), 409, "invalid_transition")
    assert set(error["allowed"]) == {"contacted", "new", "lost", "spam", "duplicate"}
    for name in error["allowed"]:
        assert name in error["message"]
    assert len(status_events(lead)) == before
    assert db.session.get(Lead, lead.id).status is LeadStatus.ASSIGNED


def test_lost_without_reason_is_400(client, lead, agent, token_for):
    for body in ({"to": "lost"}, {"to": "lost", "reason": "   "}):
        error = assert_error(move(client, lead, token_for(agent), **body), 400)
        assert "reason" in error["fields"]
    assert db.session.get(Lead, lead.id).status is LeadStatus.ASSIGNED


def test_lost_with_reason_stores_it(client, lead, agent, token_for):
    response = move(client, lead, token_for(agent), to="lost", reason="选择了其他园区")
    assert response.status_code == 200
    assert response.get_json()["lost_reason"] == "选择了其他园区"


def test_stale_version_is_409(client, lead, agent, token_for):
    headers = token_for(agent)
    stale = lead.version
    assert move(client, lead, headers, to="contacted", version=stale).status_code == 200
    response = move(client, lead, headers, to="qualified", version=stale)
    error = assert_error(response, 409, "stale_version")
    assert error["current_version"] == stale + 1
    assert db.session.get(Lead, lead.id).status is LeadStatus.CONTACTED


def test_current_version_is_accepted(client, lead, agent, token_for):
    response = move(client, lead, token_for(agent), to="contacted", version=lead.version)
    assert response.status_code == 200


def test_moving_to_assigned_is_400(client, agent, scene, token_for):
    error = assert_error(move(client, scene["pool"], token_for(agent), to="assigned"), 400)
    assert "to" in error["fields"]
    assert db.session.get(Lead, scene["pool"].id).status is LeadStatus.NEW


@pytest.mark.parametrize(
    "body",
    [{}, {"to": ""}, {"to": 3}, {"to": "flying"}, {"to": "contacted", "version": "1"},
     {"to": "contacted", "version": True}, {"to": "contacted", "note": ["x"]}],
)  # fmt: skip
def test_malformed_transition_is_400(client, lead, agent, token_for, body):
    assert_error(move(client, lead, token_for(agent), **body), 400)
    assert db.session.get(Lead, lead.id).status is LeadStatus.ASSIGNED
