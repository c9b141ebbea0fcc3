"""The JSON the listings API answers with, and the bodies its routes check by hand, as
pydantic models for the OpenAPI document (`@api_doc`, docs/api.md). They document; the
routes build the answers (`service.listing_to_dict` …) and check the bodies themselves."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from pydantic import BaseModel, Field, create_model
from pydantic.fields import FieldInfo

from app.leads.shapes import Lead
from app.listings.models import ListingKind, ListingStatus
from app.listings.schemas import ListingIn

LISTING_ID = {"listing_id": {"schema": {"type": "integer"}}}
_LEAD_ID_HELP = "reserved: required; let/sold: the signed lead (default: reserved)"


def _optional(field: FieldInfo) -> FieldInfo:
    """The same field, left out when unchanged."""
    optional = copy.copy(field)
    optional.default = None  # not required; and no default in the document, which
    optional.default_factory = None  # would have to be of the field's own type
    optional.json_schema_extra = _without_default
    return optional


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


_LISTING_FIELDS = {name: (f.annotation, f) for name, f in ListingIn.model_fields.items()}


class ListingPhoto(BaseModel):
    """Photo"""

    id: int
    url: str
    uploaded: bool
    content_type: str | None
    size_bytes: int | None
    caption: str | None
    position: int


Listing = create_model(  # type: ignore[call-overload]  # fields built at run time from another model; pydantic types each keyword
    "Listing",
    __doc__="The listing",
    id=(int, ...),
    status=(ListingStatus, ...),
    area_mu=(float, ...),
    reserved_for_lead_id=(int | None, None),
    closed_with_lead_id=(int | None, None),
    version=(int, ...),
    allowed_transitions=(list[str], []),
    photos=(list[ListingPhoto], []),
    events=(list[dict[str, Any]], Field([], description="GET one listing: its history")),
    created_at=(dt.datetime, ...),
    updated_at=(dt.datetime, ...),
    **_LISTING_FIELDS,
)

_STATUS_FIELDS: dict[str, Any] = {
    "status": (ListingStatus | None, Field(None, description="as POST …/status `to`")),
    "lead_id": (int | str | None, Field(None, description=_LEAD_ID_HELP)),
}

ListingCreate = create_model(
    "ListingCreate",
    __base__=ListingIn,
    __doc__="A new listing; `status` other than available is recorded as a status change",
    **_STATUS_FIELDS,
)

ListingPatch = create_model(  # type: ignore[call-overload]  # fields built at run time from another model; pydantic types each keyword
    "ListingPatch",
    __doc__="The fields to change (checked with the listing's other values), a status change, "
    "and the version read (optional: with it, a stale version answers 409)",
    version=(int | None, None),
    reason=(str | None, Field(None, max_length=500)),
    **_STATUS_FIELDS,
    **{name: (f.annotation, _optional(f)) for name, f in ListingIn.model_fields.items()},
)


class LeadMatch(BaseModel):
    lead: Lead
    score: int = Field(ge=0, le=100)
    reasons: list[str]
    warnings: list[str]


class LeadMatches(BaseModel):
    """Matches"""

    items: list[LeadMatch]


class ListingMatch(BaseModel):
    listing: Listing  # type: ignore[valid-type]  # Listing is made by create_model at run time: a variable to mypy
    score: int = Field(ge=0, le=100)
    reasons: list[str]
    warnings: list[str]


class ListingMatches(BaseModel):
    """Matches"""

    items: list[ListingMatch]


# --- bodies the routes check by hand ---------------------------------------------------------

_LEAD_ID = _LEAD_ID_HELP


class StatusIn(BaseModel):
    to: ListingStatus
    reason: str | None = Field(None, max_length=500)
    lead_id: int | str | None = Field(None, description=_LEAD_ID)
    version: int | None = Field(None, description="Optimistic lock")


class ReserveIn(BaseModel):
    lead_id: int | str = Field(description="The lead's id or reference")
    reason: str | None = Field(None, max_length=500)
    version: int | None = Field(None, description="Optimistic lock")


class PhotoUpload(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"})
    caption: str | None = None


class PhotoLink(BaseModel):
    url: str = Field(json_schema_extra={"format": "uri"})
    caption: str | None = None


# --- query strings -----------------------------------------------------------------------------


class ListingQuery(BaseModel):
    kind: ListingKind | None = None
    district: str | None = None
    status: str | None = Field(None, description="Comma-separated statuses")
    q: str | None = Field(None, description="Search title, park, address")
    published: bool | None = None
    agent_id: int | None = None
    limit: int | None = Field(None, ge=1, le=200)
    cursor: str | None = None


class MatchQuery(BaseModel):
    limit: int | None = Field(None, le=50)
