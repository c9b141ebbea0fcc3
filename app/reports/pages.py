"""The reports page `/app/reports` (admins: every lead; team leads: their team's) and its
CSV/XLSX downloads for people logged in with a session.

Every figure comes from `funnel_report` (computed in SQL); the page only lays it out and draws
the charts as inline SVG (app/reports/charts.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import Agent, Role
from app.accounts.pages_auth import role_required
from app.reports import charts, present, supply_demand
from app.reports.export import XLSX_MIMETYPE, csv_response, record_export, xlsx_response
from app.reports.queries import GROUPS, ReportQuery, funnel_report
from app.reports.routes import MAX_RANGE_DAYS, report_query_from_args

bp = Blueprint("reports_pages", __name__, url_prefix="/app/reports", template_folder="templates")
readers_only = role_required(Role.ADMIN, Role.LEAD)


class BadArgs(Exception):
    """The query string asks for a report that cannot be made; the message says why."""


def _default_range() -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()
    return today - dt.timedelta(days=29), today


def _date(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadArgs(_("日期格式应为 2026-01-31：%(value)s", value=raw)) from None


def _checked_query(agent: Agent) -> ReportQuery:
    """The page's own checks, worded for people, before the API's (which then pass)."""
    first, last = _default_range()
    start, end = _date("from", first), _date("to", last)
    if end < start:
        raise BadArgs(_("结束日期不能早于开始日期"))
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadArgs(_("日期范围最长三年"))
    if request.args.get("group_by", "none") not in GROUPS:
        raise BadArgs(_("不支持这种分组方式"))
    return report_query_from_args(agent)


def _local_range(query: ReportQuery) -> tuple[dt.date, dt.date]:
    zone = ZoneInfo(query.tz)
    return query.start.astimezone(zone).date(), (
        query.end.astimezone(zone) - dt.timedelta(days=1)
    ).date()


def _charts(query: ReportQuery, report: dict[str, Any]) -> dict[str, Any]:
    def regrouped(group_by: str) -> dict[str, Any]:
        if query.group_by == group_by:
            return report
        return funnel_report(dataclasses.replace(query, group_by=group_by))

    series = (_("新增线索"), _("签约"))
    empty = _("所选时间内没有线索")
    return {
        "funnel": charts.funnel_chart(
            present.funnel_steps(report["totals"]), title=_("转化漏斗"), empty=empty
        ),
        "trend": charts.trend_chart(
            present.created_won_pairs(regrouped("week")),
            title=_("每周新增与签约"),
            series=series,
            empty=empty,
        ),
        "agents": charts.pair_bars(
            present.created_won_pairs(regrouped("agent")),
            title=_("各招商专员新增与签约"),
            series=series,
            empty=empty,
            more=_("另有 {n} 位未显示"),
        ),
    }


@bp.get("")
@readers_only
def page() -> tuple[str, int]:
    agent: Agent = current_user._get_current_object()
    try:
        query = _checked_query(agent)
    except BadArgs as exc:
        flash(str(exc), "error")
        start, end = _default_range()
        return render_template(
            "reports/page.html", report=None, start=start, end=end,
            group_by="none", group_names=present.GROUP_NAMES, team_only=agent.role is Role.LEAD,
        ), 400  # fmt: skip
    report = funnel_report(query)
    start, end = _local_range(query)
    return render_template(
        "reports/page.html",
        report=report,
        charts=_charts(query, report),
        start=start,
        end=end,
        group_by=query.group_by,
        group_names=present.GROUP_NAMES,
        present=present,
        team_only=agent.role is Role.LEAD,
        export_args={"from": start.isoformat(), "to": end.isoformat(), "group_by": query.group_by},
        supply_demand=_supply_demand_section(),
    ), 200


# --- supply and demand (app/reports/supply_demand.py) ---------------------------------------


def _supply_demand_section() -> dict[str, Any]:
    report = supply_demand.supply_demand()
    header, body = supply_demand.table(report)
    return {"chart": supply_demand.chart(report), "header": header, "rows": body,
            "gaps": [r for r in report["rows"] if r["gap"]]}  # fmt: skip


@bp.get("/supply-demand.csv")
@readers_only
def supply_demand_csv() -> Response:
    body = supply_demand.as_csv(supply_demand.supply_demand())
    return Response(
        body, mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="parklead-supply-demand.csv"'},
    )  # fmt: skip


@bp.get("/supply-demand.xlsx")
@readers_only
def supply_demand_xlsx() -> Response:
    body = supply_demand.as_xlsx(supply_demand.supply_demand())
    return Response(
        body, mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": 'attachment; filename="parklead-supply-demand.xlsx"'},
    )  # fmt: skip


@bp.get("/funnel.xlsx")
@readers_only
def download_xlsx() -> Response:
    query = _download_query()
    report = funnel_report(query)
    record_export(current_user.id, "xlsx")
    return xlsx_response(query, report)


@bp.get("/funnel.csv")
@readers_only
def download_csv() -> Response:
    report = funnel_report(_download_query())
    record_export(current_user.id, "csv")
    return csv_response(report)


def _download_query() -> ReportQuery:
    try:
        return _checked_query(current_user._get_current_object())
    except BadArgs as exc:
        abort(400, str(exc))
