"""Funnel reports as files: CSV (one row per group plus totals, machine column names) and
XLSX (translated headers, a summary sheet and one sheet per grouping)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, request
from flask_babel import gettext as _

from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import db
from app.core.spreadsheets import looks_like_formula, safe_cell
from app.reports.queries import GROUPS, STAGES, ReportQuery, funnel_report


def _people_header(name: str) -> str:
    """A machine column name of the CSV in the reader's words (the page's download)."""
    from app.reports.present import stage_label

    if name.startswith("reached_"):
        return _("到达%(stage)s", stage=stage_label(name.removeprefix("reached_")))
    words = {
        "group": _("分组"), "created": _("新增线索"),
        "conversion_won_per_created": _("线索→签约转化率"), "landing_rate": _("签约→落地率"),
        "won": _("签约"), "won_tax_wan": _("签约项目预计年税收（万元）"), "lost": _("流失"),
        "first_contact_median_min": _("首次联系用时中位数（分钟）"),
        "first_contact_p90_min": _("首次联系用时 P90（分钟）"), "sla_met": _("SLA 达标"),
        "sla_due": _("SLA 应达"), "sla_compliance": _("SLA 达标率"),
    }  # fmt: skip
    return words.get(name, name)


def report_rows(
    report: dict[str, Any], *, people: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """The CSV's header and rows: machine names for the API, the reader's words for the page
    (`people`, docs/i18n.md)."""
    header = [
        "group", "created", *[f"reached_{s}" for s in STAGES], "conversion_won_per_created",
        "landing_rate", "won", "won_tax_wan", "lost", "first_contact_median_min",
        "first_contact_p90_min", "sla_met", "sla_due", "sla_compliance",
    ]  # fmt: skip

    def row(label: Any, data: dict[str, Any]) -> list[Any]:
        return [
            label, data["created"], *[data["funnel"][s] for s in STAGES], data["conversion"],
            data["landing_rate"], data["won"], data["won_tax_wan"], data["lost"],
            data["first_contact_minutes"]["median"], data["first_contact_minutes"]["p90"],
            data["sla"]["met"], data["sla"]["due"], data["sla"]["compliance"],
        ]  # fmt: skip

    if people:
        from app.reports.present import group_label

        rows = [row(group_label(report["group_by"], g), g) for g in report["groups"]]
        rows.append(row(_("合计"), report["totals"]))
        return [_people_header(name) for name in header], rows
    rows = [row(g.get("label", g["key"]), g) for g in report["groups"]]
    rows.append(row("total", report["totals"]))
    return header, rows


def report_csv(report: dict[str, Any], *, people: bool = False) -> str:
    header, rows = report_rows(report, people=people)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in rows:
        writer.writerow([safe_cell(v) for v in values])
    return "\ufeff" + buffer.getvalue()  # BOM so Excel opens UTF-8 Chinese correctly


# --- XLSX: one sheet per grouping, each with its totals row -----------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_xlsx(reports: dict[str, dict[str, Any]], *, active: str) -> bytes:
    """A workbook of a summary sheet and one sheet per grouping in `reports` ({group_by:
    funnel report} for the same range); the sheet of `active` opens first."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from app.reports.present import GROUP_NAMES, group_label, stage_label

    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="E8EEEB")
    book = Workbook()
    summary = book.active
    summary.title = _("汇总")
    any_report = next(iter(reports.values()))
    _write_summary(summary, any_report, bold)

    def columns() -> list[tuple[str, str | None]]:
        return [
            (_("分组"), None), (_("新增线索"), "0"), (_("排除（垃圾/重复）"), "0"),
            *[(stage_label(s), "0") for s in STAGES],
            (_("线索→签约转化率"), "0.0%"), (_("签约→落地率"), "0.0%"), (_("看厂/看地"), "0"),
            (_("签约"), "0"), (_("签约项目预计年税收（万元）"), "#,##0.00"), (_("流失"), "0"),
            (_("首次联系用时中位数（分钟）"), "0.0"), (_("首次联系用时 P90（分钟）"), "0.0"),
            (_("SLA 达标"), "0"), (_("SLA 应达"), "0"), (_("SLA 达标率"), "0.0%"),
        ]  # fmt: skip

    def values(label: str, data: dict[str, Any]) -> list[Any]:
        return [
            label, data["created"], data["excluded"], *[data["funnel"][s] for s in STAGES],
            data["conversion"], data["landing_rate"], data["site_visits"], data["won"],
            data["won_tax_wan"], data["lost"], data["first_contact_minutes"]["median"],
            data["first_contact_minutes"]["p90"], data["sla"]["met"], data["sla"]["due"],
            data["sla"]["compliance"],
        ]  # fmt: skip

    for group_by, report in reports.items():
        if group_by == "none":
            continue
        sheet = book.create_sheet(_safe_title(_("按%(group)s", group=GROUP_NAMES[group_by])))
        header = columns()
        sheet.append([name for name, _fmt in header])
        for cell in sheet[1]:
            cell.font, cell.fill = bold, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for group in report["groups"]:
            _append_row(sheet, values(group_label(group_by, group), group))
        _append_row(sheet, values(_("合计"), report["totals"]))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for index, (_name, fmt) in enumerate(header, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = 22 if index == 1 else 12
            if fmt:
                for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    row[0].number_format = fmt
        sheet.freeze_panes = "B2"
        if group_by == active:
            book.active = book.index(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_summary(sheet: Any, report: dict[str, Any], bold: Any) -> None:
    totals = report["totals"]
    fc = totals["first_contact_minutes"]
    first, last = local_days(report)
    rows: list[tuple[str, Any, str | None]] = [
        (_("开始日期"), first.isoformat(), None),
        (_("结束日期"), last.isoformat(), None),
        (_("时区"), report["range"]["timezone"], None),
        (_("新增线索"), totals["created"], "0"),
        (_("看厂/看地"), totals["site_visits"], "0"),
        (_("签约"), totals["won"], "0"),
        (_("线索→签约转化率"), totals["conversion"], "0.0%"),
        (_("签约→落地率"), totals["landing_rate"], "0.0%"),
        (_("签约项目预计年税收（万元）"), totals["won_tax_wan"], "#,##0.00"),
        (_("首次联系用时中位数（分钟）"), fc["median"], "0.0"),
        (_("首次联系用时 P90（分钟）"), fc["p90"], "0.0"),
        (_("SLA 达标率"), totals["sla"]["compliance"], "0.0%"),
        (_("流失"), totals["lost"], "0"),
    ]
    for name, value, fmt in rows:
        sheet.append([name, value])
        if fmt:
            sheet.cell(sheet.max_row, 2).number_format = fmt
    sheet.append([])
    sheet.append([_("流失原因"), _("线索数")])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for item in report["lost_reasons"]:
        _append_row(sheet, [item["reason"] or "—", item["count"]])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 26


def local_days(report: dict[str, Any]) -> tuple[dt.date, dt.date]:
    """The report's first and last day (inclusive) in its time zone."""
    zone = ZoneInfo(report["range"]["timezone"])
    start = dt.datetime.fromisoformat(report["range"]["from"]).astimezone(zone)
    end = dt.datetime.fromisoformat(report["range"]["to"]).astimezone(zone)
    return start.date(), (end - dt.timedelta(days=1)).date()


def _append_row(sheet: Any, values: list[Any]) -> None:
    """Append `values`; text from users (reasons, districts, names) that looks like a formula
    stays text, unchanged, in a cell marked as text (openpyxl would store '=…' as a formula)."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if looks_like_formula(cell.value):
            cell.data_type = "s"


def _safe_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31]


def workbook_reports(query: ReportQuery, report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`report` (for `query`) and the same range under every other grouping: the sheets."""
    reports = {query.group_by: report}
    for group_by in GROUPS:
        if group_by not in reports and group_by != "none":
            reports[group_by] = funnel_report(dataclasses.replace(query, group_by=group_by))
    return reports


def xlsx_response(query: ReportQuery, report: dict[str, Any]) -> Response:
    content = report_xlsx(workbook_reports(query, report), active=query.group_by)
    first, last = local_days(report)
    name = f"parklead-funnel-{first}-{last}.xlsx"
    return Response(
        content,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def csv_response(report: dict[str, Any]) -> Response:
    name = f"parklead-funnel-{report['group_by']}.csv"
    return Response(
        report_csv(report, people=True),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )


def record_export(agent_id: int, fmt: str) -> None:
    """Every report file that leaves is in the audit log (docs/security.md); committed before
    the file is sent."""
    audit.record(
        AuditAction.EXPORT, agent_id=agent_id, what="funnel_report", format=fmt,
        filters={k: v for k, v in request.args.items() if k != "format"},
    )  # fmt: skip
    db.session.commit()
