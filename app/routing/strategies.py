"""How a team picks one of its available agents (SPEC §7). Pure and deterministic: the same
candidates and team state always give the same agent, so distributions can be tested exactly.

- round_robin: the next agent by id after the one who got the team's last lead.
- least_loaded: the fewest open leads relative to capacity; ties go to whoever waited longest
  since their last assignment, then to the lower id.
- weighted: shares of the leads assigned in the recent window (ROUTING_WEIGHTED_WINDOW_DAYS)
  proportional to `Agent.weight`, by the D'Hondt rule: the next lead goes to the agent with
  the smallest (recent + 1) / weight, ties to the heavier weight and then the lower id. With
  weights 3 and 1 every four leads go A, A, A, B; a newcomer catches up within the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from app.accounts.models import Agent, Strategy

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Skip:
    code: str  # inactive, at_capacity, outside_working_hours, over_private_lead_limit
    message: str


@dataclass(slots=True)
class Candidate:
    """An agent of the team as routing sees them at this instant."""

    agent: Agent
    open_leads: int
    recent_assignments: int = 0
    skipped: list[Skip] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.skipped


def round_robin(candidates: Sequence[Candidate], last_agent_id: int | None) -> Candidate:
    ordered = sorted(candidates, key=lambda c: c.agent.id)
    last = last_agent_id or 0
    return next((c for c in ordered if c.agent.id > last), ordered[0])


def least_loaded(candidates: Sequence[Candidate]) -> Candidate:
    def load(c: Candidate) -> tuple[Fraction | float, dt.datetime, int]:
        ratio = Fraction(c.open_leads, c.agent.capacity) if c.agent.capacity > 0 else float("inf")
        return ratio, c.agent.last_assigned_at or _NEVER, c.agent.id

    return min(candidates, key=load)


def weighted(candidates: Sequence[Candidate]) -> Candidate:
    def quotient(c: Candidate) -> tuple[Fraction | float, int, int]:
        weight = c.agent.weight
        share = Fraction(c.recent_assignments + 1, weight) if weight > 0 else float("inf")
        return share, -weight, c.agent.id

    return min(candidates, key=quotient)


def pick(
    strategy: Strategy, candidates: Sequence[Candidate], *, last_agent_id: int | None
) -> Candidate | None:
    """The candidate `strategy` chooses among available `candidates`, or None if there are none."""
    if not candidates:
        return None
    if strategy is Strategy.LEAST_LOADED:
        return least_loaded(candidates)
    if strategy is Strategy.WEIGHTED:
        return weighted(candidates)
    return round_robin(candidates, last_agent_id)
