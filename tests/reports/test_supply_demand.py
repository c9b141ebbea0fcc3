"""The supply and demand report: open leads against available listings by kind, district and
area band, on the reports page (SVG chart, CSV/XLSX) and as JSON (docs/listings.md)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.listings.conftest import make_listing  # noqa: F401 - the fixture
from tests.workspace.helpers import Browser


def _seed(create_lead, make_listing):  # noqa: F811
    create_lead(need_type="factory", area_min_m2=4000, area_max_m2=6000, district="芦淞区")
    create_lead(need_type="factory", area_min_m2=3000, area_max_m2=4500, district="芦淞区")
    create_lead(need_type="land", area_min_m2=30000, area_max_m2=40000, district="天元区")
    make_listing(district="芦淞区", area_m2=4800, available_m2=4800)
    make_listing(kind="warehouse", subtype="ambient", district="石峰区", area_m2=800,
                 available_m2=800, min_split_m2=None)  # fmt: skip


def test_the_json_joins_demand_and_supply(client, admin, token_for, create_lead, make_listing):  # noqa: F811
    _seed(create_lead, make_listing)
    response = client.get("/api/reports/supply-demand", headers=token_for(admin))
    assert response.status_code == 200
    rows = {(r["kind"], r["district"], r["band"]): r for r in response.get_json()["rows"]}
    factory = rows[("factory", "芦淞区", "1000-5000")]
    assert (factory["demand_leads"], factory["supply_listings"]) == (1, 1)
    assert rows[("factory", "芦淞区", "5000-20000")]["demand_leads"] == 1
    land = rows[("land", "天元区", "20000-66667")]
    assert land["gap"] is True
    assert land["supply_listings"] == 0
    warehouse = rows[("warehouse", "石峰区", "<1000")]
    assert (warehouse["demand_leads"], warehouse["supply_listings"], warehouse["gap"]) == (
        0,
        1,
        False,
    )


def test_agents_may_not_read_it(client, agent, token_for):
    assert client.get("/api/reports/supply-demand", headers=token_for(agent)).status_code == 403


def test_the_reports_page_draws_it_and_exports_it(app, admin, create_lead, make_listing):  # noqa: F811
    _seed(create_lead, make_listing)
    page = Browser(app.test_client()).log_in(admin)
    html = page.text("/app/reports")
    assert 'id="chart-supply-demand"' in html
    assert "需求与供给" in html
    assert html.count('class="gap"') == 2  # land in 天元区, factories of 5000+ ㎡ in 芦淞区
    csv_text = page.get("/app/reports/supply-demand.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("类型,区县,面积段")
    assert "土地,天元区,20000-66667,1" in csv_text
    xlsx = page.get("/app/reports/supply-demand.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.get_data())).active.iter_rows(values_only=True))
    assert rows[0][0] == "类型"
    assert len(rows) == 5
