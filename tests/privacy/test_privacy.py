"""个人信息保护法: the consent notice on the form and in the bot's greeting, retention erasure
of closed leads, erasure of a person on request, masked phones in exports, and the audit log
of every export and erasure."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit.models import AuditAction, AuditEntry
from app.core.db import db, utcnow
from app.devtools.simulator import build_subscribe_xml, build_text_xml, reply_text, sign_delivery
from app.leads.models import EventType, Lead, LeadEvent, LeadStatus
from app.wechat.models import InboundMessage, WechatUser
from tasks import TASK_MODULES, beat_schedule
from tasks.privacy import erase_expired
from tests.web.pages import csrf_token, page_client

TOKEN = "testtoken"  # config/testing.py
OPENID = "oPrivacyProspect00000000001"
PHONE = "13812345678"
E164 = "+8613812345678"


@pytest.fixture
def chief(make_agent, default_team):
    return make_agent("chen", role=Role.LEAD, team=default_team)


def wechat(client, xml: str, openid: str = OPENID) -> str:
    signed = sign_delivery(xml, token=TOKEN, openid=openid, aes_key=None, appid="")
    response = client.post(
        "/wechat/callback", query_string=signed.params, data=signed.body.encode(),
        content_type="text/xml",
    )  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    return "" if body == "success" else reply_text(body)[1]


def audit_rows(action: AuditAction) -> list[AuditEntry]:
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(stmt))


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- the consent notice ------------------------------------------------------------------------


def test_enquiry_form_shows_the_default_notice_with_a_link(client):
    html = client.get("/enquiry").get_data(as_text=True)
    assert 'id="consent"' in html
    assert "提交即表示您同意" in html
    assert 'href="http://localhost/privacy"' in html
    policy = client.get("/privacy").get_data(as_text=True)
    assert "个人信息保护说明" in policy


def test_admin_sets_the_notice_and_the_form_and_privacy_page_follow(app, client, admin):
    browser = page_client(app, admin.login)
    response = browser.post(
        "/app/admin/privacy",
        data={
            "notice_zh": "提交即同意芦淞园区招商办使用您的联系方式。",
            "notice_en": "By sending you agree the Lusong office may contact you.",
            "policy_url": "https://zhaoshang.example.gov.cn/privacy",
            "policy_text": "芦淞园区隐私说明\n我们只为招商联系使用您的信息。",
            "retention_days": "365",
            "csrf_token": csrf_token(browser, "/app/admin/privacy"),
        },
    )
    assert response.status_code == 302
    html = client.get("/enquiry").get_data(as_text=True)
    assert "提交即同意芦淞园区招商办使用您的联系方式。" in html
    assert 'href="https://zhaoshang.example.gov.cn/privacy"' in html
    english = client.get("/enquiry?lang=en").get_data(as_text=True)
    assert "By sending you agree the Lusong office may contact you." in english
    assert "我们只为招商联系使用您的信息。" in client.get("/privacy").get_data(as_text=True)
    entry = audit_rows(AuditAction.SETTING_CHANGED)[-1]
    assert entry.agent_id == admin.id
    assert entry.detail["retention_days"] == 365


def test_privacy_settings_refuse_a_bad_retention_with_the_form_kept(app, admin):
    browser = page_client(app, admin.login)
    response = browser.post(
        "/app/admin/privacy",
        data={"notice_zh": "新的告知", "retention_days": "很久",
              "csrf_token": csrf_token(browser, "/app/admin/privacy")},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "新的告知" in html
    assert 'aria-invalid="true"' in html


def test_bot_greeting_carries_the_notice_and_the_link(client):
    reply = wechat(client, build_subscribe_xml(OPENID))
    assert "欢迎关注" in reply
    assert "提交即表示您同意" in reply
    assert "个人信息保护说明：http://localhost/privacy" in reply


def test_privacy_api_for_admins(client, admin, token_for):
    headers = token_for(admin)
    response = client.put(
        "/api/privacy/settings", json={"retention_days": 30, "notice_zh": "告知"}, headers=headers
    )
    assert response.status_code == 200
    assert client.get("/api/privacy/settings", headers=headers).get_json()["retention_days"] == 30
    bad = client.put("/api/privacy/settings", json={"retention_days": -1}, headers=headers)
    assert bad.status_code == 400
    assert "retention_days" in bad.get_json()["error"]["fields"]


# --- retention ---------------------------------------------------------------------------------


def closed_long_ago(lead: Lead, status: LeadStatus = LeadStatus.LOST, days: int = 4 * 365) -> None:
    lead.status = status
    lead.last_activity_at = utcnow() - dt.timedelta(days=days)
    db.session.commit()


def test_retention_erases_closed_leads_personal_fields_and_keeps_figures(app, client, agent):
    wechat(client, build_subscribe_xml(OPENID))
    wechat(client, build_text_xml(OPENID, f"想在芦淞区租5000平厂房，电话{PHONE}，王先生"))
    lead = db.session.scalars(select(Lead).where(Lead.phone == E164)).one()
    lead.tax_wan, lead.company = 300, "湘能电池科技有限公司"
    db.session.commit()
    closed_long_ago(lead)
    assert count(InboundMessage, InboundMessage.openid == OPENID) == 2

    assert erase_expired() == {"leads": 1}

    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert (lead.phone, lead.contact_name, lead.wechat_openid, lead.message) == (None,) * 4
    assert lead.personal_erased_at is not None
    # Figures for reports stay.
    assert (lead.need_type.value, lead.district, int(lead.tax_wan)) == ("factory", "芦淞区", 300)
    assert lead.company == "湘能电池科技有限公司"
    events = db.session.scalars(select(LeadEvent).where(LeadEvent.lead_id == lead.id)).all()
    text = repr([e.data for e in events])
    assert PHONE not in text
    assert "王先生" not in text
    assert "想在芦淞区租" not in text
    assert any(e.type is EventType.CREATED for e in events)
    assert count(InboundMessage, InboundMessage.openid == OPENID) == 0
    assert count(WechatUser, WechatUser.openid == OPENID) == 0
    entry = audit_rows(AuditAction.RETENTION_ERASE)[-1]
    assert entry.detail["leads"] == [lead.id]
    assert entry.agent_id is None


def test_retention_leaves_open_and_recently_closed_leads(app, create_lead, agent):
    open_lead = create_lead(contact_name="李女士")
    open_lead.last_activity_at = utcnow() - dt.timedelta(days=4 * 365)
    recent = create_lead(contact_name="赵先生")
    closed_long_ago(recent, LeadStatus.WON, days=30)
    db.session.commit()
    assert erase_expired() == {"leads": 0}
    db.session.expire_all()
    assert db.session.get(Lead, open_lead.id).contact_name == "李女士"
    assert db.session.get(Lead, recent.id).contact_name == "赵先生"
    assert audit_rows(AuditAction.RETENTION_ERASE) == []


def test_retention_zero_keeps_everything(app, client, create_lead, agent, admin, token_for):
    client.put("/api/privacy/settings", json={"retention_days": 0}, headers=token_for(admin))
    lead = create_lead(contact_name="钱先生")
    closed_long_ago(lead, days=20 * 365)
    assert erase_expired() == {"leads": 0}


def test_retention_is_on_the_beat_schedule(app):
    entry = beat_schedule(app)["erase-expired-personal-data"]
    assert entry["task"] == "tasks.privacy.erase_expired"
    assert "tasks.privacy" in TASK_MODULES


# --- erasure on request ------------------------------------------------------------------------


def test_admin_erases_a_person_by_phone_everywhere(
    app, client, create_lead, agent, admin, token_for
):
    wechat(client, build_subscribe_xml(OPENID))
    wechat(client, build_text_xml(OPENID, f"想租3000平仓库，电话{PHONE}"))
    first = db.session.scalars(select(Lead).where(Lead.phone == E164)).one()
    closed_long_ago(first, days=10)
    second = create_lead(phone=PHONE, contact_name="王先生", message="还想看看土地")  # open
    other = create_lead(contact_name="别人")

    response = client.post("/api/privacy/erase", json={"phone": "138 1234 5678"},
                           headers=token_for(admin))  # fmt: skip
    assert response.status_code == 200
    result = response.get_json()
    assert sorted(result["leads"]) == sorted([first.id, second.id])
    assert result["followers"] == 1
    assert result["messages"] == 2

    db.session.expire_all()
    for lead_id in (first.id, second.id):
        lead = db.session.get(Lead, lead_id)
        assert (lead.phone, lead.contact_name, lead.wechat_openid, lead.message) == (None,) * 4
    assert db.session.get(Lead, other.id).contact_name == "别人"
    assert count(InboundMessage, InboundMessage.openid == OPENID) == 0
    assert count(Lead, Lead.phone == E164) == 0

    audit_log = client.get("/api/audit?action=erase_person", headers=token_for(admin)).get_json()
    entry = audit_log["items"][0]
    assert entry["agent_id"] == admin.id
    assert entry["detail"]["phone"] == "+86138****5678"  # the log names no one in full
    assert PHONE not in repr(entry)


def test_admin_erases_by_openid_on_the_page(app, client, admin):
    wechat(client, build_subscribe_xml(OPENID))
    wechat(client, build_text_xml(OPENID, "想买30亩工业用地"))  # no phone: a follower only
    browser = page_client(app, admin.login)
    response = browser.post(
        "/app/admin/privacy/erase",
        data={"openid": OPENID, "csrf_token": csrf_token(browser, "/app/admin/privacy")},
    )
    assert response.status_code == 302
    assert count(WechatUser, WechatUser.openid == OPENID) == 0
    assert count(InboundMessage, InboundMessage.openid == OPENID) == 0
    page = browser.get("/app/admin/audit").get_data(as_text=True)
    assert 'data-action="erase_person"' in page


def test_erase_needs_a_phone_or_openid(client, admin, token_for):
    response = client.post("/api/privacy/erase", json={}, headers=token_for(admin))
    assert response.status_code == 400
    bad = client.post("/api/privacy/erase", json={"phone": "12"}, headers=token_for(admin))
    assert bad.status_code == 400


def test_agents_and_team_leads_cannot_erase_or_read_the_audit_log(client, agent, chief, token_for):
    for who in (agent, chief):
        headers = token_for(who)
        assert client.post("/api/privacy/erase", json={"phone": PHONE},
                           headers=headers).status_code == 403  # fmt: skip
        assert client.get("/api/audit", headers=headers).status_code == 403


# --- exports -----------------------------------------------------------------------------------


def exported_phones(client, headers) -> list[str]:
    response = client.get("/api/leads/export?format=csv", headers=headers)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    column = rows[0].index("电话")
    return [row[column] for row in rows[1:]]


def test_team_lead_export_masks_phones_and_admin_export_shows_them(
    client, create_lead, agent, chief, admin, token_for
):
    create_lead(phone=PHONE, contact_name="王先生")
    masked = exported_phones(client, token_for(chief))
    assert masked == ["138****5678"]
    full = exported_phones(client, token_for(admin))
    assert full == [E164]
    exports = audit_rows(AuditAction.EXPORT)
    assert [(e.agent_id, e.detail["phones_masked"], e.detail["rows"]) for e in exports] == [
        (chief.id, True, 1),
        (admin.id, False, 1),
    ]


def test_page_export_is_audited_too(app, create_lead, agent, chief):
    create_lead(phone=PHONE)
    browser = page_client(app, chief.login)
    response = browser.get("/app/leads/export?format=csv")
    assert response.status_code == 200
    assert PHONE not in response.get_data(as_text=True)
    assert audit_rows(AuditAction.EXPORT)[-1].agent_id == chief.id


def test_privacy_pages_in_english_when_chosen(app, client, admin):
    html = page_client(app, admin.login).get("/app/admin/privacy?lang=en").get_data(as_text=True)
    assert "Notice and retention" in html
    assert "Erase a person's data" in html
    form = client.get("/enquiry?lang=en").get_data(as_text=True)
    assert ">Privacy notice</a>" in form


def test_report_exports_are_audited(app, client, chief, token_for):
    response = client.get("/api/reports/funnel?format=csv", headers=token_for(chief))
    assert response.status_code == 200
    browser = page_client(app, chief.login)
    assert browser.get("/app/reports/funnel.xlsx").status_code == 200
    entries = audit_rows(AuditAction.EXPORT)
    assert [(e.detail["what"], e.detail["format"]) for e in entries] == [
        ("funnel_report", "csv"),
        ("funnel_report", "xlsx"),
    ]
    assert {e.agent_id for e in entries} == {chief.id}


def test_retention_erases_silent_followers_who_never_became_a_lead(app, client):
    wechat(client, build_subscribe_xml(OPENID))
    wechat(client, build_text_xml(OPENID, "随便问问"))
    recent = "oPrivacyRecentFollower000001"
    wechat(client, build_subscribe_xml(recent), openid=recent)
    user = db.session.scalars(select(WechatUser).where(WechatUser.openid == OPENID)).one()
    user.last_inbound_at = user.created_at = utcnow() - dt.timedelta(days=4 * 365)
    db.session.commit()
    erase_expired()
    assert count(WechatUser, WechatUser.openid == OPENID) == 0
    assert count(InboundMessage, InboundMessage.openid == OPENID) == 0
    assert count(WechatUser, WechatUser.openid == recent) == 1
    entry = audit_rows(AuditAction.RETENTION_ERASE)[-1]
    assert (entry.detail["followers"], entry.detail["messages"]) == (1, 2)
