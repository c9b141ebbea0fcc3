"""Working a lead over the JSON API: field edits (optimistic locking), notes, calls,
follow-ups, merges, WeChat replies, leads taken by phone, and the timeline."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.core.db import db, utcnow
from app.leads import activity
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus
from app.notifications.models import Notification, NotificationChannel, NotificationStatus
from app.wechat.models import WechatUser
from tests.notifications.helpers import RecordingDispatcher
from tests.workspace.helpers import assert_error, give


@pytest.fixture
def other_team(make_team):
    return make_team("招商二部")


@pytest.fixture
def outsider(make_agent, other_team):
    return make_agent("li", team=other_team)


@pytest.fixture
def headers(agent, token_for):
    return token_for(agent)


@pytest.fixture(autouse=True)
def dispatched(request, monkeypatch):
    """Notification sends are recorded, not run (no WeChat server here)."""
    if "app" not in request.fixturenames:
        return None
    app = request.getfixturevalue("app")
    recorder = RecordingDispatcher(app.extensions["dispatcher"])
    monkeypatch.setitem(app.extensions, "dispatcher", recorder)
    return recorder


def events(lead: Lead, type_: EventType) -> list[LeadEvent]:
    stmt = (
        select(LeadEvent)
        .where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
        .order_by(LeadEvent.id)
    )
    return list(db.session.scalars(stmt))


def reload(lead: Lead) -> Lead:
    db.session.expire_all()
    found = db.session.get(Lead, lead.id)
    assert found is not None
    return found


# --- editing fields ---------------------------------------------------------------------------


def test_patch_changes_fields_with_one_field_changed_event_each(client, lead, headers):
    response = client.patch(
        f"/api/leads/{lead.id}",
        json={"version": lead.version, "company": "湘能新能源", "area_max_m2": 8000},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["company"] == "湘能新能源"
    changes = {e.data["field"]: e.data for e in events(lead, EventType.FIELD_CHANGED)}
    assert changes["company"]["from"] == "湘能电池科技有限公司"
    assert changes["company"]["to"] == "湘能新能源"
    assert changes["area_max_m2"]["from"] is None
    assert Decimal(changes["area_max_m2"]["to"]) == 8000
    assert all(e.agent_id is not None for e in events(lead, EventType.FIELD_CHANGED))


def test_patch_moves_last_activity_and_the_version(client, lead, headers):
    before_activity, before_version = lead.last_activity_at, lead.version
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "district": "天元区"},
        headers=headers,
    )  # fmt: skip
    lead = reload(lead)
    assert lead.last_activity_at > before_activity
    assert lead.version > before_version


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client, lead, headers):
    stale = lead.version
    client.patch(
        f"/api/leads/{lead.id}", json={"version": stale, "district": "天元区"}, headers=headers
    )
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": stale, "company": "晚到的修改"}, headers=headers
    )
    error = assert_error(response, 409, "stale_version")
    assert error["current_version"] == reload(lead).version
    assert reload(lead).company == "湘能电池科技有限公司"


def test_patch_without_a_version_applies_and_a_malformed_one_is_400(client, lead, headers):
    """The version is the editor's optimistic lock: sent, a stale one is 409 (above); left
    out, the change applies to the lead as it is (an integrator's "set this field")."""
    applied = client.patch(f"/api/leads/{lead.id}", json={"crane_t": 10}, headers=headers)
    assert applied.status_code == 200, applied.get_json()
    assert applied.get_json()["crane_t"] == 10
    malformed = client.patch(
        f"/api/leads/{lead.id}", json={"company": "x", "version": "2"}, headers=headers
    )
    assert "version" in assert_error(malformed, 400)["fields"]
    assert reload(lead).company == "湘能电池科技有限公司"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"tax_wan": -1}, "tax_wan"),
        ({"area_min_m2": 0}, "area_min_m2"),
        ({"need_type": "castle"}, "need_type"),
        ({"company": "公" * 201}, "company"),
        ({"reference": "PL-1"}, "reference"),
    ],
)
def test_patch_applies_the_enquiry_rules_per_field(client, lead, headers, change, field):
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, **change}, headers=headers
    )
    assert field in assert_error(response, 400, "validation_error")["fields"]


def test_patch_checks_min_area_against_the_stored_max(client, lead, headers):
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "area_max_m2": 3000},
        headers=headers,
    )  # fmt: skip
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": reload(lead).version, "area_min_m2": 5000},
        headers=headers,
    )  # fmt: skip
    assert "area_min_m2" in assert_error(response, 400)["message"]


def test_patch_cannot_remove_the_last_way_to_reach_the_prospect(client, lead, headers):
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "phone": None}, headers=headers
    )
    assert_error(response, 400, "validation_error")


def test_patch_with_null_clears_a_field(client, lead, headers):
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "company": None}, headers=headers
    )
    assert reload(lead).company is None


def test_patch_normalises_the_phone_like_intake(client, lead, headers):
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "phone": "138 1234 0000"},
        headers=headers,
    )  # fmt: skip
    assert reload(lead).phone == "+8613812340000"


def test_patch_to_the_phone_of_another_open_lead_is_409(client, lead, create_lead, headers):
    other = create_lead()
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "phone": other.phone},
        headers=headers,
    )  # fmt: skip
    error = assert_error(response, 409, "phone_in_use")
    assert error["lead"]["reference"] == other.reference


def test_patch_of_an_unchanged_value_writes_no_event(client, lead, headers):
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "company": lead.company},
        headers=headers,
    )  # fmt: skip
    assert events(lead, EventType.FIELD_CHANGED) == []


def test_patch_rescores_the_lead(client, lead, headers):
    before = lead.score
    client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "tax_wan": 5000}, headers=headers
    )
    assert reload(lead).score > before


def test_agent_cannot_patch_another_agents_lead(client, create_lead, outsider, headers):
    theirs = give(create_lead(), outsider)
    response = client.patch(
        f"/api/leads/{theirs.id}", json={"version": theirs.version, "company": "x"},
        headers=headers,
    )  # fmt: skip
    assert_error(response, 404)


def test_a_wechat_follower_without_phone_or_wechat_id_can_be_edited(client, lead, headers):
    lead.wechat_openid, lead.phone = "o-follower-1", None
    db.session.commit()
    response = client.patch(
        f"/api/leads/{lead.id}", json={"version": lead.version, "company": "微信客户"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 200, response.get_json()


# --- notes -----------------------------------------------------------------------------------


def test_note_is_recorded_as_an_event_and_moves_last_activity(client, lead, headers):
    before = lead.last_activity_at
    response = client.post(
        f"/api/leads/{lead.id}/notes", json={"text": "客户下周来看厂"}, headers=headers
    )
    assert response.status_code == 201
    [note] = events(lead, EventType.NOTE)
    assert note.data == {"text": "客户下周来看厂"}
    assert note.actor == "agent"
    assert reload(lead).last_activity_at > before


@pytest.mark.parametrize("text", ["", "   ", None, 42, "字" * 4001])
def test_note_needs_text_of_reasonable_length(client, lead, headers, text):
    response = client.post(f"/api/leads/{lead.id}/notes", json={"text": text}, headers=headers)
    assert "text" in assert_error(response, 400)["fields"]
    assert events(lead, EventType.NOTE) == []


def test_note_on_an_invisible_lead_is_404(client, create_lead, outsider, headers):
    theirs = give(create_lead(), outsider)
    response = client.post(f"/api/leads/{theirs.id}/notes", json={"text": "x"}, headers=headers)
    assert_error(response, 404)


# --- calls -----------------------------------------------------------------------------------


def test_call_is_recorded_with_outcome_duration_and_note(client, lead, headers):
    response = client.post(
        f"/api/leads/{lead.id}/calls",
        json={"outcome": "no_answer", "duration_seconds": 0, "note": "无人接听"},
        headers=headers,
    )
    assert response.status_code == 201
    [call] = events(lead, EventType.CALL)
    assert call.data == {"outcome": "no_answer", "duration_seconds": 0, "note": "无人接听"}
    assert response.get_json()["offer_contacted"] is False


def test_connected_call_on_an_assigned_lead_offers_contacted(client, lead, headers):
    response = client.post(
        f"/api/leads/{lead.id}/calls", json={"outcome": "connected"}, headers=headers
    )
    body = response.get_json()
    assert body["offer_contacted"] is True
    assert body["status"] == "assigned"


def test_connected_call_with_mark_contacted_moves_the_lead(client, lead, headers):
    response = client.post(
        f"/api/leads/{lead.id}/calls",
        json={"outcome": "connected", "duration_seconds": 300, "mark_contacted": True},
        headers=headers,
    )
    assert response.get_json()["moved_to_contacted"] is True
    lead = reload(lead)
    assert lead.status is LeadStatus.CONTACTED
    assert lead.first_contacted_at is not None
    [change] = [e for e in events(lead, EventType.STATUS_CHANGED) if e.data["to"] == "contacted"]
    assert change.data["call_event_id"] == events(lead, EventType.CALL)[0].id


def test_mark_contacted_after_an_unanswered_call_keeps_the_status(client, lead, headers):
    client.post(
        f"/api/leads/{lead.id}/calls", json={"outcome": "busy", "mark_contacted": True},
        headers=headers,
    )  # fmt: skip
    assert reload(lead).status is LeadStatus.ASSIGNED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "great"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "connected", "duration_seconds": -1}, "duration_seconds"),
        ({"outcome": "connected", "duration_seconds": "long"}, "duration_seconds"),
        ({"outcome": "connected", "mark_contacted": "yes"}, "mark_contacted"),
    ],
)
def test_call_input_is_validated(client, lead, headers, body, field):
    response = client.post(f"/api/leads/{lead.id}/calls", json=body, headers=headers)
    assert field in assert_error(response, 400)["fields"]
    assert events(lead, EventType.CALL) == []


# --- follow-ups ------------------------------------------------------------------------------


def test_follow_up_without_offset_is_beijing_time_stored_as_utc(client, lead, headers):
    when = (utcnow() + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    local = when.strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/api/leads/{lead.id}/follow-up", json={"at": local}, headers=headers)
    assert response.status_code == 200, response.get_json()
    stored = reload(lead).next_follow_up_at
    assert stored == when.replace(second=0, microsecond=0).astimezone(dt.UTC)
    [event] = events(lead, EventType.FIELD_CHANGED)
    assert event.data["field"] == "next_follow_up_at"
    assert event.data["to"] == stored.isoformat()


def test_follow_up_with_an_offset_keeps_it(client, lead, headers):
    soon = (utcnow() + dt.timedelta(hours=5)).replace(microsecond=0)
    client.post(f"/api/leads/{lead.id}/follow-up", json={"at": soon.isoformat()}, headers=headers)
    assert reload(lead).next_follow_up_at == soon


def test_follow_up_more_than_two_years_ahead_is_400(client, lead, headers):
    response = client.post(
        f"/api/leads/{lead.id}/follow-up", json={"at": "2099-01-02T03:04:00+00:00"},
        headers=headers,
    )  # fmt: skip
    assert "at" in assert_error(response, 400)["fields"]


@pytest.mark.parametrize("value", ["2020-01-01T10:00", "tomorrow", "", 5])
def test_follow_up_must_be_a_future_time(client, lead, headers, value):
    response = client.post(f"/api/leads/{lead.id}/follow-up", json={"at": value}, headers=headers)
    assert "at" in assert_error(response, 400)["fields"]
    assert reload(lead).next_follow_up_at is None


def test_follow_up_null_clears_it(client, lead, headers):
    soon = (utcnow() + dt.timedelta(hours=5)).isoformat()
    client.post(f"/api/leads/{lead.id}/follow-up", json={"at": soon}, headers=headers)
    client.post(f"/api/leads/{lead.id}/follow-up", json={"at": None}, headers=headers)
    assert reload(lead).next_follow_up_at is None
    assert events(lead, EventType.FIELD_CHANGED)[-1].data["to"] is None


# --- merging ---------------------------------------------------------------------------------


@pytest.fixture
def admin_headers(admin, token_for):
    return token_for(admin)


def test_merge_is_for_admins(client, lead, create_lead, headers):
    other = create_lead()
    response = client.post(f"/api/leads/{other.id}/merge", json={"into": lead.id}, headers=headers)
    assert_error(response, 403)


def test_merge_marks_a_new_lead_duplicate_and_points_it_at_the_survivor(
    client, lead, create_lead, admin_headers
):
    dup = give(create_lead(contact_name="王总", industry="锂电池"), None)
    response = client.post(
        f"/api/leads/{dup.id}/merge", json={"into": lead.reference}, headers=admin_headers
    )
    assert response.status_code == 200, response.get_json()
    dup = reload(dup)
    assert dup.merged_into_id == lead.id
    assert dup.status is LeadStatus.DUPLICATE


def test_merge_fills_only_the_survivors_blank_fields(client, lead, create_lead, admin_headers):
    dup = give(create_lead(company="另一个名字", industry="锂电池", district="芦淞区"), None)
    client.post(f"/api/leads/{dup.id}/merge", json={"into": lead.id}, headers=admin_headers)
    survivor = reload(lead)
    assert survivor.company == "湘能电池科技有限公司"
    assert survivor.industry == "锂电池"
    assert survivor.district == "芦淞区"


def test_merge_writes_an_event_on_both_leads(client, lead, create_lead, admin_headers):
    dup = give(create_lead(industry="锂电池"), None)
    client.post(f"/api/leads/{dup.id}/merge", json={"into": lead.id}, headers=admin_headers)
    [on_dup] = events(dup, EventType.MERGED)
    [on_survivor] = events(lead, EventType.MERGED)
    assert on_dup.data["into_id"] == lead.id
    assert on_survivor.data["from_id"] == dup.id
    assert "industry" in on_survivor.data["filled"]


def test_merge_of_a_contacted_lead_keeps_its_status(
    client, lead, create_lead, admin, admin_headers
):
    dup = give(create_lead(), admin, status=LeadStatus.CONTACTED)
    client.post(f"/api/leads/{dup.id}/merge", json={"into": lead.id}, headers=admin_headers)
    dup = reload(dup)
    assert dup.status is LeadStatus.CONTACTED
    assert dup.merged_into_id == lead.id


def test_merged_duplicate_leaves_the_lists(client, lead, create_lead, admin_headers):
    dup = give(create_lead(), None)
    client.post(f"/api/leads/{dup.id}/merge", json={"into": lead.id}, headers=admin_headers)
    ids = [i["id"] for i in client.get("/api/leads", headers=admin_headers).get_json()["items"]]
    assert dup.id not in ids
    assert lead.id in ids


def test_merge_into_a_lead_id_beyond_any_integer_is_404(client, lead, admin_headers):
    response = client.post(
        f"/api/leads/{lead.id}/merge", json={"into": 10**30}, headers=admin_headers
    )
    assert_error(response, 404)


def test_merge_into_itself_is_400(client, lead, admin_headers):
    response = client.post(
        f"/api/leads/{lead.id}/merge", json={"into": lead.id}, headers=admin_headers
    )
    assert_error(response, 400)


def test_merge_into_a_merged_lead_is_404_as_it_left_the_lists(
    client, lead, create_lead, admin_headers
):
    first, second = give(create_lead(), None), give(create_lead(), None)
    client.post(f"/api/leads/{first.id}/merge", json={"into": lead.id}, headers=admin_headers)
    response = client.post(
        f"/api/leads/{second.id}/merge", json={"into": first.id}, headers=admin_headers
    )
    assert_error(response, 404)
    assert reload(second).merged_into_id is None


def test_merging_a_lead_twice_is_a_conflict(app, lead, create_lead, admin):
    from app.core.errors import Conflict

    first, other = give(create_lead(), None), give(create_lead(), None)
    activity.merge_leads(first, lead, by=admin)
    with pytest.raises(Conflict):
        activity.merge_leads(first, other, by=admin)


def test_merge_leaves_the_phone_when_the_duplicate_stays_open(app, create_lead, admin):
    survivor = give(create_lead(), None)
    survivor.phone, survivor.wechat_openid = None, "o-survivor"
    dup = give(create_lead(), admin, status=LeadStatus.CONTACTED)
    result = activity.merge_leads(dup, survivor, by=admin)
    db.session.commit()
    assert reload(survivor).phone is None
    assert "phone" in result.not_copied


def test_merge_copies_the_phone_of_a_duplicate_that_closed(app, create_lead, admin):
    survivor = give(create_lead(), None)
    survivor.phone, survivor.wechat_openid = None, "o-survivor"
    dup = give(create_lead(), None)
    phone = dup.phone
    activity.merge_leads(dup, survivor, by=admin)
    db.session.commit()
    assert reload(survivor).phone == phone


def test_merge_with_a_stale_version_is_409(client, lead, create_lead, admin_headers):
    dup = give(create_lead(), None)
    response = client.post(
        f"/api/leads/{dup.id}/merge", json={"into": lead.id, "version": dup.version - 1},
        headers=admin_headers,
    )  # fmt: skip
    assert_error(response, 409, "stale_version")
    assert reload(dup).merged_into_id is None


# --- WeChat replies --------------------------------------------------------------------------


def follower(lead: Lead, *, wrote_hours_ago: float | None, sent: int = 0) -> Lead:
    openid = f"o-{lead.id}"
    lead.wechat_openid = openid
    last = utcnow() - dt.timedelta(hours=wrote_hours_ago) if wrote_hours_ago is not None else None
    db.session.add(WechatUser(openid=openid, last_inbound_at=last, cs_sent_in_window=sent))
    db.session.commit()
    return lead


def test_wechat_reply_inside_the_window_queues_a_customer_service_message(client, lead, headers):
    follower(lead, wrote_hours_ago=2)
    response = client.post(
        f"/api/leads/{lead.id}/wechat-reply", json={"text": "您好，厂房资料已发您"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 202, response.get_json()
    note = db.session.get(Notification, response.get_json()["notification_id"])
    assert note.channel is NotificationChannel.WECHAT_CS
    assert note.recipient == lead.wechat_openid
    assert note.payload["text"] == "您好，厂房资料已发您"
    [out] = events(lead, EventType.MESSAGE_OUT)
    assert out.data["notification_id"] == note.id


def test_wechat_reply_outside_the_window_is_409(client, lead, headers):
    follower(lead, wrote_hours_ago=49)
    response = client.post(
        f"/api/leads/{lead.id}/wechat-reply", json={"text": "您好"}, headers=headers
    )
    assert_error(response, 409, "outside_wechat_window")
    assert events(lead, EventType.MESSAGE_OUT) == []


def test_wechat_reply_when_the_quota_is_used_is_409(client, lead, headers):
    follower(lead, wrote_hours_ago=1, sent=5)
    response = client.post(
        f"/api/leads/{lead.id}/wechat-reply", json={"text": "您好"}, headers=headers
    )
    assert_error(response, 409, "wechat_quota_used")


def test_wechat_reply_to_a_lead_without_follower_is_409(client, lead, headers):
    response = client.post(
        f"/api/leads/{lead.id}/wechat-reply", json={"text": "您好"}, headers=headers
    )
    assert_error(response, 409, "no_wechat")


def test_wechat_window_counts_queued_replies_against_the_quota(client, lead, headers):
    follower(lead, wrote_hours_ago=1, sent=3)
    client.post(f"/api/leads/{lead.id}/wechat-reply", json={"text": "一"}, headers=headers)
    window = client.get(f"/api/leads/{lead.id}/wechat-window", headers=headers).get_json()
    assert window["open"] is True
    assert window["remaining"] == 1


def test_wechat_reply_beyond_the_queued_quota_is_409(client, lead, headers):
    follower(lead, wrote_hours_ago=1, sent=4)
    client.post(f"/api/leads/{lead.id}/wechat-reply", json={"text": "一"}, headers=headers)
    response = client.post(
        f"/api/leads/{lead.id}/wechat-reply", json={"text": "二"}, headers=headers
    )
    assert_error(response, 409, "wechat_quota_used")


# --- leads taken by phone --------------------------------------------------------------------


def test_manual_lead_is_a_phone_lead_assigned_to_its_creator(client, agent, headers):
    response = client.post(
        "/api/leads/manual",
        json={"phone": "13912340001", "company": "电话客户", "need_type": "warehouse"},
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    lead = db.session.get(Lead, response.get_json()["id"])
    assert lead.channel is Channel.PHONE
    assert lead.agent_id == agent.id
    assert lead.status is LeadStatus.ASSIGNED
    assert events(lead, EventType.CREATED)[0].agent_id == agent.id


def test_admin_gives_a_manual_lead_to_a_named_agent(client, agent, admin_headers):
    response = client.post(
        "/api/leads/manual", json={"phone": "13912340002", "agent_id": agent.id},
        headers=admin_headers,
    )  # fmt: skip
    lead = db.session.get(Lead, response.get_json()["id"])
    assert lead.agent_id == agent.id


def test_agent_cannot_give_a_manual_lead_to_someone_else(client, admin, headers):
    response = client.post(
        "/api/leads/manual", json={"phone": "13912340003", "agent_id": admin.id},
        headers=headers,
    )  # fmt: skip
    assert_error(response, 403)
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_manual_lead_for_an_agent_id_beyond_any_integer_is_400(client, admin_headers):
    response = client.post(
        "/api/leads/manual", json={"phone": "13912340005", "agent_id": 10**20},
        headers=admin_headers,
    )  # fmt: skip
    assert "agent_id" in assert_error(response, 400)["fields"]


def test_manual_lead_with_the_phone_of_an_open_lead_joins_it(client, lead, headers):
    response = client.post(
        "/api/leads/manual", json={"phone": lead.phone, "message": "又来电话了"}, headers=headers
    )
    assert response.status_code == 200
    assert response.get_json()["id"] == lead.id
    assert events(lead, EventType.ENQUIRY)[0].data["channel"] == "phone"


def test_manual_lead_is_validated_like_an_enquiry(client, headers):
    response = client.post(
        "/api/leads/manual", json={"phone": "555", "tax_wan": -3}, headers=headers
    )
    fields = assert_error(response, 400, "validation_error")["fields"]
    assert {"phone", "tax_wan"} <= set(fields)


def test_manual_lead_needs_a_token(client, agent):
    assert_error(client.post("/api/leads/manual", json={"phone": "13912340004"}), 401)


# --- the timeline ----------------------------------------------------------------------------


def test_timeline_lists_events_newest_first(client, lead, headers):
    client.post(f"/api/leads/{lead.id}/notes", json={"text": "第一条"}, headers=headers)
    client.post(f"/api/leads/{lead.id}/calls", json={"outcome": "busy"}, headers=headers)
    items = client.get(f"/api/leads/{lead.id}/timeline", headers=headers).get_json()["items"]
    assert [i["type"] for i in items[:2]] == ["call", "note"]
    assert items[-1]["type"] == "created"
    assert items[0]["agent"]["id"] == lead.agent_id


def test_timeline_shows_notifications_with_their_delivery_state(client, lead, headers):
    follower(lead, wrote_hours_ago=1)
    client.post(f"/api/leads/{lead.id}/wechat-reply", json={"text": "您好"}, headers=headers)
    note = db.session.scalars(select(Notification).where(Notification.lead_id == lead.id)).one()
    note.status, note.last_error = NotificationStatus.DEAD, "48001 api unauthorized"
    db.session.commit()
    items = client.get(f"/api/leads/{lead.id}/timeline", headers=headers).get_json()["items"]
    [reply] = [i for i in items if i["type"] == "message_out"]
    assert reply["notification"]["status"] == "dead"
    assert reply["notification"]["last_error"] == "48001 api unauthorized"
    assert not [i for i in items if i["type"] == "notification"]  # shown once, on the reply


def test_timeline_lists_notifications_without_an_event(client, lead, headers):
    from app.notifications.outbox import queue_notification

    queue_notification(
        channel=NotificationChannel.EMAIL, kind="lead_assigned", recipient="a@example.com",
        idempotency_key=f"t:{lead.id}", lead_id=lead.id,
    )  # fmt: skip
    db.session.commit()
    items = client.get(f"/api/leads/{lead.id}/timeline", headers=headers).get_json()["items"]
    [mail] = [i for i in items if i["type"] == "notification"]
    assert mail["notification"]["channel"] == "email"


def test_timeline_of_an_invisible_lead_is_404(client, create_lead, outsider, headers):
    theirs = give(create_lead(), outsider)
    assert_error(client.get(f"/api/leads/{theirs.id}/timeline", headers=headers), 404)


# --- one transaction -------------------------------------------------------------------------


def test_a_note_and_its_activity_time_roll_back_together(app, lead, agent):
    before = lead.last_activity_at
    activity.add_note(lead, "不会保存", by=agent)
    db.session.rollback()
    assert events(lead, EventType.NOTE) == []
    assert reload(lead).last_activity_at == before


def test_agent_may_note_a_lead_of_the_pool(client, lead, headers):
    give(lead, None)
    response = client.post(f"/api/leads/{lead.id}/notes", json={"text": "看过"}, headers=headers)
    assert response.status_code == 201
