"""The JSON the leads API answers with, and the bodies its routes check by hand, as pydantic
models for the OpenAPI document (`@api_doc`, docs/api.md). They document; the routes build
the answers (`service.lead_to_dict` …) and check the bodies themselves."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from app.core.apidoc import Page
from app.leads import activity
from app.leads.models import Channel, LeadStatus
from app.leads.schemas import EnquiryIn

LEAD_KEY = {"lead_key": "Lead id or reference (PL-20261124-0007)"}
_INTAKE_FIELDS = {
    name: (field.annotation, field)
    for name, field in EnquiryIn.model_fields.items()
    if name != "website"
}

# A lead as the API shows it: the enquiry's fields and the lead's own.
Lead = create_model(  # type: ignore[call-overload]  # fields built at run time from another model; pydantic types each keyword
    "Lead",
    __doc__="The lead",
    id=(int, ...),
    reference=(str, ...),
    status=(LeadStatus, ...),
    channel=(Channel, ...),
    agent=(dict[str, Any] | None, None),
    created_at=(dt.datetime, ...),
    version=(int, ...),
    merged_into_id=(int | None, None),
    possible_duplicate_of_id=(
        int | None,
        Field(
            None,
            description="Set when a WeChat prospect gave a phone that another open lead has: "
            "check and merge (see the possible_duplicate event)",
        ),
    ),
    allowed_transitions=(list[str], []),
    events=(list[dict[str, Any]], Field([], description="GET one lead: its event timeline")),
    **_INTAKE_FIELDS,
)


class LeadList(Page[Lead]):  # type: ignore[valid-type]  # Lead is made by create_model at run time: a variable to mypy
    """A page of leads"""

    counts: dict[str, int] | None = Field(
        None, description="view=queue: your leads per status under the other filters"
    )


class IntakeResult(BaseModel):
    """Enquiry received"""

    id: int
    reference: str
    status: str
    created: bool
    message: str | None = Field(
        None, description="POST /api/leads/manual only: the open lead it joined"
    )


class LeadEvent(BaseModel):
    """The event"""

    id: int
    type: str
    actor: str
    agent_id: int | None
    data: dict[str, Any]
    created_at: dt.datetime


class TimelineEntry(BaseModel):
    at: dt.datetime
    type: str
    actor: str
    agent: dict[str, Any] | None
    data: dict[str, Any]
    notification: dict[str, Any] | None


class CallLogged(BaseModel):
    """The call event"""

    event: LeadEvent
    status: str
    moved_to_contacted: bool
    offer_contacted: bool


class WechatWindow(BaseModel):
    """The prospect's WeChat customer-service window"""

    open: bool
    expires_at: dt.datetime | None
    remaining: int


class ReplyQueued(BaseModel):
    """Queued in the outbox"""

    event: LeadEvent
    notification_id: int
    notification_status: str
    window: WechatWindow


class ImportRowError(BaseModel):
    row: int
    column: str | None
    field: str | None
    message: str


class ImportReport(BaseModel):
    dry_run: bool
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: int
    valid: int
    errors: list[ImportRowError]
    duplicates: list[dict[str, Any]]
    created: int | None = None
    leads: list[dict[str, Any]] | None = None


# --- bodies the routes check by hand ---------------------------------------------------------


class TransitionIn(BaseModel):
    to: LeadStatus
    reason: str | None = Field(None, description="Required for lost")
    note: str | None = None
    version: int | None = Field(None, description="Optimistic lock")


LeadPatch = create_model(  # type: ignore[call-overload]  # fields built at run time from another model; pydantic types each keyword
    "LeadPatch",
    __doc__="The fields to change (the enquiry rules apply) and, optionally, the version as read",
    version=(int | None, None),
    **{name: _INTAKE_FIELDS[name] for name in activity.EDITABLE_FIELDS},
)


class NoteIn(BaseModel):
    text: str = Field(max_length=activity.NOTE_MAX)


class CallIn(BaseModel):
    outcome: activity.CallOutcome
    duration_seconds: int | None = Field(None, ge=0)
    note: str | None = None
    mark_contacted: bool = False


class FollowUpIn(BaseModel):
    at: str | None = Field(
        description="ISO date-time (Beijing time without an offset), or null to clear"
    )
    note: str | None = None


class MergeIn(BaseModel):
    into: int | str = Field(description="The surviving lead's id or reference")
    version: int | None = None


class WechatReplyIn(BaseModel):
    text: str = Field(max_length=activity.REPLY_MAX)


class ManualLeadIn(EnquiryIn):
    agent_id: int | None = Field(None, description="Whom to give it to (default: you)")


class ImportFile(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"})


# --- query strings -----------------------------------------------------------------------------


class Paging(BaseModel):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


class LeadFilters(BaseModel):
    status: str | None = Field(None, description="Comma-separated statuses")
    need_type: str | None = None
    district: str | None = None
    phone: str | None = None
    q: str | None = Field(None, description="Search company, contact, phone")
    overdue: bool | None = Field(
        None, description="Only leads past their SLA due time and not yet contacted"
    )
    unassigned: bool | None = None


class LeadListQuery(Paging, LeadFilters):
    view: Literal["queue", "pool"] | None = None
    scope: Literal["mine", "team", "all"] | None = Field(
        None, description="view=queue: whose leads (default mine)"
    )
    agent: str | None = Field(
        None, description="view=queue, scope team or all: an agent's id, or none (unassigned)"
    )
    team_id: int | None = Field(None, description="view=pool: another team's pool")


class DryRunQuery(BaseModel):
    dry_run: bool | None = None


class ExportQuery(LeadFilters):
    format: Literal["csv", "xlsx"] = "csv"
    view: Literal["queue"] | None = Field(None, description="queue: your queue, in its order")
    lang: Literal["zh", "en"] | None = Field(None, description="Header and label language")
