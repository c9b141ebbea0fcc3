"""Route a committed lead to a team and an agent, exactly once (docs/routing.md).

1. The first active routing rule (by position) whose conditions the lead meets names a team
   or an agent; no match sends the lead to the default team.
2. Within the team, the rule's strategy (else the team's) picks among the available agents:
   active, below capacity, inside their working hours and below the team's private-lead
   limit. A rule naming an agent gives the lead to that agent when available.
3. Nobody available: the lead waits in the team's unassigned pool (status new, team set, no
   agent) with an `unassigned` event saying why, and agents claim it from there.

Exactly once: the lead row is locked (`FOR UPDATE`; SQLite serialises writers) and
`routed_at` marks it done, so a redelivered task or a second worker changes nothing. The team
row is locked too, so two leads of one team are not both given to its last free slot, and the
chosen agent's row is locked and their load re-counted, so a claim racing the worker cannot
push them over a limit either. Lock order everywhere: lead, team, agent.

`route_leads` routes many leads in one transaction with the same guarantees: it locks all
of them (by id), and the first lead of a team locks the team and then all its agents (by id)
and counts their open leads once; the batch then keeps those counts itself as it assigns, the
rows staying locked until the commit (so a chosen agent it locked is not looked up again).
Rules are read once per batch, and an agent's skill fit and working hours answered once per
kind of lead and minute. It writes with one statement per table: the leads' changes by one
UPDATE (`lifecycle.write_leads`), their events by one INSERT (`lifecycle.batch_writes`), the
outbox rows by one INSERT (`outbox.one_insert`).

`plan_route` does the deciding without changing anything; the dry run shows its answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import Select, func, select

from app.accounts.models import Agent, Role, Strategy, Team
from app.core.db import db, utcnow
from app.core.i18n import localtime
from app.leads import alerts, lifecycle
from app.leads.models import OPEN_STATUSES, EventType, Lead, LeadStatus
from app.notifications import outbox
from app.routing import rules as conditions
from app.routing import strategies
from app.routing.models import RoutingRule
from app.routing.strategies import Candidate, Skip
from app.settings import worktime

log = logging.getLogger(__name__)

ROUTABLE_ROLES = (Role.AGENT, Role.LEAD)
_Row = TypeVar("_Row", Team, Agent)

INACTIVE = "inactive"
AT_CAPACITY = "at_capacity"
OUTSIDE_WORKING_HOURS = "outside_working_hours"
OVER_PRIVATE_LEAD_LIMIT = "over_private_lead_limit"


@dataclass(frozen=True, slots=True)
class RoutingOutcome:
    lead_id: int
    agent_id: int | None
    team_id: int | None
    reason: str
    rule_id: int | None = None


@dataclass(frozen=True, slots=True)
class RuleCheck:
    rule: RoutingRule
    matched: bool
    reason: str | None  # why it did not match


@dataclass(slots=True)
class Plan:
    """Where a lead would go, and why."""

    score: int
    checked: list[RuleCheck] = field(default_factory=list)
    rule: RoutingRule | None = None
    team: Team | None = None
    strategy: Strategy | None = None
    agent: Agent | None = None
    candidates: list[Candidate] = field(default_factory=list)
    reason: str = ""

    @property
    def skipped(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.available]


@dataclass(slots=True)
class _Batch:
    """What one routing transaction has read and locked, reused for each of its leads."""

    rules: list[RoutingRule] | None = None
    default_team: Team | None = None
    locked: set[tuple[type, int]] = field(default_factory=set)
    team_agents: dict[int, list[Agent]] = field(default_factory=dict)
    # Open leads per agent: counted under the agent's lock, then kept up to date by the batch.
    open_leads: dict[int, int] = field(default_factory=dict)
    recent: dict[int, dict[int, int]] = field(default_factory=dict)  # team -> agent -> count
    # Answers that depend only on what the batch holds still: (agent, need, district,
    # industry) -> skill fit; (agent, minute) -> inside working hours (minutes are its grain).
    fits: dict[tuple[int, str | None, str | None, str | None], int] = field(default_factory=dict)
    working: dict[tuple[int, dt.datetime], bool] = field(default_factory=dict)


_batch: ContextVar[_Batch | None] = ContextVar("parklead_routing_batch", default=None)


@contextmanager
def _batch_scope() -> Iterator[_Batch]:
    batch = _Batch()
    token = _batch.set(batch)
    try:
        yield batch
    finally:
        _batch.reset(token)


# --- deciding --------------------------------------------------------------------------------


def plan_route(lead: Lead, *, now: dt.datetime | None = None, lock: bool = False) -> Plan:
    """Decide where `lead` goes at `now`. With `lock`, take the team and agent row locks the
    assignment needs (the caller holds the lead's); without, change and lock nothing."""
    now = now or utcnow()
    plan = Plan(score=lead.score or 0)
    _match_rule(lead, plan)
    rule = plan.rule
    if rule is not None and rule.agent_id is not None:
        _plan_direct(rule, plan, now, lock)
        return plan

    # The default team is locked in the same statement that finds it; a rule's team below.
    team = db.session.get(Team, rule.team_id) if rule is not None else _default_team(lock=lock)
    if team is None:
        plan.reason = "no rule matched and there is no default team"
        return plan
    if lock and rule is not None:
        team = _lock(Team, team.id)
    plan.team = team
    plan.strategy = (rule.strategy if rule is not None else None) or team.strategy
    plan.candidates = _candidates(team, now, with_recent=plan.strategy is Strategy.WEIGHTED)
    available = [c for c in plan.candidates if c.available]
    last = team.last_assigned_agent_id
    fits = _skill_fits([c.agent for c in plan.candidates], lead)
    while available:
        best = strategies.best_fits(available, fits)
        chosen = strategies.pick(plan.strategy, best, last_agent_id=last)
        assert chosen is not None
        if not lock or _still_available(chosen, team, now):
            plan.agent = chosen.agent
            plan.reason = f"{plan.strategy.value} in team {team.name}"
            if fits[chosen.agent.id] == strategies.FITS:
                plan.reason += f", among the agents skilled for this lead ({len(best)})"
            elif any(fit == strategies.FITS for fit in fits.values()):
                plan.reason += "; no agent skilled for this lead is available"
            return plan
        available.remove(chosen)
    plan.reason = _pool_reason(team, plan.candidates)
    return plan


def _skill_fits(agents: list[Agent], lead: Lead) -> dict[int, int]:
    """How well each agent's skills fit `lead` (agent id -> strategies.FITS and so on)."""
    need = lead.need_type.value if lead.need_type is not None else None
    district, industry = lead.district, lead.industry
    batch = _batch.get()
    if batch is None:
        return {a.id: strategies.skill_fit(a.skills, need, district, industry) for a in agents}
    fits = {}
    for agent in agents:
        key = (agent.id, need, district, industry)
        fit = batch.fits.get(key)
        if fit is None:
            fit = batch.fits[key] = strategies.skill_fit(agent.skills, need, district, industry)
        fits[agent.id] = fit
    return fits


def _match_rule(lead: Lead, plan: Plan) -> None:
    batch = _batch.get()
    if batch is not None and batch.rules is not None:
        rules = batch.rules
    else:
        stmt = (
            select(RoutingRule)
            .where(RoutingRule.active.is_(True))
            .order_by(RoutingRule.position, RoutingRule.id)
        )
        rules = list(db.session.scalars(stmt))
        if batch is not None:
            batch.rules = rules
    for rule in rules:
        why = conditions.mismatch(rule.conditions or {}, lead, plan.score)
        if why is None and rule.agent_id is None:
            team = db.session.get(Team, rule.team_id) if rule.team_id is not None else None
            if team is None:
                why = "the rule names no team or agent"
            elif not team.active:
                why = f"its team {team.name} is inactive"
        plan.checked.append(RuleCheck(rule, why is None, why))
        if why is None:
            plan.rule = rule
            return


def _plan_direct(rule: RoutingRule, plan: Plan, now: dt.datetime, lock: bool) -> None:
    """A rule naming an agent: that agent if available, else their team's pool."""
    agent = db.session.get(Agent, rule.agent_id)
    assert agent is not None  # foreign key
    team = db.session.get(Team, agent.team_id) if agent.team_id else _default_team()
    if lock and team is not None:
        team = _lock(Team, team.id)
    plan.team = team
    candidate = _candidates(team, now, only=[agent])[0] if team else _candidate(agent, None, now)
    plan.candidates = [candidate]
    if candidate.available and (not lock or _still_available(candidate, team, now)):
        plan.agent = agent
        plan.reason = f"rule {rule.name} names {agent.name}"
        return
    why = "; ".join(s.message for s in candidate.skipped)
    where = f"team {team.name}'s pool" if team else "the pool (no team)"
    plan.reason = f"rule {rule.name} names {agent.name}, who is not available ({why}); {where}"


def _default_team(*, lock: bool = False) -> Team | None:
    batch = _batch.get()
    if lock and batch is not None and batch.default_team is not None:
        return batch.default_team
    stmt = select(Team).where(Team.is_default.is_(True))
    if lock:
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    team = db.session.scalars(stmt).first()
    if lock and batch is not None and team is not None:
        batch.default_team = team
        batch.locked.add((Team, team.id))
    return team


def _lock(model: type[_Row], row_id: int) -> _Row:
    batch = _batch.get()
    if batch is not None and (model, row_id) in batch.locked:
        row = db.session.get(model, row_id)  # locked earlier in this transaction
        assert row is not None
        return row
    stmt = (
        select(model)
        .where(model.id == row_id)
        # NO KEY UPDATE: foreign-key checks (KEY SHARE) of writers to leads and events that
        # point at this row do not wait on routing, and cannot deadlock with it.
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    row = db.session.scalars(stmt).one()
    if batch is not None:
        batch.locked.add((model, row_id))
    return row


def open_lead_counts(agent_ids: Iterable[int]) -> dict[int, int]:
    """Open leads held by each agent (what capacity and the private-lead limit count)."""
    ids = list(agent_ids)
    if not ids:
        return {}
    stmt = (
        select(Lead.agent_id, func.count())
        .where(Lead.agent_id.in_(ids), Lead.status.in_(OPEN_STATUSES))
        .group_by(Lead.agent_id)
    )
    counts = {agent_id: n for agent_id, n in db.session.execute(stmt)}
    return {i: counts.get(i, 0) for i in ids}


def _recent_assignment_counts(team: Team, agent_ids: list[int], now: dt.datetime) -> dict[int, int]:
    days = current_app.config.get("ROUTING_WEIGHTED_WINDOW_DAYS", 7)
    stmt = (
        select(Lead.agent_id, func.count())
        .where(
            Lead.agent_id.in_(agent_ids),
            Lead.team_id == team.id,
            Lead.assigned_at >= now - dt.timedelta(days=days),
        )
        .group_by(Lead.agent_id)
    )
    return {agent_id: n for agent_id, n in db.session.execute(stmt) if agent_id is not None}


def _candidates(
    team: Team,
    now: dt.datetime,
    *,
    only: list[Agent] | None = None,
    with_recent: bool = False,
) -> list[Candidate]:
    batch = _batch.get()
    if batch is not None:
        only, counts, recent = _batch_counts(batch, team, now, only, with_recent)
    else:
        if only is None:
            only = list(db.session.scalars(_team_agents(team)))
        ids = [a.id for a in only]
        counts = open_lead_counts(ids)
        recent = _recent_assignment_counts(team, ids, now) if with_recent and ids else {}
    result = []
    for agent in only:
        candidate = _candidate(agent, team, now, open_leads=counts[agent.id])
        candidate.recent_assignments = recent.get(agent.id, 0)
        result.append(candidate)
    return result


def _team_agents(team: Team) -> Select[Agent]:
    return (
        select(Agent)
        .where(Agent.team_id == team.id, Agent.role.in_(ROUTABLE_ROLES))
        .order_by(Agent.id)
    )


def _batch_counts(
    batch: _Batch,
    team: Team,
    now: dt.datetime,
    only: list[Agent] | None,
    with_recent: bool,
) -> tuple[list[Agent], dict[int, int], dict[int, int]]:
    """`_candidates`' agents and counts inside a batch. The first time a team is seen its
    routable agents are locked in id order (so two batches never wait on each other's agents
    in a circle) and their open leads counted under the lock; from then on the batch's own
    counts hold, since no one else can assign to a locked agent before the commit."""
    if team.id not in batch.team_agents:
        stmt = (
            _team_agents(team)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        agents = list(db.session.scalars(stmt))
        batch.team_agents[team.id] = agents
        batch.locked.update((Agent, a.id) for a in agents)
        batch.open_leads.update(open_lead_counts(a.id for a in agents))
    agents = batch.team_agents[team.id] if only is None else only
    missing = [a.id for a in agents if a.id not in batch.open_leads]
    batch.open_leads.update(open_lead_counts(missing))
    counts = {a.id: batch.open_leads[a.id] for a in agents}
    recent: dict[int, int] = {}
    if with_recent and agents:
        if team.id not in batch.recent:
            team_ids = [a.id for a in batch.team_agents[team.id]]
            batch.recent[team.id] = _recent_assignment_counts(team, team_ids, now)
        recent = batch.recent[team.id]
    return agents, counts, recent


def _counted(agent: Agent, team: Team | None) -> None:
    """The batch's counts after giving a lead to `agent` (of `team`)."""
    batch = _batch.get()
    if batch is None:
        return
    batch.open_leads[agent.id] = batch.open_leads.get(agent.id, 0) + 1
    if team is not None and team.id in batch.recent:
        recent = batch.recent[team.id]
        recent[agent.id] = recent.get(agent.id, 0) + 1


def _candidate(
    agent: Agent, team: Team | None, now: dt.datetime, open_leads: int | None = None
) -> Candidate:
    if open_leads is None:
        open_leads = open_lead_counts([agent.id])[agent.id]
    candidate = Candidate(agent, open_leads)
    candidate.skipped = skip_reasons(agent, team, open_leads, now)
    return candidate


def skip_reasons(agent: Agent, team: Team | None, open_leads: int, now: dt.datetime) -> list[Skip]:
    """Why routing would pass `agent` over at `now` (empty: available)."""
    reasons = []
    if not agent.active:
        reasons.append(Skip(INACTIVE, f"{agent.name} is deactivated"))
    if open_leads >= agent.capacity:
        reasons.append(Skip(AT_CAPACITY, f"{open_leads} open leads, capacity {agent.capacity}"))
    if agent.working_hours is not None and not _working(agent, now):
        at = localtime(now, "%Y-%m-%d %H:%M %a")
        reasons.append(Skip(OUTSIDE_WORKING_HOURS, f"outside working hours at {at}"))
    limit = team.max_private_leads if team is not None else None
    if team is not None and limit is not None and open_leads >= limit:
        reasons.append(
            Skip(
                OVER_PRIVATE_LEAD_LIMIT,
                f"{open_leads} open leads, team {team.name} allows {limit} per agent",
            )
        )
    return reasons


def _working(agent: Agent, now: dt.datetime) -> bool:
    batch = _batch.get()
    if batch is None:
        return _working_at(agent, now)
    key = (agent.id, now.replace(second=0, microsecond=0))
    working = batch.working.get(key)
    if working is None:
        working = batch.working[key] = _working_at(agent, now)
    return working


def _working_at(agent: Agent, now: dt.datetime) -> bool:
    tz = current_app.config.get("TIMEZONE", worktime.DEFAULT_TZ)
    try:
        return worktime.is_working_time(now, agent.working_hours, tz=tz)
    except ValueError as exc:
        # Validated on write; a hand-edited row must not stop routing.
        log.warning("agent %s has invalid working hours (%s); treated as off", agent.id, exc)
        return False


def _still_available(candidate: Candidate, team: Team | None, now: dt.datetime) -> bool:
    """Lock the chosen agent and count again: a claim may have just taken their last slot."""
    batch = _batch.get()
    counted = batch is not None and (Agent, candidate.agent.id) in batch.locked
    if counted:
        # Locked by this batch, which counted their leads and has kept the count since: the
        # candidate's reasons were reckoned from what a second look would see.
        return candidate.available
    agent = _lock(Agent, candidate.agent.id)
    candidate.agent = agent
    candidate.open_leads = open_lead_counts([agent.id])[agent.id]
    if batch is not None:
        batch.open_leads[agent.id] = candidate.open_leads
    candidate.skipped = skip_reasons(agent, team, candidate.open_leads, now)
    return candidate.available


def _pool_reason(team: Team, candidates: list[Candidate]) -> str:
    if not candidates:
        return f"team {team.name} has no agents; left in its pool"
    return f"no agent of team {team.name} is available; left in its pool"


# --- assigning -------------------------------------------------------------------------------


def route_lead(lead_id: int) -> RoutingOutcome | None:
    """Route one lead; None when it does not exist or was routed already. Caller commits."""
    lead = db.session.get(Lead, lead_id, with_for_update={"key_share": True})
    if lead is None or lead.routed_at is not None:
        return None
    # One UPDATE of the lead at the end, not one per query that would autoflush.
    with db.session.no_autoflush:
        return _route_locked(lead)


def route_leads(lead_ids: Sequence[int], *, more: int = 0) -> list[RoutingOutcome]:
    """Route many leads in one transaction (see the module docstring); the outcomes of those
    that exist and were not routed yet. With `more`, up to that many other leads still owed
    a routing come along, oldest first, only those no other transaction holds (SKIP LOCKED):
    under load the worker's queue holds many small batches, and one transaction routing a
    hundred leads costs far less per lead than ten routing ten (their own tasks then find
    them routed). Only leads younger than ROUTING_SWEEP_AFTER_SECONDS come along: an older
    one is the sweeper's, so a lead whose routing keeps failing cannot fail every batch for
    long. Caller commits; on an error it rolls back the batch, and routing each lead
    on its own is always correct."""
    if not lead_ids and not more:
        return []
    stmt = (
        select(Lead)
        .where(Lead.id.in_(sorted(set(lead_ids))))
        .order_by(Lead.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    leads = [lead for lead in db.session.scalars(stmt) if lead.routed_at is None]
    if more > 0:
        sweep_after = current_app.config["ROUTING_SWEEP_AFTER_SECONDS"]
        owed = (
            select(Lead)
            .where(
                Lead.routed_at.is_(None),
                Lead.created_at >= utcnow() - dt.timedelta(seconds=sweep_after),
                Lead.id.not_in(list(lead_ids)),
            )
            .order_by(Lead.created_at)
            .limit(more)
            .with_for_update(key_share=True, skip_locked=True)
            .execution_options(populate_existing=True)
        )
        leads += db.session.scalars(owed)
    with (
        _batch_scope(),
        outbox.one_insert(),
        lifecycle.batch_writes(),
        db.session.no_autoflush,
    ):
        outcomes = [_route_locked(lead) for lead in leads]
        lifecycle.write_leads(leads)
    return outcomes


def _route_locked(lead: Lead) -> RoutingOutcome:
    now = utcnow()
    lead.routed_at = now
    if lead.agent_id is not None or lead.status is not LeadStatus.NEW:
        # Claimed or handled by hand before the worker got to it.
        return RoutingOutcome(lead.id, lead.agent_id, lead.team_id, "already handled")

    plan = plan_route(lead, now=now, lock=True)
    rule_id = plan.rule.id if plan.rule is not None else None
    lead.team_id = plan.team.id if plan.team is not None else None
    if plan.agent is None:
        lifecycle.record_event(
            lead.id,
            EventType.UNASSIGNED,
            actor="system",
            at=now,
            data={
                "reason": plan.reason,
                "pool": lead.team_id,
                "rule_id": rule_id,
                "skipped": [
                    {"agent_id": c.agent.id, "reasons": [s.code for s in c.skipped]}
                    for c in plan.skipped
                ],
            },
        )
        return RoutingOutcome(lead.id, None, lead.team_id, plan.reason, rule_id)

    reason = plan.strategy.value if plan.strategy is not None else "rule_agent"
    if plan.strategy is not None and plan.team is not None:
        plan.team.last_assigned_agent_id = plan.agent.id
    plan.agent.last_assigned_at = now
    _counted(plan.agent, plan.team)
    assign(
        lead,
        plan.agent,
        actor="system",
        reason=reason,
        data={"rule_id": rule_id, "team_id": lead.team_id, "score": plan.score, "why": plan.reason},
    )
    return RoutingOutcome(lead.id, plan.agent.id, lead.team_id, reason, rule_id)


def assign(
    lead: Lead,
    agent: Agent,
    *,
    actor: str,
    reason: str,
    by_agent_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Give `lead` to `agent`: status, timestamps and the assignment event.

    A lead that already carries `agent` (a claim sets it in its conditional UPDATE) is being
    assigned, not reassigned.
    """
    now = utcnow()
    previous = lead.agent_id if lead.agent_id != agent.id else None
    lead.agent_id = agent.id
    lead.team_id = agent.team_id or lead.team_id
    lead.assigned_at = now
    if lead.status is LeadStatus.NEW:
        lifecycle.change_status(
            lead,
            LeadStatus.ASSIGNED,
            actor=actor,
            agent_id=by_agent_id,
            data={"agent_id": agent.id},
        )
    lifecycle.record_event(
        lead.id,
        EventType.REASSIGNED if previous else EventType.ASSIGNED,
        actor=actor,
        agent_id=by_agent_id,
        at=now,
        data={
            "agent_id": agent.id,
            "agent": agent.name,
            "from_agent_id": previous,
            "reason": reason,
            **(data or {}),
        },
    )
    alerts.notify_lead_assigned(lead, agent)


def unrouted_lead_ids(older_than_seconds: int, limit: int = 500) -> list[int]:
    """Leads the worker still owes a routing (lost publish, broker outage, crash)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    stmt = (
        select(Lead.id)
        .where(Lead.routed_at.is_(None), Lead.created_at < cutoff)
        .order_by(Lead.created_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
