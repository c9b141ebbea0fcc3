"""The reports page /app/reports and its downloads, against the known history: every figure on
the page, in the charts and in the workbook is the funnel report's."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from app.accounts.models import Role
from app.leads.models import Channel, NeedType
from tests.reports.known_history import FUNNEL, RANGE, WEEKS, add_lead, at, seed_known_history
from tests.web.pages import chart, chart_values, page_client, text_of


@pytest.fixture
def known_history(make_agent, default_team):
    a = make_agent("agent_a", team=default_team, name="王招商")
    b = make_agent("agent_b", team=default_team, name="李招商")
    seed_known_history(a.id, b.id, default_team.id)
    return a, b


@pytest.fixture
def admin_client(app, admin):
    return page_client(app, admin.login)


def page(client, **params):
    response = client.get("/app/reports", query_string={**RANGE, **params})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_key_figures_are_the_reports(admin_client, known_history):
    html = page(admin_client)
    assert text_of(html, "m-created").endswith("5")
    assert text_of(html, "m-site-visits").endswith("2")
    assert text_of(html, "m-won").endswith("2")
    assert text_of(html, "m-conversion").endswith("40.0%")
    assert text_of(html, "m-landing").endswith("50.0%")
    assert text_of(html, "m-won-tax").endswith("1,300 万元")
    assert text_of(html, "m-first-contact").endswith("20 分钟 / 60 分钟")
    assert "60.0%" in text_of(html, "m-sla")
    assert "3 / 5" in text_of(html, "m-sla")
    assert text_of(html, "m-lost").endswith("2")
    assert "不含垃圾信息和重复线索（1 条）" in html


def test_funnel_table_shows_every_stage_and_its_conversion(admin_client, known_history):
    table = text_of(page(admin_client), "funnel-table")
    assert "已联系 4 80.0% 80.0%" in table
    assert "需求确认 2 50.0% 40.0%" in table
    assert "签约 2 100.0% 40.0%" in table
    assert "落地 1 50.0% 20.0%" in table
    assert "投产 0 0.0% 0.0%" in table


def test_funnel_chart_draws_each_stage_count_and_rate(admin_client, known_history):
    svg = chart(page(admin_client), "chart-funnel")
    assert svg.get("role") == "img"
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "转化漏斗"
    assert {k: int(v) for k, v in chart_values(svg).items()} == FUNNEL
    rates = chart_values(svg, "rate")
    assert rates["contacted"] == "80.0%"
    assert rates["qualified"] == "50.0%"
    assert rates["landed"] == "50.0%"
    assert "看厂/看地 2" in svg.find("{http://www.w3.org/2000/svg}desc").text


def test_weekly_trend_chart_shows_created_and_won_per_local_week(admin_client, known_history):
    svg = chart(page(admin_client), "chart-trend")
    created, won = chart_values(svg, "first"), chart_values(svg, "second")
    assert {k: (int(created[k]), int(won[k])) for k in created} == WEEKS
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "03-02" in labels
    assert "03-09" in labels


def test_agent_chart_shows_each_agents_created_and_won(admin_client, known_history):
    a, b = known_history
    svg = chart(page(admin_client), "chart-agents")
    created, won = chart_values(svg, "first"), chart_values(svg, "second")
    assert (created[str(a.id)], won[str(a.id)]) == ("3", "2")
    assert (created[str(b.id)], won[str(b.id)]) == ("2", "0")
    assert "王招商" in ET_text(svg)


def ET_text(svg) -> str:
    return " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))


def test_grouped_table_names_groups_and_ends_with_totals(admin_client, known_history):
    table = text_of(page(admin_client, group_by="channel"), "group-table")
    assert "电话 1 1 0 0 0 0.0% — 0 万元 30 分钟 30 分钟 100.0% 1" in table
    assert "网页表单 2 2 2 2 1 100.0% 50.0% 1,300 万元 10 分钟 20 分钟 100.0% 0" in table
    assert "微信 2 1 0 0 0 0.0% — 0 万元 60 分钟 60 分钟 0.0% 1" in table
    assert table.endswith("合计 5 4 2 2 1 40.0% 50.0% 1,300 万元 20 分钟 60 分钟 60.0% 2")


def test_lost_reasons_are_listed(admin_client, known_history):
    assert text_of(page(admin_client), "lost-reasons").endswith("价格太高 2")


def test_page_in_english(admin_client, known_history):
    html = page(admin_client, lang="en")
    assert "Conversion report" in html
    assert text_of(html, "m-won-tax").startswith("Expected annual tax of won projects")
    assert chart(html, "chart-funnel").find("{http://www.w3.org/2000/svg}title").text == (
        "Conversion funnel"
    )


def test_team_lead_sees_own_team_only(app, make_agent, make_team, default_team, known_history):
    own = page_client(app, make_agent("lead1", team=default_team, role=Role.LEAD).login)
    other = page_client(app, make_agent("lead2", team=make_team("招商二部"), role=Role.LEAD).login)
    assert text_of(page(own), "m-created").endswith("5")
    assert text_of(page(other), "m-created").endswith("0")
    assert "本团队" in page(other)


def test_agents_may_not_open_reports(app, agent):
    client = page_client(app, agent.login)
    assert client.get("/app/reports").status_code == 403
    assert client.get("/app/reports/funnel.xlsx").status_code == 403


def test_anonymous_visitors_are_sent_to_login(app):
    response = page_client(app).get("/app/reports")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-3-1x"}, "日期格式应为 2026-01-31"),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "结束日期不能早于开始日期"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "日期范围最长三年"),
        ({"group_by": "colour"}, "不支持这种分组方式"),
    ],
)
def test_bad_parameters_are_explained(admin_client, params, message):
    response = admin_client.get("/app/reports", query_string=params)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_empty_range_draws_empty_charts(admin_client):
    html = page(admin_client)
    assert "所选时间内没有线索" in text_of(html, "chart-funnel")


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_page_xlsx_has_a_sheet_per_grouping_with_totals(admin_client, known_history):
    response = admin_client.get(
        "/app/reports/funnel.xlsx", query_string={**RANGE, "group_by": "channel"}
    )
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = workbook(response.data)
    assert book.sheetnames == ["汇总", "按渠道", "按需求类型", "按区域", "按招商专员", "按周"]
    assert book.active.title == "按渠道"
    sheet = book["按渠道"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("分组", "新增线索", "排除（垃圾/重复）")
    assert [r[0] for r in rows[1:]] == ["电话", "网页表单", "微信", "合计"]
    header = rows[0]
    total = dict(zip(header, rows[-1], strict=True))
    assert total["新增线索"] == 5
    assert total["签约"] == 2
    assert total["签约项目预计年税收（万元）"] == 1300
    assert total["线索→签约转化率"] == 0.4
    assert total["SLA 达标率"] == 0.6
    assert sheet.cell(sheet.max_row, 1).font.b


def test_xlsx_weeks_and_agents_sheets(admin_client, known_history):
    response = admin_client.get("/app/reports/funnel.xlsx", query_string=RANGE)
    book = workbook(response.data)
    weeks = {r[0]: r[1] for r in book["按周"].iter_rows(min_row=2, values_only=True)}
    assert weeks == {"2026-03-02 起": 2, "2026-03-09 起": 3, "合计": 5}
    agents = {r[0]: r[1] for r in book["按招商专员"].iter_rows(min_row=2, values_only=True)}
    assert agents == {"王招商": 3, "李招商": 2, "未分配": 0, "合计": 5}
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r[0]}
    assert (summary["开始日期"], summary["结束日期"]) == ("2026-03-02", "2026-03-15")
    assert summary["首次联系用时中位数（分钟）"] == 20
    assert summary["价格太高"] == 2


def test_api_xlsx_export(client, admin, token_for, known_history):
    response = client.get(
        "/api/reports/funnel",
        headers=token_for(admin),
        query_string={**RANGE, "group_by": "week", "format": "xlsx"},
    )
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == "attachment; filename=parklead-funnel-2026-03-02-2026-03-15.xlsx"
    book = workbook(response.data)
    assert book.active.title == "按周"
    assert book["按需求类型"].cell(book["按需求类型"].max_row, 2).value == 5


def test_xlsx_keeps_formula_like_text_as_text(admin_client, make_agent, default_team):
    agent = make_agent("x", team=default_team, name='=HYPERLINK("http://evil")')
    add_lead(created=at(4), channel=Channel.PHONE, need=NeedType.LAND, agent_id=agent.id,
          team_id=default_team.id, path=["assigned", "contacted", "lost"],
          lost_reason="=1+1")  # fmt: skip
    book = workbook(admin_client.get("/app/reports/funnel.xlsx", query_string=RANGE).data)
    names = [c.value for c in book["按招商专员"]["A"]]
    assert '=HYPERLINK("http://evil")' in names
    assert book["按招商专员"]["A2"].data_type == "s"
    assert "=1+1" in [c.value for c in book["汇总"]["A"]]


def test_csv_download_for_session_users(admin_client, known_history):
    response = admin_client.get(
        "/app/reports/funnel.csv", query_string={**RANGE, "group_by": "channel"}
    )
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    # For people: the reader's headers and group names (docs/i18n.md); the API keeps its own.
    assert lines[0].startswith("分组,新增线索,到达新线索")
    assert set(re.findall(r"[A-Za-z]+", lines[0])) <= {"SLA", "P"}, lines[0]
    assert [line.split(",")[0] for line in lines[1:]] == ["电话", "网页表单", "微信", "合计"]
    assert lines[-1].split(",")[:2] == ["合计", "5"]
