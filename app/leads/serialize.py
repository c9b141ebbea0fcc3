"""The lead as JSON (docs/api.md "Field names"): what `GET /api/leads/<id>` answers and the
webhooks carry. Its own module so that the lead's alerts (`app.leads.alerts`) and its service
can both use it without importing each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.models import Agent
from app.leads import lifecycle
from app.leads.models import REQUIREMENT_FIELDS, Lead

__all__ = ["lead_to_dict"]

_PUBLIC_FIELDS = (
    "need_type", "deal", "area_min_m2", "area_max_m2", "industry", "tax_wan", "investment_wan",
    "employees", "timeline", "company", "contact_name", "phone", "wechat_id", "district",
    "message", *REQUIREMENT_FIELDS,
)  # fmt: skip
_UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
_TIMESTAMPS = (
    "created_at", "assigned_at", "first_contacted_at", "last_activity_at", "next_follow_up_at",
    "sla_due_at", "routed_at",
)  # fmt: skip


def _plain(value: Any) -> Any:
    if hasattr(value, "value"):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if value is not None and type(value).__name__ == "Decimal":
        return float(value)
    return value


def lead_to_dict(lead: Lead, *, agent: Agent | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": lead.id, "reference": lead.reference}
    data.update({name: _plain(getattr(lead, name)) for name in _PUBLIC_FIELDS})
    # The lead JSON uses the intake field names, UTM included (stored in `source`): see
    # docs/api.md "Field names".
    data.update({name: (lead.source or {}).get(name) for name in _UTM_FIELDS})
    data.update(
        status=lead.status.value,
        channel=lead.channel.value,
        source=lead.source,
        score=lead.score,
        team_id=lead.team_id,
        agent=({"id": agent.id, "name": agent.name, "login": agent.login} if agent else None),
        lost_reason=lead.lost_reason,
        merged_into_id=lead.merged_into_id,
        possible_duplicate_of_id=lead.possible_duplicate_of_id,
        version=lead.version,
        allowed_transitions=[s.value for s in lifecycle.allowed_transitions(lead.status)],
    )
    data.update({name: _plain(getattr(lead, name)) for name in _TIMESTAMPS})
    return data
