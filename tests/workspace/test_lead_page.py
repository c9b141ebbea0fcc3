"""The lead page: fields, timeline, stage buttons, and each of its forms (CSRF on all)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.core.db import db, utcnow
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.notifications.models import Notification, NotificationChannel
from app.wechat.models import WechatUser
from tests.notifications.helpers import RecordingDispatcher
from tests.workspace.helpers import give

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def page(browse, agent, lead):
    """The lead's owner, logged in."""
    return browse(agent)


@pytest.fixture
def dispatched(app, monkeypatch):
    recorder = RecordingDispatcher(app.extensions["dispatcher"])
    monkeypatch.setitem(app.extensions, "dispatcher", recorder)
    return recorder


def reload(lead: Lead) -> Lead:
    db.session.expire_all()
    return db.session.get(Lead, lead.id)


def events(lead: Lead, type_: EventType) -> list[LeadEvent]:
    stmt = select(LeadEvent).where(LeadEvent.lead_id == lead.id, LeadEvent.type == type_)
    return list(db.session.scalars(stmt.order_by(LeadEvent.id)))


def edit_form(lead: Lead, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it, with `changes` typed in."""
    form = {
        "version": str(lead.version), "company": lead.company or "",
        "contact_name": lead.contact_name or "", "phone": lead.phone or "",
        "wechat_id": "", "need_type": lead.need_type.value, "deal": "",
        "area_min": "", "area_max": "", "area_unit": "m2", "industry": "",
        "tax_wan": str(lead.tax_wan or ""), "investment_wan": "", "employees": "",
        "timeline": "", "district": "", "message": lead.message or "",
    }  # fmt: skip
    form.update(changes)
    return form


# --- showing ---------------------------------------------------------------------------------


def test_lead_page_shows_fields_and_timeline(page, lead):
    html = page.text(f"/app/leads/{lead.id}")
    assert lead.reference in html
    assert 'value="湘能电池科技有限公司"' in html
    assert "300 万元" in html
    assert "跟进记录" in html
    assert "t-created" in html


def test_lead_page_offers_only_the_allowed_stages(page, lead):
    html = page.text(f"/app/leads/{lead.id}")
    offered = set(re.findall(r'name="to" value="([a-z_]+)"', html))
    assert offered == {"contacted", "new", "lost", "spam", "duplicate"}


def test_lead_page_of_a_lead_i_cannot_see_is_404(browse, agent, outsider, create_lead):
    theirs = give(create_lead(), outsider)
    assert browse(agent).get(f"/app/leads/{theirs.id}").status_code == 404


def test_every_form_on_the_lead_page_carries_a_csrf_token(browse, admin, lead, dispatched):
    give(lead, admin)
    follower(lead)
    html = browse(admin).text(f"/app/leads/{lead.id}")
    forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
    assert len(forms) >= 10
    assert all('name="csrf_token"' in form for form in forms)


# --- editing fields --------------------------------------------------------------------------


def test_edit_form_saves_the_changed_fields_with_an_event_each(page, lead):
    response = page.post(
        f"/app/leads/{lead.id}/edit", edit_form(lead, company="湘能新能源", district="芦淞区")
    )
    assert response.status_code == 303
    assert reload(lead).company == "湘能新能源"
    fields = sorted(e.data["field"] for e in events(lead, EventType.FIELD_CHANGED))
    assert fields == ["company", "district"]


def test_edit_form_without_the_csrf_token_is_refused(page, lead):
    response = page.post(f"/app/leads/{lead.id}/edit", edit_form(lead, company="x"), csrf=False)
    assert response.status_code == 400
    assert reload(lead).company == "湘能电池科技有限公司"


def test_edit_form_from_a_stale_page_is_409_and_changes_nothing(page, lead):
    stale = edit_form(lead, company="晚到的修改")
    page.post(f"/app/leads/{lead.id}/edit", edit_form(lead, district="天元区"))
    response = page.post(f"/app/leads/{lead.id}/edit", stale)
    assert response.status_code == 409
    assert "刚被别人修改过" in response.get_data(as_text=True)
    assert reload(lead).company == "湘能电池科技有限公司"


def test_edit_form_shows_the_problem_beside_the_field(page, lead):
    response = page.post(f"/app/leads/{lead.id}/edit", edit_form(lead, phone="12345"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="e-phone"' in html
    assert "不是有效的手机号或座机号" in html
    assert 'value="12345"' in html  # what was typed is kept


def test_edit_form_takes_areas_in_mu(page, lead):
    page.post(f"/app/leads/{lead.id}/edit", edit_form(lead, area_min="30", area_unit="mu"))
    assert reload(lead).area_min_m2 == Decimal("20000.10")


def test_edit_form_resubmitted_unchanged_writes_no_event(page, lead):
    lead.message = "第一行\n第二行"
    db.session.commit()
    page.post(f"/app/leads/{lead.id}/edit", edit_form(lead, message="第一行\r\n第二行"))
    assert events(lead, EventType.FIELD_CHANGED) == []


# --- notes, calls, follow-ups ----------------------------------------------------------------


def test_note_form_adds_a_note(page, lead):
    response = page.post(f"/app/leads/{lead.id}/notes", {"text": "客户要求层高8米"})
    assert response.status_code == 303
    assert events(lead, EventType.NOTE)[0].data["text"] == "客户要求层高8米"


def test_note_form_without_text_is_400(page, lead):
    assert page.post(f"/app/leads/{lead.id}/notes", {"text": " "}).status_code == 400
    assert events(lead, EventType.NOTE) == []


def test_connected_call_on_an_assigned_lead_offers_contacted(page, lead):
    response = page.post(
        f"/app/leads/{lead.id}/calls", {"outcome": "connected", "duration_minutes": "5"}
    )
    assert response.headers["Location"].endswith("?offer=contacted")
    assert events(lead, EventType.CALL)[0].data["duration_seconds"] == 300
    html = page.text(response.headers["Location"])
    assert "标记为已联系" in html


def test_unanswered_call_offers_nothing(page, lead):
    response = page.post(f"/app/leads/{lead.id}/calls", {"outcome": "no_answer"})
    assert "offer" not in response.headers["Location"]


def test_offer_button_moves_the_lead_to_contacted(page, lead):
    page.post(f"/app/leads/{lead.id}/calls", {"outcome": "connected"})
    response = page.post(
        f"/app/leads/{lead.id}/status", {"to": "contacted", "version": str(reload(lead).version)}
    )
    assert response.status_code == 303
    assert reload(lead).status is LeadStatus.CONTACTED


def test_follow_up_form_reads_beijing_time(page, lead):
    local = (utcnow() + dt.timedelta(days=1)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    page.post(f"/app/leads/{lead.id}/follow-up", {"at": local.strftime("%Y-%m-%dT%H:%M")})
    assert reload(lead).next_follow_up_at == local.astimezone(dt.UTC)


def test_follow_up_form_refuses_a_past_time(page, lead):
    response = page.post(f"/app/leads/{lead.id}/follow-up", {"at": "2020-05-01T09:00"})
    assert response.status_code == 400
    assert "应晚于现在" in response.get_data(as_text=True)


def test_follow_up_form_clears_it(page, lead):
    lead.next_follow_up_at = utcnow() + dt.timedelta(days=1)
    db.session.commit()
    page.post(f"/app/leads/{lead.id}/follow-up", {"clear": "1"})
    assert reload(lead).next_follow_up_at is None


# --- stages ----------------------------------------------------------------------------------


def test_stage_button_for_a_stage_not_allowed_is_409(page, lead):
    response = page.post(f"/app/leads/{lead.id}/status", {"to": "won"})
    assert response.status_code == 409
    assert reload(lead).status is LeadStatus.ASSIGNED


def test_lost_needs_a_reason(page, lead):
    response = page.post(f"/app/leads/{lead.id}/status", {"to": "lost", "reason": ""})
    assert response.status_code == 400
    assert reload(lead).status is LeadStatus.ASSIGNED


def test_lost_with_a_reason_records_it(page, lead):
    page.post(f"/app/leads/{lead.id}/status", {"to": "lost", "reason": "选择了长沙的园区"})
    lead = reload(lead)
    assert lead.status is LeadStatus.LOST
    assert lead.lost_reason == "选择了长沙的园区"


def test_stage_form_without_the_csrf_token_is_refused(page, lead):
    response = page.post(f"/app/leads/{lead.id}/status", {"to": "contacted"}, csrf=False)
    assert response.status_code == 400
    assert reload(lead).status is LeadStatus.ASSIGNED


# --- reassigning and merging -----------------------------------------------------------------


def test_agents_cannot_reassign(page, lead, colleague):
    response = page.post(f"/app/leads/{lead.id}/assign", {"agent_id": str(colleague.id)})
    assert response.status_code == 403
    assert reload(lead).agent_id != colleague.id


def test_team_lead_reassigns_to_an_agent_of_the_team(browse, team_lead, lead, colleague):
    response = browse(team_lead).post(
        f"/app/leads/{lead.id}/assign", {"agent_id": str(colleague.id)}
    )
    assert response.status_code == 303
    assert reload(lead).agent_id == colleague.id
    assert events(lead, EventType.REASSIGNED)[0].data["agent_id"] == colleague.id


def test_team_lead_cannot_reassign_to_another_team(browse, team_lead, lead, outsider):
    response = browse(team_lead).post(
        f"/app/leads/{lead.id}/assign", {"agent_id": str(outsider.id)}
    )
    assert response.status_code == 403
    assert reload(lead).agent_id != outsider.id


def test_merge_form_is_for_admins(page, lead, create_lead):
    other = create_lead()
    response = page.post(f"/app/leads/{other.id}/merge", {"into": lead.reference})
    assert response.status_code == 403


def test_admin_merges_a_duplicate_and_lands_on_the_survivor(browse, admin, lead, create_lead):
    dup = give(create_lead(industry="锂电池"), None)
    response = browse(admin).post(
        f"/app/leads/{dup.id}/merge", {"into": lead.reference, "version": str(dup.version)}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/app/leads/{lead.id}"
    assert reload(dup).merged_into_id == lead.id
    assert reload(lead).industry == "锂电池"


# --- WeChat replies --------------------------------------------------------------------------


def follower(lead: Lead, *, wrote_hours_ago: float = 1, sent: int = 0) -> Lead:
    lead.wechat_openid = f"o-page-{lead.id}"
    db.session.add(
        WechatUser(
            openid=lead.wechat_openid,
            last_inbound_at=utcnow() - dt.timedelta(hours=wrote_hours_ago),
            cs_sent_in_window=sent,
        )
    )
    db.session.commit()
    return lead


def test_reply_box_is_shown_inside_the_window_with_the_messages_left(page, lead):
    follower(lead, sent=2)
    html = page.text(f"/app/leads/{lead.id}")
    assert f'action="/app/leads/{lead.id}/wechat"' in html
    assert "还可发送 3 条" in html


def test_reply_box_after_a_menu_click_offers_that_minutes_three(page, lead):
    follower(lead, wrote_hours_ago=50)
    user = db.session.scalars(select(WechatUser).where(WechatUser.openid == lead.wechat_openid))
    user.one().last_event_at = utcnow()
    db.session.commit()
    html = page.text(f"/app/leads/{lead.id}")
    assert f'action="/app/leads/{lead.id}/wechat"' in html
    assert "还可发送 3 条" in html


def test_reply_box_is_hidden_outside_the_window(page, lead):
    follower(lead, wrote_hours_ago=50)
    html = page.text(f"/app/leads/{lead.id}")
    assert f'action="/app/leads/{lead.id}/wechat"' not in html
    assert "暂时不能通过公众号回复" in html


def test_reply_form_queues_a_customer_service_message(page, lead, dispatched):
    follower(lead)
    response = page.post(f"/app/leads/{lead.id}/wechat", {"text": "您好，明天上午可以看厂"})
    assert response.status_code == 303
    [note] = db.session.scalars(select(Notification).where(Notification.lead_id == lead.id))
    assert note.channel is NotificationChannel.WECHAT_CS
    assert dispatched.notification_ids == [note.id]
    assert events(lead, EventType.MESSAGE_OUT)[0].data["text"] == "您好，明天上午可以看厂"


def test_lead_page_speaks_english_when_asked(page, lead):
    html = page.text(f"/app/leads/{lead.id}?lang=en")
    assert "Timeline" in html
    assert "跟进记录" not in html
