"""The known history of tests/reports/test_funnel_report.py, as a function, for the reports page
and browser tests: seven leads whose every figure in the report is known.

Range 2026-03-02 .. 2026-03-15 (Shanghai). Leads (minutes to first contact; SLA 30 min):
  L1 web_form factory   agent A  03-02  contacted +10, ... won            tax 300
  L2 web_form land      agent A  03-03  contacted +20, ... won -> landed  tax 1000
  L3 wechat   factory   agent B  03-09  contacted +60 (SLA breached), lost "价格太高"
  L4 wechat   warehouse agent B  03-10  never contacted (SLA breached)
  L5 web_form other     nobody   03-11  spam (excluded from the funnel)
  L7 phone    office    agent A  03-12  contacted +30 (on time), lost "价格太高"
  L6 web_form factory   agent A  03-20  outside the range
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.core.db import db
from app.leads.lifecycle import change_status
from app.leads.models import Channel, Lead, NeedType

SH = ZoneInfo("Asia/Shanghai")
RANGE = {"from": "2026-03-02", "to": "2026-03-15"}
PATH_TO_WON = ["assigned", "contacted", "qualified", "site_visit", "negotiating", "won"]

# What the report says about the range (the funnel API test checks the same figures).
FUNNEL = {
    "new": 5, "assigned": 5, "contacted": 4, "qualified": 2, "site_visit": 2, "negotiating": 2,
    "won": 2, "landed": 1, "producing": 0,
}  # fmt: skip
WEEKS = {"2026-03-02": (2, 2), "2026-03-09": (3, 0)}  # created, won


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, tzinfo=SH).astimezone(dt.UTC)


def add_lead(
    *,
    created: dt.datetime,
    channel: Channel,
    need: NeedType,
    agent_id: int | None,
    team_id: int | None,
    path: list[str],
    contact_after: int | None = None,
    tax: int | None = None,
    lost_reason: str | None = None,
) -> Lead:
    lead = Lead(
        channel=channel,
        need_type=need,
        agent_id=agent_id,
        team_id=team_id,
        created_at=created,
        last_activity_at=created,
        sla_due_at=created + dt.timedelta(minutes=30),
        tax_wan=Decimal(tax) if tax is not None else None,
        phone=None,
    )
    db.session.add(lead)
    db.session.flush()
    for status in path:
        reason = lost_reason if status == "lost" else None
        change_status(lead, status, actor="system", reason=reason)
    if contact_after is not None:
        lead.first_contacted_at = created + dt.timedelta(minutes=contact_after)
    db.session.commit()
    return lead


def seed_known_history(agent_a_id: int, agent_b_id: int, team_id: int | None) -> None:
    """The seven leads, committed; agents A and B belong to team `team_id`."""
    a, b, t = agent_a_id, agent_b_id, team_id
    web, wechat, price = Channel.WEB_FORM, Channel.WECHAT, "价格太高"
    add_lead(created=at(2), channel=web, need=NeedType.FACTORY, agent_id=a, team_id=t,
          path=PATH_TO_WON, contact_after=10, tax=300)  # fmt: skip
    add_lead(created=at(3), channel=web, need=NeedType.LAND, agent_id=a, team_id=t,
          path=[*PATH_TO_WON, "landed"], contact_after=20, tax=1000)  # fmt: skip
    add_lead(created=at(9, 9), channel=wechat, need=NeedType.FACTORY, agent_id=b, team_id=t,
          path=["assigned", "contacted", "lost"], contact_after=60, lost_reason=price)  # fmt: skip
    add_lead(created=at(10), channel=wechat, need=NeedType.WAREHOUSE, agent_id=b, team_id=t,
          path=["assigned"])  # fmt: skip
    add_lead(created=at(11), channel=web, need=NeedType.OTHER, agent_id=None, team_id=t,
          path=["spam"])  # fmt: skip
    add_lead(created=at(12), channel=Channel.PHONE, need=NeedType.OFFICE, agent_id=a, team_id=t,
          path=["assigned", "contacted", "lost"], contact_after=30, lost_reason=price)  # fmt: skip
    add_lead(created=at(20), channel=web, need=NeedType.FACTORY, agent_id=a, team_id=t,
          path=PATH_TO_WON, contact_after=5, tax=999)  # fmt: skip
