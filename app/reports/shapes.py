"""The JSON the reports API answers with, and its query strings, as pydantic models for the
OpenAPI document (`@api_doc`, docs/api.md). They document; the routes build the answers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.reports.queries import GROUPS


class FunnelReport(BaseModel):
    """The report (JSON, or the file `format` asks for)"""

    model_config = ConfigDict(extra="allow")


class FunnelQuery(BaseModel):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    group_by: str = Field("none", json_schema_extra={"enum": list(GROUPS)})
    format: Literal["csv", "xlsx"] | None = Field(
        None,
        description="csv: one row per group and a totals row; xlsx: a summary sheet (totals, "
        "lost reasons) and one sheet per grouping, each with its totals row, the requested "
        "grouping's sheet open",
    )


class SupplyDemandRow(BaseModel):
    kind: str
    district: str | None
    band: str
    demand_leads: int
    demand_m2: float
    supply_listings: int
    supply_m2: float
    gap: bool


class SupplyDemand(BaseModel):
    """Open demand and available supply by kind, district and area band"""

    bands: list[Any]
    rows: list[SupplyDemandRow]
