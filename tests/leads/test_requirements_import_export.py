"""Lead requirements for matching listings in the CSV/XLSX import and export (docs/listings.md)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select

from app.core.db import db
from app.leads.models import Lead

HEADER = ["公司", "电话", "需求", "面积", "最低层高（米）", "行车", "配电容量", "承重", "环评类别",
          "租金预算", "地价预算"]  # fmt: skip


def test_import_reads_the_requirement_columns(client, admin, token_for):
    rows = [
        HEADER,
        ["湘能电池", "13812349001", "厂房", "2000", "8", "10", "630", "3", "喷涂", "18", ""],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = client.post(
        "/api/leads/import",
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "leads.csv")},
        headers=token_for(admin),
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    lead = db.session.scalars(select(Lead).where(Lead.phone == "+8613812349001")).one()
    assert lead.ceiling_height_min_m == Decimal(8)
    assert lead.crane_t == Decimal(10)
    assert lead.power_kva == 630
    assert lead.floor_load_t_m2 == Decimal(3)
    assert lead.eia_category == "喷涂"
    assert lead.budget_rent_yuan_m2_month == Decimal(18)
    assert lead.budget_land_wan_per_mu is None


def test_import_refuses_absurd_requirements_per_cell(client, admin, token_for):
    rows = [HEADER, ["湘能电池", "13812349002", "厂房", "2000", "200", "", "", "", "", "-1", ""]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    response = client.post(
        "/api/leads/import?dry_run=1",
        data={"file": (io.BytesIO(buffer.getvalue().encode()), "leads.csv")},
        headers=token_for(admin),
        content_type="multipart/form-data",
    )
    fields = {error["field"] for error in response.get_json()["errors"]}
    assert fields == {"ceiling_height_min_m", "budget_rent_yuan_m2_month"}


def test_export_has_the_requirement_columns(client, admin, token_for, create_lead):
    create_lead(ceiling_height_min_m=Decimal("8.5"), eia_category="电镀", power_kva=800)
    response = client.get("/api/leads/export?format=csv", headers=token_for(admin))
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("最低层高")] == "8.5"
    assert row[header.index("环评类别")] == "电镀"
    assert row[header.index("配电容量")] == "800"
