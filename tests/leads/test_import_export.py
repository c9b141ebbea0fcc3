"""CSV/XLSX import (dry run, all-or-nothing real run, dedupe by phone) and CSV/XLSX export
(filters, visibility, formula-injection safety, size bound)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import func, select

from app.core.db import db
from app.leads import bulk
from app.leads.models import Channel, EventType, Lead, LeadEvent, LeadStatus, NeedType
from tests.workspace.helpers import assert_error, give

HEADER = ["公司", "联系人", "电话", "需求", "面积", "年税收（万元）", "区域"]


@pytest.fixture
def admin_headers(admin, token_for):
    return token_for(admin)


@pytest.fixture
def other_team(make_team):
    return make_team("招商二部")


def csv_bytes(rows: list[list[object]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, headers, data: bytes, name: str = "leads.csv", *, dry_run: bool):
    query = "?dry_run=1" if dry_run else ""
    return client.post(
        f"/api/leads/import{query}",
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def lead_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead)) or 0


GOOD = [
    HEADER,
    ["湘能电池", "王先生", "13812340001", "厂房", "3000-5000", 300, "芦淞区"],
    ["株洲精工", "李女士", "0731-28881234", "土地", "30亩", "", "天元区"],
]
BAD = [
    HEADER,
    ["好公司", "张三", "13812340011", "厂房", "5000", "", ""],
    ["坏电话", "李四", "12345", "厂房", "5000", "", ""],
    ["坏需求", "王五", "13812340012", "城堡", "abc", "-5", ""],
]


# --- the dry run -----------------------------------------------------------------------------


def test_dry_run_lists_row_errors_with_row_column_and_message(client, admin_headers):
    response = upload(client, admin_headers, csv_bytes(BAD), dry_run=True)
    assert response.status_code == 200, response.get_json()
    errors = {(e["row"], e["field"]) for e in response.get_json()["errors"]}
    assert errors == {(3, "phone"), (4, "need_type"), (4, "area"), (4, "tax_wan")}
    [phone] = [e for e in response.get_json()["errors"] if e["field"] == "phone"]
    assert phone["column"] == "电话"
    assert phone["message"]


def test_dry_run_writes_nothing(client, admin_headers):
    response = upload(client, admin_headers, csv_bytes(GOOD), dry_run=True)
    assert response.get_json()["valid"] == 2
    assert lead_count() == 0


def test_dry_run_reads_xlsx_built_in_excel(client, admin_headers):
    response = upload(client, admin_headers, xlsx_bytes(BAD), "leads.xlsx", dry_run=True)
    body = response.get_json()
    assert body["rows"] == 3
    assert {e["row"] for e in body["errors"]} == {3, 4}


def test_dry_run_reports_rows_whose_phone_has_an_open_lead(client, admin_headers, lead):
    rows = [HEADER, ["重复公司", "", lead.phone, "厂房", "", "", ""]]
    body = upload(client, admin_headers, csv_bytes(rows), dry_run=True).get_json()
    assert body["duplicates"] == [
        {"row": 2, "phone": lead.phone, "lead_id": lead.id, "reference": lead.reference}
    ]
    assert body["valid"] == 0


def test_dry_run_reports_a_phone_repeated_within_the_file(client, admin_headers):
    rows = [
        HEADER,
        ["甲", "", "13812340021", "", "", "", ""],
        ["乙", "", "138 1234 0021", "", "", "", ""],
    ]
    body = upload(client, admin_headers, csv_bytes(rows), dry_run=True).get_json()
    assert body["duplicates"] == [{"row": 3, "phone": "+8613812340021", "same_as_row": 2}]
    assert body["valid"] == 1


# --- the real run ----------------------------------------------------------------------------


def test_import_creates_leads_from_the_valid_rows(client, admin, admin_headers):
    response = upload(client, admin_headers, csv_bytes(GOOD), dry_run=False)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["created"] == 2
    leads = list(db.session.scalars(select(Lead).order_by(Lead.id)))
    assert [lead.company for lead in leads] == ["湘能电池", "株洲精工"]
    first, second = leads
    assert first.channel is Channel.IMPORT
    assert (first.area_min_m2, first.area_max_m2) == (Decimal(3000), Decimal(5000))
    assert first.tax_wan == 300
    assert second.need_type is NeedType.LAND
    assert second.area_min_m2 == Decimal("20000.10")  # 30 亩
    assert second.phone == "+8673128881234"
    assert first.source["row"] == "2"


def test_import_writes_a_created_event_per_lead_by_the_admin(client, admin, admin_headers):
    upload(client, admin_headers, csv_bytes(GOOD), dry_run=False)
    created = list(db.session.scalars(select(LeadEvent).where(LeadEvent.type == EventType.CREATED)))
    assert len(created) == 2
    assert {e.agent_id for e in created} == {admin.id}


def test_import_with_any_row_error_writes_nothing(client, admin_headers):
    response = upload(client, admin_headers, csv_bytes(BAD), dry_run=False)
    error = assert_error(response, 400, "import_rejected")
    assert {e["row"] for e in error["report"]["errors"]} == {3, 4}
    assert lead_count() == 0


def test_import_skips_rows_whose_phone_has_an_open_lead(client, admin_headers, lead):
    rows = [
        HEADER,
        ["重复公司", "", lead.phone, "", "", "", ""],
        ["新公司", "", "13812340031", "", "", "", ""],
    ]
    body = upload(client, admin_headers, csv_bytes(rows), dry_run=False).get_json()
    assert body["created"] == 1
    assert lead_count() == 2
    assert db.session.get(Lead, lead.id).company == "湘能电池科技有限公司"


def test_import_takes_a_phone_of_a_closed_lead(client, admin_headers, lead):
    give(lead, None, status=LeadStatus.LOST, lost_reason="选了别处")
    rows = [HEADER, ["回头客", "", lead.phone, "", "", "", ""]]
    assert upload(client, admin_headers, csv_bytes(rows), dry_run=False).get_json()["created"] == 1


def test_import_reads_xlsx_with_numeric_phone_cells(client, admin_headers):
    rows = [["company", "phone", "need_type", "area_min_m2", "tax_wan"],
            ["Excel 公司", 13812340041, "factory", 1500.5, 12]]  # fmt: skip
    response = upload(client, admin_headers, xlsx_bytes(rows), "x.xlsx", dry_run=False)
    assert response.status_code == 201, response.get_json()
    lead = db.session.scalars(select(Lead)).one()
    assert lead.phone == "+8613812340041"
    assert lead.area_min_m2 == Decimal("1500.50")


def test_import_reads_gbk_csv_saved_by_chinese_excel(client, admin_headers):
    data = csv_bytes(GOOD, encoding="gbk")
    body = upload(client, admin_headers, data, dry_run=True).get_json()
    assert body["valid"] == 2
    assert body["columns"]["公司"] == "company"


def test_import_lists_unknown_columns_and_ignores_them(client, admin_headers):
    rows = [["电话", "客户等级"], ["13812340051", "A"]]
    body = upload(client, admin_headers, csv_bytes(rows), dry_run=True).get_json()
    assert body["ignored_columns"] == ["客户等级"]
    assert body["valid"] == 1


def test_import_needs_a_phone_or_wechat_column(client, admin_headers):
    response = upload(client, admin_headers, csv_bytes([["公司"], ["甲"]]), dry_run=True)
    assert "file" in assert_error(response, 400)["fields"]


def test_import_refuses_more_rows_than_the_limit(client, admin_headers, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_IMPORT_ROWS", 2)
    rows = [["电话"], ["13812340061"], ["13812340062"], ["13812340063"]]
    response = upload(client, admin_headers, csv_bytes(rows), dry_run=True)
    assert "file" in assert_error(response, 400)["fields"]


def test_import_refuses_old_xls_files(client, admin_headers):
    data = b"\xd0\xcf\x11\xe0" + b"\0" * 100
    response = upload(client, admin_headers, data, "old.xls", dry_run=True)
    assert "xls" in assert_error(response, 400)["message"]


def test_import_refuses_a_broken_xlsx(client, admin_headers):
    response = upload(client, admin_headers, b"PK\x03\x04garbage", "x.xlsx", dry_run=True)
    assert "file" in assert_error(response, 400)["fields"]


def test_import_without_a_file_is_400(client, admin_headers):
    response = client.post("/api/leads/import", data={}, headers=admin_headers,
                           content_type="multipart/form-data")  # fmt: skip
    assert "file" in assert_error(response, 400)["fields"]


def test_import_is_for_admins(client, agent, token_for):
    response = upload(client, token_for(agent), csv_bytes(GOOD), dry_run=True)
    assert_error(response, 403)


def test_import_accepts_files_larger_than_the_json_body_limit(client, admin_headers):
    rows = [HEADER] + [
        [f"公司{n}", "联系人", f"1381{n:07d}", "厂房", "", "", "x" * 60] for n in range(3000)
    ]
    data = csv_bytes(rows)
    assert len(data) > 256 * 1024
    assert upload(client, admin_headers, data, dry_run=True).status_code == 200


@pytest.mark.parametrize(
    ("header", "field"),
    [("公司名称", "company"), ("Company", "company"), ("手机号", "phone"),
     ("年税收（万元）", "tax_wan"), ("面积 (㎡)", "area"), ("*电话", "phone"),
     ("contact_name", "contact_name"), ("意向区域", "district")],
)  # fmt: skip
def test_import_headers_accept_chinese_english_and_units(header, field):
    assert bulk.column_for(header) == field


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("5000", (5000, 5000)), ("3000-5000", (3000, 5000)), ("3,000～5,000㎡", (3000, 5000)),
     ("30亩", (Decimal("20000.10"), Decimal("20000.10"))), ("20至30亩", (Decimal("13333.40"),
     Decimal("20000.10"))), (1200, (1200, 1200)), ("800平米", (800, 800))],
)  # fmt: skip
def test_import_reads_areas_in_m2_and_mu(cell, expected):
    assert bulk.parse_area(cell) == tuple(Decimal(v) for v in expected)


def test_import_area_that_is_not_a_number_is_an_error():
    with pytest.raises(ValueError):
        bulk.parse_area("很大")


# --- export ----------------------------------------------------------------------------------


def export_csv(client, headers, query: str = "") -> list[list[str]]:
    response = client.get(f"/api/leads/export?format=csv{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_csv_has_a_bom_headers_and_a_row_per_lead(client, lead, admin_headers):
    rows = export_csv(client, admin_headers)
    assert rows[0][:3] == ["编号", "状态", "渠道"]
    assert len(rows) == 2
    assert rows[1][0] == lead.reference
    assert lead.phone in rows[1]


def test_export_neutralises_formulas(client, create_lead, admin_headers):
    for name in ('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "\t=1"):
        create_lead(company=name)
    companies = [row[3] for row in export_csv(client, admin_headers)[1:]]
    assert all(c.startswith("'") for c in companies), companies


def test_export_keeps_plain_numbers_such_as_phones(client, lead, admin_headers):
    row = export_csv(client, admin_headers)[1]
    assert lead.phone in row  # +86... is a number, not a formula


def test_export_applies_the_filters(client, create_lead, admin, admin_headers):
    keep = create_lead(company="芦淞的客户", district="芦淞区")
    create_lead(company="天元的客户", district="天元区")
    rows = export_csv(client, admin_headers, "&district=芦淞区&q=客户")
    assert [r[0] for r in rows[1:]] == [keep.reference]


def test_export_applies_the_status_filter(client, create_lead, admin_headers):
    won = give(create_lead(), None, status=LeadStatus.WON)
    create_lead()
    rows = export_csv(client, admin_headers, "&status=won")
    assert [r[0] for r in rows[1:]] == [won.reference]


def test_export_by_a_team_lead_holds_only_visible_leads(
    client, make_agent, default_team, other_team, create_lead, token_for
):
    from app.accounts.models import Role

    chief = make_agent("chen", role=Role.LEAD, team=default_team)
    ours = give(create_lead(), None, team=default_team, status=LeadStatus.ASSIGNED)
    stranger = make_agent("li", team=other_team)
    give(create_lead(), stranger)
    rows = export_csv(client, token_for(chief))
    assert [r[0] for r in rows[1:]] == [ours.reference]


def test_export_is_not_for_agents(client, agent, token_for):
    assert_error(client.get("/api/leads/export?format=csv", headers=token_for(agent)), 403)


def test_export_beyond_the_bound_is_refused_with_a_clear_message(
    client, create_lead, admin_headers, monkeypatch
):
    monkeypatch.setattr(bulk, "EXPORT_MAX_ROWS", 2)
    for _ in range(3):
        create_lead()
    error = assert_error(
        client.get("/api/leads/export?format=csv", headers=admin_headers), 400, "export_too_large"
    )
    assert "narrow the filters" in error["message"]


def test_export_at_the_bound_is_served(client, create_lead, admin_headers, monkeypatch):
    monkeypatch.setattr(bulk, "EXPORT_MAX_ROWS", 2)
    create_lead()
    create_lead()
    assert len(export_csv(client, admin_headers)) == 3


def test_export_xlsx_opens_in_openpyxl_without_formula_cells(client, create_lead, admin_headers):
    create_lead(company="=1+1", tax_wan=300)
    response = client.get("/api/leads/export?format=xlsx", headers=admin_headers)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows())
    assert rows[0][0].value == "编号"
    assert rows[1][3].value == "'=1+1"
    assert not any(cell.data_type == "f" for row in rows for cell in row)


def test_export_in_english_uses_the_import_headers(client, lead, admin_headers):
    rows = export_csv(client, admin_headers, "&lang=en")
    assert {"company", "phone", "need_type"} <= set(rows[0])


def test_exported_csv_imports_again_as_the_same_leads(client, lead, admin_headers):
    data = client.get("/api/leads/export?format=csv", headers=admin_headers).get_data()
    body = upload(client, admin_headers, data, dry_run=True).get_json()
    assert body["errors"] == []
    assert body["duplicates"][0]["lead_id"] == lead.id


def test_export_with_an_unknown_format_is_400(client, admin_headers):
    assert_error(client.get("/api/leads/export?format=pdf", headers=admin_headers), 400)
