"""How a team picks one of its available agents (docs/routing.md "Strategies"). Pure and
deterministic: the same candidates and team state always give the same agent, so distributions can
be tested exactly.

- round_robin: the next agent by id after the one who got the team's last lead.
- least_loaded: the fewest open leads relative to capacity; ties go to whoever waited longest
  since their last assignment, then to the lower id.
- weighted: shares of the leads assigned in the recent window (ROUTING_WEIGHTED_WINDOW_DAYS)
  proportional to `Agent.weight`, by the D'Hondt rule: the next lead goes to the agent with
  the smallest (recent + 1) / weight, ties to the heavier weight and then the lower id. With
  weights 3 and 1 every four leads go A, A, A, B; a newcomer catches up within the window.

Before the strategy, skills narrow the choice (`best_fits`): agents whose skills fit the lead
come first, then agents without skills (generalists), then the rest; the strategy picks within
the best level present, so a specialist's absence never leaves a lead unassigned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

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


# How well an agent's skills fit a lead: higher is better.
FITS, GENERALIST, OFF_SKILL = 2, 1, 0


def skill_fit(skills: Mapping[str, Any] | None, need_type: str | None, district: str | None,
              industry: str | None) -> int:  # fmt: skip
    """FITS when the agent lists skills and every listed kind the lead tells us about fits
    (need type and district listed, industry containing a listed word); OFF_SKILL when one does
    not; GENERALIST when the agent lists none or the lead tells nothing they list."""
    skills = skills or {}
    checks = []
    if skills.get("need_types") and need_type:
        checks.append(need_type in skills["need_types"])
    if skills.get("districts") and district:
        checks.append(district in skills["districts"])
    if skills.get("industries") and industry:
        checks.append(any(word in industry for word in skills["industries"]))
    if not checks:
        return GENERALIST
    return FITS if all(checks) else OFF_SKILL


def best_fits(candidates: Sequence[Candidate], fits: Mapping[int, int]) -> list[Candidate]:
    """The candidates of the best skill-fit level present (fits: agent id -> level)."""
    if not candidates:
        return []
    best = max(fits[c.agent.id] for c in candidates)
    return [c for c in candidates if fits[c.agent.id] == best]


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
