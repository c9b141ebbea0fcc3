"""What keeps a team from being deleted, checked above the rooms that refer to it.

accounts owns the team row (`app.accounts.management.delete_team`) but knows neither routing
rules nor leads, which sit above it; the admin API passes this check in.
"""

from __future__ import annotations

from app.accounts.models import Team
from app.core.errors import Conflict
from app.leads import service as leads
from app.routing import service as routing


def refuse_referred_team(team: Team) -> None:
    """409 while a routing rule sends leads to `team` or a lead on record names it."""
    rules = routing.rules_naming_team(team.id)
    if rules:
        names = ", ".join(r.name for r in rules)
        raise Conflict(
            f"routing rules send leads to team {team.name} ({names}); change them first",
            code="team_has_rules",
        )
    count = leads.count_team_leads(team.id)
    if count:
        raise Conflict(
            f"team {team.name} has {count} lead(s) on record; deactivate it instead",
            code="team_has_leads",
        )
