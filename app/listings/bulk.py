"""Listings from and to CSV/XLSX (docs/listings.md "Import and export").

The import checks every row first and lists every error (row, column, message); only a file
without errors is imported, all rows in one transaction. The file is read by the leads'
reader (`app.leads.bulk.read_sheet`: CSV or XLSX by content, size limits) and cells written by
the spreadsheet formula guard of every export (`app.core.spreadsheets.safe_cell`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Response, stream_with_context
from flask_babel import gettext as _

from app.accounts.models import Agent
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.spreadsheets import safe_cell
from app.leads import bulk as sheets
from app.listings import service
from app.listings.labels import listing_label
from app.listings.models import Listing, ListingDeal, ListingKind, ListingStatus, ListingSubtype
from app.listings.schemas import parse_listing

MAX_IMPORT_BYTES = sheets.MAX_IMPORT_BYTES
MAX_ROWS = 2000
EXPORT_MAX_ROWS = 50_000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    zh: str
    en: str


COLUMNS: tuple[Column, ...] = (
    Column("title", "标题", "title"),
    Column("kind", "类型", "kind"),
    Column("subtype", "细分类型", "subtype"),
    Column("deals", "租售", "deals"),
    Column("park", "园区", "park"),
    Column("district", "区县", "district"),
    Column("address", "地址", "address"),
    Column("area_m2", "面积㎡", "area_m2"),
    Column("available_m2", "可租售面积㎡", "available_m2"),
    Column("min_split_m2", "最小分割㎡", "min_split_m2"),
    Column("ceiling_height_m", "层高m", "ceiling_height_m"),
    Column("floor_load_t_m2", "承重t/㎡", "floor_load_t_m2"),
    Column("crane_t", "行车t", "crane_t"),
    Column("power_kva", "配电kVA", "power_kva"),
    Column("eia_categories", "可环评类别", "eia_categories"),
    Column("rent_yuan_m2_month", "租金元/㎡/月", "rent_yuan_m2_month"),
    Column("sale_price_yuan_m2", "售价元/㎡", "sale_price_yuan_m2"),
    Column("land_price_wan_per_mu", "地价万元/亩", "land_price_wan_per_mu"),
    Column("min_investment_wan_per_mu", "投资强度万元/亩", "min_investment_wan_per_mu"),
    Column("min_tax_wan_per_mu", "亩均税收万元/亩", "min_tax_wan_per_mu"),
    Column("lat", "纬度", "lat"),
    Column("lng", "经度", "lng"),
    Column("description", "描述", "description"),
    Column("published", "公开", "published"),
)
EXAMPLE = {
    "title": "天元区 标准厂房 3楼 1200㎡",
    "kind": "厂房",
    "subtype": "标准厂房",
    "deals": "出租",
    "park": "株洲高新区",
    "district": "天元区",
    "area_m2": 1200,
    "ceiling_height_m": 6,
    "floor_load_t_m2": 1,
    "rent_yuan_m2_month": 14,
    "published": "是",
}
_BY_HEADER = {key: c.field for c in COLUMNS for key in (c.zh, c.en, c.field)}
_YES = {"是", "yes", "true", "1", "y", "公开"}
_NO = {"否", "no", "false", "0", "n", ""}


def _enum_value(raw: str, enum_cls: Any) -> str:
    """A kind, subtype or deal written in Chinese or as its code."""
    for member in enum_cls:
        if raw in (member.value, listing_label(member)):
            return str(member.value)
    return raw


def _row_payload(cells: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name, raw in cells.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value in (None, ""):
            continue
        if name == "kind":
            value = _enum_value(str(value), ListingKind)
        elif name == "subtype":
            value = _enum_value(str(value), ListingSubtype)
        elif name == "deals":
            parts = str(value).replace("、", ",").replace("，", ",").split(",")
            value = [_enum_value(p.strip(), ListingDeal) for p in parts if p.strip()]
        elif name == "published":
            text = str(value).strip().lower()
            value = True if text in _YES else False if text in _NO else value
        elif isinstance(value, float | int) and not isinstance(value, bool):
            value = str(value)
        payload[name] = value
    return payload


def import_listings(data: bytes, *, by: Agent, dry_run: bool) -> dict[str, Any]:
    """Check every row; with no error and not `dry_run`, create them all. The report:
    {dry_run, rows, valid, errors: [{row, column, message}], created}. A file with errors
    raises 400 with the report in `extra` (nothing is written)."""
    sheet = sheets.read_sheet(data)
    mapping = {i: _BY_HEADER[h] for i, h in enumerate(sheet.headers) if h in _BY_HEADER}
    ignored = [h for h in sheet.headers if h and h not in _BY_HEADER]
    header_of = {c.field: c.zh for c in COLUMNS}
    report: dict[str, Any] = {
        "dry_run": dry_run,
        "rows": 0,
        "valid": 0,
        "errors": [],
        "ignored_columns": ignored,
        "created": 0,
    }
    if "title" not in mapping.values() or "kind" not in mapping.values():
        report["errors"].append(
            {"row": sheet.header_row, "column": None, "message": _("缺少必需的列：标题、类型")}
        )
    good = []
    for number, cells in sheet.rows:
        if all(c in (None, "") for c in cells):
            continue
        report["rows"] += 1
        if report["rows"] > MAX_ROWS:
            raise ValidationFailed(
                _("一次最多导入 %(n)s 行", n=MAX_ROWS), fields={"file": _("行数过多")}
            )
        values = {mapping[i]: cells[i] for i in mapping if i < len(cells)}
        try:
            good.append(parse_listing(_row_payload(values)))
        except ValidationFailed as exc:
            for name, message in (exc.fields or {"": exc.message}).items():
                report["errors"].append(
                    {"row": number, "column": header_of.get(name, name), "message": message}
                )
    report["valid"] = len(good)
    if report["errors"]:
        raise ValidationFailed(
            _("文件中有 %(n)s 处错误，未导入任何载体", n=len(report["errors"])),
            fields={"file": _("请修改后重新上传")},
            extra={"report": report},
        )
    if not good:
        raise ValidationFailed(_("文件中没有数据行"), fields={"file": _("文件中没有数据行")})
    if not dry_run:
        for values in good:
            service.create_listing(values, by=by, reason="import")
        report["created"] = len(good)
    return report


# --- export ----------------------------------------------------------------------------------


def _cell(listing: Listing, name: str) -> Any:
    value = getattr(listing, name)
    if name == "deals":
        return "、".join(listing_label(d) for d in value)
    if name in ("kind", "subtype"):
        return listing_label(value) if value is not None else ""
    if name == "eia_categories":
        return "、".join(value or [])
    if name == "published":
        return _("是") if value else _("否")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return "" if value is None else value


def export_rows(query: service.ListingQuery) -> Iterator[list[Any]]:
    yield ["编号", "状态", *(c.zh for c in COLUMNS)]
    stmt = service.filtered_listings(query).order_by(Listing.id).limit(EXPORT_MAX_ROWS)
    for listing in db.session.scalars(stmt.execution_options(yield_per=500)):
        row = [listing.id, listing_label(listing.status, ListingStatus)]
        row += [_cell(listing, c.field) for c in COLUMNS]
        yield [safe_cell(v) for v in row]


def _download(rows: Iterator[list[Any]], fmt: str, name: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed(_("格式只能是 csv 或 xlsx"), fields={"format": "csv, xlsx"})
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"'}
    if fmt == "csv":
        return Response(
            stream_with_context(sheets.csv_chunks(rows)), mimetype="text/csv", headers=headers
        )
    return Response(sheets.file_chunks(sheets.xlsx_file(rows)), mimetype=XLSX_TYPE, headers=headers)


def export_response(query: service.ListingQuery, fmt: str) -> Response:
    return _download(export_rows(query), fmt, "parklead-listings")


def template_response(fmt: str) -> Response:
    rows = iter([[c.zh for c in COLUMNS], [EXAMPLE.get(c.field, "") for c in COLUMNS]])
    return _download(rows, fmt, "parklead-listings-template")
