"""Conversion reports API: `GET /api/reports/funnel` (admins: all; team leads: their team)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, request

from app.accounts.auth import current_agent, require_token
from app.accounts.models import Agent, Role
from app.core.apidoc import api_doc
from app.core.errors import ValidationFailed
from app.reports.export import XLSX_MIMETYPE, record_export, report_csv, xlsx_response
from app.reports.queries import GROUPS, ReportQuery, funnel_report
from app.reports.rollup import midnight
from app.reports.shapes import FunnelQuery, FunnelReport, SupplyDemand

bp = Blueprint("reports_api", __name__, url_prefix="/api/reports")
MAX_RANGE_DAYS = 3 * 366


def _date_arg(name: str, default: dt.date) -> dt.date:
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a date like 2026-01-31", fields={name: "YYYY-MM-DD"}
        ) from None


def report_query_from_args(agent: Agent | None = None) -> ReportQuery:
    """The report the query string asks for, scoped to what `agent` (default: the token's
    agent) may see."""
    tz = current_app.config["TIMEZONE"]
    zone = ZoneInfo(tz)
    today = dt.datetime.now(zone).date()
    start_day = _date_arg("from", today - dt.timedelta(days=29))
    end_day = _date_arg("to", today)  # inclusive
    if end_day < start_day:
        raise ValidationFailed("'to' is before 'from'", fields={"to": "on or after 'from'"})
    if (end_day - start_day).days > MAX_RANGE_DAYS:
        raise ValidationFailed(
            "the range is longer than three years",
            fields={"from": f"at most {MAX_RANGE_DAYS} days before 'to'"},
        )
    group_by = request.args.get("group_by", "none")
    if group_by not in GROUPS:
        raise ValidationFailed(
            f"cannot group by {group_by!r}", fields={"group_by": "one of " + ", ".join(GROUPS)}
        )
    agent = agent or current_agent()
    team_id = agent.team_id if agent.role is Role.LEAD else None
    start, end = midnight(start_day, zone), midnight(end_day + dt.timedelta(days=1), zone)
    return ReportQuery(start=start, end=end, group_by=group_by, team_id=team_id, tz=tz)


@bp.get("/funnel")
@api_doc(
    "Conversion funnel, SLA and won tax for a date range",
    tags="reports",
    description="Admins see every lead, team leads their team's. Dates are local "
    "(PARKLEAD_TIMEZONE), `to` inclusive; default the last 30 days.",
    auth=True,
    query=FunnelQuery,
    responses={
        200: {
            "application/json": FunnelReport,
            "text/csv": {"type": "string"},
            XLSX_MIMETYPE: {"type": "string", "format": "binary"},
        }
    },
    errors=(400, 401, 403),
)
@require_token(Role.ADMIN, Role.LEAD)
def funnel() -> Any:
    query = report_query_from_args()
    report = funnel_report(query)
    if request.args.get("format") in ("xlsx", "csv"):
        record_export(current_agent().id, request.args["format"])
    if request.args.get("format") == "xlsx":
        return xlsx_response(query, report)
    if request.args.get("format") == "csv":
        name = f"parklead-funnel-{report['group_by']}.csv"
        return Response(
            report_csv(report),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )
    return jsonify(report)


@bp.get("/supply-demand")
@api_doc(
    "Open demand against available supply by kind, district, area band",
    tags="reports",
    description="Open leads (by need type, first district, area band of the larger end of "
    "the need) against available listings (by kind, district, band of the available area); "
    "`gap` where leads wait and nothing is available.",
    auth=True,
    responses={200: SupplyDemand},
    errors=(401, 403),
)
@require_token(Role.ADMIN, Role.LEAD)
def supply_demand_report() -> Any:
    """Open demand against available supply by kind, district and area band
    (docs/listings.md "Supply and demand")."""
    from app.reports.supply_demand import supply_demand

    return jsonify(supply_demand())
