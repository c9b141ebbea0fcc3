"""The supply and demand report: open demand (open leads by kind, district and area band)
against available supply (listings by the same), so the office sees where it lacks land or
buildings (docs/listings.md "Supply and demand"). Demand comes from app.leads, supply from
app.listings, each through a service function; this module only joins them."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from openpyxl import Workbook

from app.core.spreadsheets import safe_cell
from app.leads import labels
from app.leads import service as leads
from app.leads.models import NeedType
from app.listings import service as listings
from app.listings.labels import listing_label
from app.listings.models import ListingKind
from app.reports import charts

KINDS = tuple(k.value for k in ListingKind)
BANDS = tuple(name for name, _upper in listings.AREA_BANDS)


def supply_demand() -> dict[str, Any]:
    """`{"bands": [...], "rows": [{kind, district, band, demand_leads, demand_m2,
    supply_listings, supply_m2, gap}]}`: one row per kind, district and band with demand or
    supply; `gap` is true where leads wait and nothing is available. Needs that are not a
    kind of space (registration, investment, other) are rows of their own without supply."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}

    def row(kind: str, district: str, band: str) -> dict[str, Any]:
        return rows.setdefault(
            (kind, district, band),
            {"kind": kind, "district": district, "band": band, "demand_leads": 0,
             "demand_m2": 0.0, "supply_listings": 0, "supply_m2": 0.0},
        )  # fmt: skip

    for item in leads.open_demand(listings.AREA_BANDS):
        entry = row(item["need_type"], item["district"], item["band"])
        entry["demand_leads"] += item["leads"]
        entry["demand_m2"] += item["area_m2"]
    for item in listings.supply_by_band():
        entry = row(item["kind"], item["district"], item["band"])
        entry["supply_listings"] += item["listings"]
        entry["supply_m2"] += item["available_m2"]
    ordered = sorted(
        rows.values(),
        key=lambda r: (r["kind"] not in KINDS, r["kind"], r["district"], _band_order(r["band"])),
    )
    for entry in ordered:
        entry["gap"] = entry["demand_leads"] > 0 and entry["supply_listings"] == 0
        entry["demand_m2"] = round(entry["demand_m2"], 2)
        entry["supply_m2"] = round(entry["supply_m2"], 2)
    return {"bands": list(BANDS), "rows": ordered}


def _band_order(band: str) -> int:
    return BANDS.index(band) if band in BANDS else len(BANDS)


def kind_label(kind: str) -> str:
    if kind in KINDS:
        return listing_label(kind, ListingKind)
    return labels.label_of(NeedType, kind) if kind else "—"


def chart(report: dict[str, Any]) -> Markup:
    """Open leads (first series) against available listings (second) per kind and district."""
    groups: dict[tuple[str, str], list[int]] = {}
    for r in report["rows"]:
        pair = groups.setdefault((r["kind"], r["district"]), [0, 0])
        pair[0] += r["demand_leads"]
        pair[1] += r["supply_listings"]
    return charts.pair_bars(
        [
            charts.Pair(f"{k}:{d}", f"{kind_label(k)} {d}".strip(), first, second)
            for (k, d), (first, second) in groups.items()
        ],
        title=_("需求与供给"),
        series=(_("进行中线索"), _("可租售载体")),
        empty=_("暂无进行中的需求或可租售载体"),
        chart_id="chart-supply-demand",
        more=_("另有 {n} 组未显示"),
    )


def table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [_("类型"), _("区县"), _("面积段（㎡）"), _("进行中线索"), _("需求面积（㎡）"),
              _("可租售载体"), _("可租售面积（㎡）"), _("缺口")]  # fmt: skip
    body = [
        [kind_label(r["kind"]), r["district"] or "—", r["band"] or "—", r["demand_leads"],
         r["demand_m2"], r["supply_listings"], r["supply_m2"], _("是") if r["gap"] else ""]
        for r in report["rows"]
    ]  # fmt: skip
    return header, body


def as_csv(report: dict[str, Any]) -> str:
    header, body = table(report)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in (header, *body):
        writer.writerow([safe_cell(v) for v in line])
    return "\ufeff" + out.getvalue()


def as_xlsx(report: dict[str, Any]) -> bytes:
    header, body = table(report)
    book = Workbook()
    sheet = book.active
    sheet.title = "supply-demand"
    for line in (header, *body):
        sheet.append([safe_cell(v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
