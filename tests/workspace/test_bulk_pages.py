"""Pages for leads taken by phone, import (admins) and export (team leads, admins)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.core.db import db
from app.leads.models import Channel, Lead, LeadStatus
from tests.workspace.helpers import csrf_token


def lead_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead)) or 0


CSV = "公司,电话,需求\n湘能电池,13812345001,厂房\n坏电话,12345,厂房\n".encode()
CLEAN_CSV = "公司,电话,需求\n湘能电池,13812345001,厂房\n株洲精工,13812345002,土地\n".encode()


# --- a lead taken by phone -------------------------------------------------------------------


def test_new_lead_page_creates_a_phone_lead_assigned_to_me(browse, agent):
    response = browse(agent).post(
        "/app/leads/new",
        {"company": "来电公司", "phone": "13812345010", "need_type": "warehouse", "area_min": "2",
         "area_unit": "mu"},
    )  # fmt: skip
    assert response.status_code == 303
    lead = db.session.scalars(select(Lead)).one()
    assert response.headers["Location"] == f"/app/leads/{lead.id}"
    assert lead.channel is Channel.PHONE
    assert lead.agent_id == agent.id
    assert lead.status is LeadStatus.ASSIGNED


def test_new_lead_page_shows_the_problems_and_keeps_the_input(browse, agent):
    response = browse(agent).post("/app/leads/new", {"company": "来电公司", "phone": "555"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="e-phone"' in html
    assert 'value="来电公司"' in html
    assert lead_count() == 0


def test_new_lead_page_without_the_csrf_token_is_refused(browse, agent):
    response = browse(agent).post("/app/leads/new", {"phone": "13812345011"}, csrf=False)
    assert response.status_code == 400
    assert lead_count() == 0


def test_admin_gives_a_new_lead_to_an_agent(browse, admin, agent):
    browse(admin).post("/app/leads/new", {"phone": "13812345012", "agent_id": str(agent.id)})
    assert db.session.scalars(select(Lead)).one().agent_id == agent.id


def test_agents_see_no_agent_picker(browse, agent):
    assert 'name="agent_id"' not in browse(agent).text("/app/leads/new")


# --- import ----------------------------------------------------------------------------------


def upload(browser, data: bytes, action: str, *, csrf: bool = True):
    form = {"file": (io.BytesIO(data), "leads.csv"), "action": action}
    if csrf:
        form["csrf_token"] = csrf_token(browser.text("/app/import"))
    return browser.client.post("/app/import", data=form, content_type="multipart/form-data")


def test_import_page_is_for_admins(browse, agent):
    assert browse(agent).get("/app/import").status_code == 403


def test_import_page_documents_the_columns(browse, admin):
    html = browse(admin).text("/app/import")
    assert "contact_name" in html
    assert "年税收" in html


def test_import_page_check_lists_row_errors_and_writes_nothing(browse, admin):
    response = upload(browse(admin), CSV, "check")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "预检结果" in html
    assert "<td>3</td><td>电话</td>" in html
    assert lead_count() == 0


def test_import_page_with_an_error_row_imports_nothing(browse, admin):
    response = upload(browse(admin), CSV, "import")
    assert response.status_code == 400
    assert "未导入任何线索" in response.get_data(as_text=True)
    assert lead_count() == 0


def test_import_page_imports_a_clean_file(browse, admin):
    response = upload(browse(admin), CLEAN_CSV, "import")
    assert response.status_code == 200
    assert "已导入 2 条线索" in response.get_data(as_text=True)
    assert lead_count() == 2


def test_import_page_without_the_csrf_token_is_refused(browse, admin):
    response = upload(browse(admin), CLEAN_CSV, "import", csrf=False)
    assert response.status_code == 400
    assert lead_count() == 0


# --- export ----------------------------------------------------------------------------------


def test_export_page_downloads_my_queue_as_csv(browse, team_lead, create_lead):
    lead = create_lead(company="导出的公司")
    lead.agent_id, lead.status = team_lead.id, LeadStatus.ASSIGNED
    db.session.commit()
    response = browse(team_lead).get("/app/leads/export?format=csv&view=queue")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "导出的公司" in response.get_data().decode("utf-8-sig")


def test_export_page_is_not_for_agents(browse, agent):
    assert browse(agent).get("/app/leads/export?format=csv").status_code == 403
