"""Which leads an agent may see (docs/security.md): the one rule every lookup, list, queue and
claim starts from. Its own module so that the lead service and the queue can both use it
without importing each other.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select

from app.accounts.models import Agent, Role
from app.leads.models import Lead


def visible_leads(agent: Agent) -> Select[tuple[Lead]]:
    """Leads `agent` may see: admins all, team leads their team's, agents their own; team
    leads also see the whole unassigned pool, agents only the part the pool view shows them
    (their team's and leads no team has yet), so no id, list or claim reveals another
    team's pool (docs/security.md)."""
    stmt = select(Lead).where(Lead.merged_into_id.is_(None))
    if agent.role is Role.ADMIN:
        return stmt
    unassigned = Lead.agent_id.is_(None)
    if agent.role is Role.LEAD and agent.team_id is not None:
        return stmt.where(or_(Lead.team_id == agent.team_id, Lead.agent_id == agent.id, unassigned))
    own_pool = and_(unassigned, or_(Lead.team_id.is_(None), Lead.team_id == agent.team_id))
    return stmt.where(or_(Lead.agent_id == agent.id, own_pool))
