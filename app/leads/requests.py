"""What the leads JSON API's route modules (`routes`, `work_routes`) and the workspace pages
share: the `leads_api` blueprint both hang their views on, the lead as the API shows it, file
uploads for imports and the export download. Route modules import this; it imports none."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request, stream_with_context

from app.accounts.auth import current_agent
from app.accounts.models import Agent, Role
from app.audit import service as audit
from app.audit.models import AuditAction
from app.core.db import db
from app.core.errors import ValidationFailed
from app.core.logging import mask_phones
from app.leads import bulk, service
from app.leads.models import Lead
from app.leads.queue import QUEUE_ORDER, LeadQuery, filtered_leads, queue_query

bp = Blueprint("leads_api", __name__, url_prefix="/api/leads")

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_MAX_REQUEST = bulk.MAX_IMPORT_BYTES + 64 * 1024


def lead_detail(lead_key: str) -> dict[str, Any]:
    """One lead the current agent may see, with its owner and its events."""
    lead = service.get_visible_lead(current_agent(), lead_key)
    agents = service.agents_by_id({lead.agent_id} if lead.agent_id else set())
    data = service.lead_to_dict(lead, agent=agents.get(lead.agent_id or 0))
    data["events"] = [service.event_to_dict(e) for e in service.lead_events(lead)]
    return data


def allow_upload() -> None:
    """Accept a body up to the import limit (before anything reads the form)."""
    request.max_content_length = IMPORT_MAX_REQUEST


def uploaded_file() -> tuple[bytes, str]:
    """The `file` part of a multipart upload (allowing bodies up to the import limit)."""
    allow_upload()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(
            "upload the CSV or XLSX as the multipart field 'file'", fields={"file": "required"}
        )
    return upload.read(bulk.MAX_IMPORT_BYTES + 1), upload.filename


def export_response(
    viewer: Agent,
    fmt: str,
    query: LeadQuery,
    *,
    queue: bool,
    label: Callable[[Any], str],
) -> Response:
    """The filtered list as a streamed CSV or XLSX download, its values worded by `label`."""
    if fmt not in ("csv", "xlsx"):
        raise ValidationFailed("format must be csv or xlsx", fields={"format": "csv or xlsx"})
    if queue:
        stmt = filtered_leads(viewer, queue_query(viewer, query)).order_by(*QUEUE_ORDER)
    else:
        stmt = filtered_leads(viewer, query).order_by(Lead.created_at.desc(), Lead.id.desc())
    count = bulk.check_export_size(stmt)
    english = str(request.args.get("lang") or "").lower() == "en"
    # Only admins take full phone numbers out of the system (docs/security.md).
    masked = viewer.role is not Role.ADMIN
    audit.record(
        AuditAction.EXPORT, agent_id=viewer.id, what="leads", format=fmt, rows=count,
        phones_masked=masked, view="queue" if queue else "list",
        filters={
            k: mask_phones(v) for k, v in request.args.items() if k not in ("format", "lang")
        },
    )  # fmt: skip
    db.session.commit()  # the audit entry stands before a single row leaves
    rows = bulk.export_rows(stmt, english=english, label=label, mask_phones=masked)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M")
    filename = f"parklead-leads-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        body = stream_with_context(bulk.csv_chunks(rows))
        return Response(body, mimetype="text/csv", headers=headers)
    # The workbook is built into a spooled file first (an XLSX is a zip written at the end).
    body = bulk.file_chunks(bulk.xlsx_file(rows))
    return Response(
        body,
        mimetype=XLSX_TYPE,
        headers=headers,
    )
