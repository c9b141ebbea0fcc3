"""Routing rules, dry runs, the unassigned pool, claiming and assigning by hand.

Plain functions for the routes; they `flush()` and the request commits.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import Agent, Role, Team
from app.core.db import db, utcnow
from app.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.leads import scoring
from app.leads import service as leads
from app.leads.models import (
    OPEN_STATUSES,
    Channel,
    Lead,
    LeadStatus,
    NeedType,
)
from app.leads.schemas import parse_enquiry_payload
from app.routing import engine
from app.routing.models import RoutingRule
from app.routing.schemas import DryRunIn, RuleIn, RulePatch, target_errors
from app.routing.strategies import Candidate

MAX_ID = 2**31 - 1


T = TypeVar("T", RoutingRule, Lead)


def _get(model: type[T], row_id: int, what: str) -> T:
    row = db.session.get(model, row_id) if 0 < row_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"no {what} {row_id}")
    return row


# --- rules -------------------------------------------------------------------------------------


def list_rules() -> list[RoutingRule]:
    stmt = select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)
    return list(db.session.scalars(stmt))


def get_rule(rule_id: int) -> RoutingRule:
    return _get(RoutingRule, rule_id, "routing rule")


def _check_targets(team_id: int | None, agent_id: int | None) -> None:
    if team_id is not None and db.session.get(Team, team_id) is None:
        raise ValidationFailed(f"no team {team_id}", fields={"team_id": f"no team {team_id}"})
    if agent_id is not None and db.session.get(Agent, agent_id) is None:
        raise ValidationFailed(f"no agent {agent_id}", fields={"agent_id": f"no agent {agent_id}"})


def _place(rule: RoutingRule, position: int | None) -> None:
    """Put `rule` at `position` (1 = first; None or past the end = last), renumbering all."""
    others = [r for r in list_rules() if r.id != rule.id]
    index = len(others) if position is None else min(position - 1, len(others))
    others.insert(index, rule)
    for number, r in enumerate(others, start=1):
        r.position = number


def create_rule(data: RuleIn) -> RoutingRule:
    _check_targets(data.team_id, data.agent_id)
    rule = RoutingRule(
        name=data.name,
        position=0,
        active=data.active,
        conditions=data.conditions.stored(),
        team_id=data.team_id,
        agent_id=data.agent_id,
        strategy=data.strategy,
    )
    db.session.add(rule)
    db.session.flush()
    _place(rule, data.position)
    db.session.flush()
    return rule


def update_rule(rule_id: int, patch: RulePatch) -> RoutingRule:
    rule = get_rule(rule_id)
    given = patch.model_fields_set
    team_id = patch.team_id if "team_id" in given else rule.team_id
    agent_id = patch.agent_id if "agent_id" in given else rule.agent_id
    # Naming a new target replaces the old one.
    if "team_id" in given and patch.team_id is not None and "agent_id" not in given:
        agent_id = None
    if "agent_id" in given and patch.agent_id is not None and "team_id" not in given:
        team_id = None
    strategy = patch.strategy if "strategy" in given else rule.strategy
    if agent_id is not None and "strategy" not in given:
        strategy = None
    errors = target_errors(team_id, agent_id, strategy)
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
    _check_targets(patch.team_id, patch.agent_id)
    rule.team_id, rule.agent_id, rule.strategy = team_id, agent_id, strategy
    if patch.name is not None:
        rule.name = patch.name
    if patch.conditions is not None:
        rule.conditions = patch.conditions.stored()
    if patch.active is not None:
        rule.active = patch.active
    if patch.position is not None:
        _place(rule, patch.position)
    rule.updated_at = utcnow()
    db.session.flush()
    return rule


def delete_rule(rule_id: int) -> None:
    rule = get_rule(rule_id)
    db.session.delete(rule)
    db.session.flush()
    for number, r in enumerate(list_rules(), start=1):
        r.position = number
    db.session.flush()


def reorder_rules(ids: list[int]) -> list[RoutingRule]:
    """Check rules in the order of `ids`, which must name every rule exactly once."""
    rules = {r.id: r for r in list_rules()}
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    unknown = [i for i in ids if i not in rules]
    missing = sorted(set(rules) - set(ids))
    problems = []
    if duplicates:
        problems.append(f"listed twice: {', '.join(map(str, duplicates))}")
    if unknown:
        problems.append(f"no such rules: {', '.join(map(str, unknown))}")
    if missing:
        problems.append(f"missing: {', '.join(map(str, missing))}")
    if problems:
        message = "ids must list every rule exactly once; " + "; ".join(problems)
        raise ValidationFailed(message, fields={"ids": message})
    for number, rule_id in enumerate(ids, start=1):
        rules[rule_id].position = number
    db.session.flush()
    return [rules[i] for i in ids]


def rules_naming_team(team_id: int) -> list[RoutingRule]:
    """Rules that send leads to `team_id` (the team may not be deleted while they exist)."""
    stmt = select(RoutingRule).where(RoutingRule.team_id == team_id).order_by(RoutingRule.id)
    return list(db.session.scalars(stmt))


def rule_to_dict(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "position": rule.position,
        "active": rule.active,
        "conditions": rule.conditions or {},
        "team_id": rule.team_id,
        "agent_id": rule.agent_id,
        "strategy": rule.strategy.value if rule.strategy else None,
        "created_at": rule.created_at.isoformat(),
        "updated_at": rule.updated_at.isoformat(),
    }


# --- dry run -----------------------------------------------------------------------------------


def dry_run(by: Agent, data: DryRunIn) -> dict[str, Any]:
    """Where a lead would be routed now (or at `data.at`), and why; changes nothing."""
    if data.lead_id is not None:
        lead = leads.get_visible_lead(by, data.lead_id)
    else:
        lead = Lead(
            channel=data.channel or Channel.WEB_FORM,
            source={"scene": data.scene} if data.scene else {},
            status=LeadStatus.NEW,
            need_type=data.need_type or NeedType.OTHER,
            **{k: v for k, v in data.lead_fields().items() if k != "need_type"},
        )
        lead.score = data.score if data.score is not None else scoring.score_lead(lead)
    at = data.at or utcnow()
    with db.session.no_autoflush:
        plan = engine.plan_route(lead, now=at, lock=False)
    return {
        "lead_id": lead.id,
        "at": at.isoformat(),
        "score": plan.score,
        "rule": _rule_brief(plan.rule),
        "rules_checked": [
            {"id": c.rule.id, "name": c.rule.name, "matched": c.matched, "reason": c.reason}
            for c in plan.checked
        ],
        "team": {"id": plan.team.id, "name": plan.team.name} if plan.team else None,
        "strategy": plan.strategy.value if plan.strategy else None,
        "agent": _agent_brief(plan.agent),
        "pool": plan.agent is None,
        "reason": plan.reason,
        "available": [_candidate(c) for c in plan.candidates if c.available],
        "skipped": [_candidate(c) for c in plan.skipped],
    }


def _rule_brief(rule: RoutingRule | None) -> dict[str, Any] | None:
    return {"id": rule.id, "name": rule.name, "position": rule.position} if rule else None


def _agent_brief(agent: Agent | None) -> dict[str, Any] | None:
    return {"id": agent.id, "login": agent.login, "name": agent.name} if agent else None


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        **(_agent_brief(c.agent) or {}),
        "open_leads": c.open_leads,
        "capacity": c.agent.capacity,
        "reasons": [{"code": s.code, "message": s.message} for s in c.skipped],
    }


# --- the pool, claiming and assigning ----------------------------------------------------------


def _owner_name(agent_id: int | None) -> str:
    owner = db.session.get(Agent, agent_id) if agent_id else None
    return owner.name if owner else "someone else"


def _check_private_limit(agent: Agent, *, including_this: bool, lock: bool) -> None:
    """409 when `agent` holds the most open leads their team allows. With `lock`, under the
    agent's row lock, so that two claims (or a claim and the worker) for one agent are counted
    one after the other; take it only after the lead's lock (the engine's order)."""
    team = db.session.get(Team, agent.team_id) if agent.team_id else None
    if team is None or team.max_private_leads is None:
        return
    if lock:
        db.session.execute(
            select(Agent.id).where(Agent.id == agent.id).with_for_update(key_share=True)
        )
    held = engine.open_lead_counts([agent.id])[agent.id] - (1 if including_this else 0)
    if held >= team.max_private_leads:
        raise Conflict(
            f"{agent.name} already holds {held} open leads; team {team.name} allows "
            f"{team.max_private_leads}",
            code="private_lead_limit",
            extra={"open_leads": held, "limit": team.max_private_leads},
        )


def claim(by: Agent, lead_key: str) -> Lead:
    """Take a lead from the unassigned pool. Exactly once: the conditional UPDATE below
    succeeds for one claimer (or the worker's lock wins first); the others get 409.

    A lead the claimer cannot see (another team's pool, someone else's lead) is a 404, as
    everywhere else: nothing says who holds it (docs/security.md). A claimer who saw it in
    the pool and lost the race to another hears who won."""
    lead = leads.get_visible_lead(by, lead_key)
    if lead.agent_id is not None:
        raise _already_claimed(lead)
    # The pool holds new leads and worked leads taken back from idle agents (公海): any open
    # lead without an agent may be claimed.
    if lead.status not in OPEN_STATUSES or lead.merged_into_id is not None:
        raise Conflict(
            f"lead {lead.reference} is {lead.status.value}, not in the pool", code="not_in_pool"
        )
    _check_private_limit(by, including_this=False, lock=False)  # fail fast, lock nothing yet
    taken = db.session.execute(
        update(Lead)
        .where(
            Lead.id == lead.id,
            Lead.agent_id.is_(None),
            Lead.status.in_(OPEN_STATUSES),
            Lead.merged_into_id.is_(None),
        )
        .values(agent_id=by.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(lead)
    if taken.rowcount != 1:
        raise _already_claimed(lead)
    # Counted again under the agent's row lock: another claim may have committed meanwhile.
    _check_private_limit(by, including_this=True, lock=True)
    if lead.routed_at is None:
        lead.routed_at = utcnow()  # decided by hand; the worker has nothing left to do
    engine.assign(lead, by, actor="agent", reason="claimed", by_agent_id=by.id)
    db.session.flush()
    return lead


def _already_claimed(lead: Lead) -> Conflict:
    if lead.agent_id is None:
        return Conflict(
            f"lead {lead.reference} is {lead.status.value}, not in the pool", code="not_in_pool"
        )
    name = _owner_name(lead.agent_id)
    return Conflict(
        f"lead {lead.reference} was already claimed by {name}",
        code="already_claimed",
        extra={"agent": {"id": lead.agent_id, "name": name}},
    )


def assign_to(by: Agent, lead_key: str, agent_id: int) -> Lead:
    """A team lead or admin gives a lead to a named agent (from the pool, or from another)."""
    lead = leads.get_visible_lead(by, lead_key, for_update=True)
    target = db.session.get(Agent, agent_id)
    if target is None:
        raise ValidationFailed(f"no agent {agent_id}", fields={"agent_id": f"no agent {agent_id}"})
    if not target.active:
        message = f"{target.name} is deactivated"
        raise ValidationFailed(message, fields={"agent_id": message})
    if by.role is Role.LEAD and (target.team_id is None or target.team_id != by.team_id):
        raise Forbidden("a team lead assigns leads to agents of their own team")
    if not lead.is_open or lead.merged_into_id is not None:
        raise Conflict(
            f"lead {lead.reference} is {lead.status.value}; only open leads are assigned",
            code="not_open",
        )
    if lead.agent_id == target.id:
        raise Conflict(f"lead {lead.reference} is already {target.name}'s", code="already_assigned")
    _check_private_limit(target, including_this=False, lock=True)
    if lead.routed_at is None:
        lead.routed_at = utcnow()
    engine.assign(lead, target, actor="agent", reason="assigned_by_hand", by_agent_id=by.id)
    db.session.flush()
    return lead


# --- leads taken by phone --------------------------------------------------------------------

MAX_AGENT_ID = 2**31 - 1


def create_manual_lead(
    payload: dict[str, Any], *, by: Agent, agent_id: int | None = None
) -> leads.IntakeResult:
    """A lead an agent took by phone (channel `phone`), assigned to the agent who enters it,
    or to `agent_id` when a team lead or admin names someone. A phone with an open lead
    joins that lead instead (docs/leads.md "Intake and dedupe"), which keeps its owner.
    Routing's, not the leads', because it takes the lead in through the leads' intake and
    then assigns it by hand, which only routing may do."""
    if agent_id is not None and not 0 < agent_id <= MAX_AGENT_ID:
        raise ValidationFailed(f"no agent {agent_id}", fields={"agent_id": "no such agent"})
    target_id = agent_id if agent_id is not None else by.id
    if by.role is Role.AGENT and target_id != by.id:
        raise Forbidden("agents enter leads for themselves; a team lead or admin may pick someone")
    enquiry = parse_enquiry_payload(payload)
    source = {"entered_by": by.login}
    existing = leads.find_open_lead_by_phone(enquiry.phone) if enquiry.phone else None
    if existing is not None:
        lead = leads.attach_enquiry(existing, enquiry, Channel.PHONE, source)
        return leads.IntakeResult(lead, created=False)
    try:
        with db.session.begin_nested():
            lead = leads.create_lead(
                enquiry.lead_fields(),
                channel=Channel.PHONE,
                source=source,
                actor="agent",
                agent_id=by.id,
            )
    except IntegrityError:
        existing = leads.find_open_lead_by_phone(enquiry.phone or "")
        if existing is None:
            raise
        lead = leads.attach_enquiry(existing, enquiry, Channel.PHONE, source)
        return leads.IntakeResult(lead, created=False)
    # The assignment by hand: its checks, the status, the event and the notification.
    assign_to(by, str(lead.id), target_id)
    return leads.IntakeResult(lead, created=True)


def open_leads_of(agent_ids: list[int]) -> dict[int, int]:
    """Open leads held by each agent (for the admin's agent list)."""
    return engine.open_lead_counts(agent_ids)
