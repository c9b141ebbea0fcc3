"""Flatten a funnel report into rows for CSV export (one row per group plus totals)."""

from __future__ import annotations

import csv
import io
from typing import Any

from app.reports.queries import STAGES


def report_rows(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
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

    rows = [row(g.get("label", g["key"]), g) for g in report["groups"]]
    rows.append(row("total", report["totals"]))
    return header, rows


def report_csv(report: dict[str, Any]) -> str:
    header, rows = report_rows(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for values in rows:
        # Neutralise spreadsheet formulas in text cells (CSV injection).
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in values])
    return "\ufeff" + buffer.getvalue()  # BOM so Excel opens UTF-8 Chinese correctly
