"""Managing teams and agents (admin API): plain functions that `flush()`; the request commits.

Passwords go in and never come out: `agent_to_dict` has no hash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from app.accounts import service as accounts
from app.accounts.models import Agent, Role, Team
from app.accounts.schemas import AgentIn, AgentPatch, TeamIn, TeamPatch
from app.core.cursors import page_size
from app.core.db import db, utcnow
from app.core.errors import Conflict, NotFound, ValidationFailed

MAX_ID = 2**31 - 1


def _unknown(field: str, what: str, row_id: int) -> ValidationFailed:
    return ValidationFailed(f"no {what} {row_id}", fields={field: f"no {what} {row_id}"})


# --- teams -------------------------------------------------------------------------------------


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id) if 0 < team_id <= MAX_ID else None
    if team is None:
        raise NotFound(f"no team {team_id}")
    return team


def list_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.id)))


def agent_counts(team_ids: list[int]) -> dict[int, int]:
    if not team_ids:
        return {}
    stmt = (
        select(Agent.team_id, func.count())
        .where(Agent.team_id.in_(team_ids))
        .group_by(Agent.team_id)
    )
    counts: dict[int, int] = {team_id: n for team_id, n in db.session.execute(stmt)}
    return {i: counts.get(i, 0) for i in team_ids}


def _check_team_name(name: str, team_id: int | None = None) -> None:
    stmt = select(Team.id).where(func.lower(Team.name) == name.lower())
    existing = db.session.scalar(stmt)
    if existing is not None and existing != team_id:
        raise Conflict(f"a team named {name!r} already exists", code="name_taken")


def _make_default(team: Team) -> None:
    """`team` becomes the default team; the previous one stops being it (one default)."""
    for other in db.session.scalars(select(Team).where(Team.is_default.is_(True))):
        if other.id != team.id:
            other.is_default = False
    db.session.flush()  # before setting the new one: the partial unique index allows one
    team.is_default = True


def create_team(data: TeamIn) -> Team:
    _check_team_name(data.name)
    team = Team(
        name=data.name,
        is_default=False,
        strategy=data.strategy,
        sla_minutes=data.sla_minutes,
        pool_after_days=data.pool_after_days,
        max_private_leads=data.max_private_leads,
        active=data.active,
    )
    db.session.add(team)
    db.session.flush()
    if data.is_default:
        if not data.active:
            raise _default_must_be_active()
        _make_default(team)
        db.session.flush()
    return team


def _default_must_be_active() -> Conflict:
    return Conflict(
        "the default team takes every lead no rule matches; it cannot be inactive",
        code="default_team_inactive",
    )


def update_team(team_id: int, patch: TeamPatch) -> Team:
    team = get_team(team_id)
    given = patch.model_fields_set
    if patch.name is not None:
        _check_team_name(patch.name, team.id)
        team.name = patch.name
    if patch.is_default is False and team.is_default:
        raise Conflict(
            "make another team the default instead; there must be one", code="default_team"
        )
    for name in ("strategy", "active"):
        if getattr(patch, name) is not None:
            setattr(team, name, getattr(patch, name))
    for name in ("sla_minutes", "pool_after_days", "max_private_leads"):
        if name in given:
            setattr(team, name, getattr(patch, name))
    if patch.is_default:
        _make_default(team)
    if team.is_default and not team.active:
        raise _default_must_be_active()
    db.session.flush()
    return team


def delete_team(team_id: int, *, refuse_referred: Callable[[Team], None]) -> None:
    """Delete an empty team; 409 while agents still belong to it, or while `refuse_referred`
    (the caller's check of the rooms above accounts: routing rules, leads) raises."""
    team = get_team(team_id)
    if team.is_default:
        raise Conflict("the default team cannot be deleted", code="default_team")
    agents = agent_counts([team.id])[team.id]
    if agents:
        raise Conflict(
            f"team {team.name} still has {agents} agent(s); move them to another team first",
            code="team_has_agents",
            extra={"agents": agents},
        )
    refuse_referred(team)
    db.session.delete(team)
    db.session.flush()


def team_to_dict(team: Team, agents: int) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "is_default": team.is_default,
        "strategy": team.strategy.value,
        "sla_minutes": team.sla_minutes,
        "pool_after_days": team.pool_after_days,
        "max_private_leads": team.max_private_leads,
        "active": team.active,
        "agents": agents,
        "created_at": team.created_at.isoformat(),
    }


# --- agents ------------------------------------------------------------------------------------


def get_agent(agent_id: int) -> Agent:
    agent = db.session.get(Agent, agent_id) if 0 < agent_id <= MAX_ID else None
    if agent is None:
        raise NotFound(f"no agent {agent_id}")
    return agent


def list_agents(
    *,
    team_id: int | None = None,
    role: Role | None = None,
    active: bool | None = None,
    limit: int = 50,
    cursor: int | None = None,
) -> tuple[list[Agent], int | None]:
    """Agents by id, keyset-paginated (the cursor is the last id of the previous page)."""
    limit = page_size(limit)
    stmt = select(Agent)
    if team_id is not None:
        stmt = stmt.where(Agent.team_id == team_id)
    if role is not None:
        stmt = stmt.where(Agent.role == role)
    if active is not None:
        stmt = stmt.where(Agent.active.is_(active))
    if cursor is not None:
        stmt = stmt.where(Agent.id > cursor)
    rows = list(db.session.scalars(stmt.order_by(Agent.id).limit(limit + 1)))
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1].id
    return rows, None


def _team_for(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None:
        raise _unknown("team_id", "team", team_id)
    return team


def create_agent(data: AgentIn) -> Agent:
    agent = accounts.create_agent(
        login=data.login,
        password=data.password,
        name=data.name,
        role=data.role,
        team=_team_for(data.team_id),
        email=data.email,
        phone=data.phone,
        capacity=data.capacity,
    )
    agent.wechat_openid = data.wechat_openid
    set_alerts(agent, data, {"wecom_userid", "notify_channels", "notify_events"})
    agent.skills = data.skills.model_dump(mode="json")
    agent.weight = data.weight
    agent.working_hours = data.working_hours
    agent.active = data.active
    db.session.flush()
    return agent


def update_agent(agent_id: int, patch: AgentPatch) -> Agent:
    agent = get_agent(agent_id)
    given = patch.model_fields_set
    if patch.login is not None and patch.login != agent.login:
        taken = db.session.scalar(select(Agent.id).where(Agent.login == patch.login))
        if taken is not None:
            raise Conflict(
                f"an agent with login {patch.login!r} already exists", code="login_taken"
            )
        agent.login = patch.login
    stays_admin = (patch.role or agent.role) is Role.ADMIN and patch.active is not False
    if agent.role is Role.ADMIN and agent.active and not stays_admin:
        _keep_an_admin(agent)
    if "team_id" in given:
        agent.team_id = _team_for(patch.team_id).id if patch.team_id is not None else None
    if patch.password is not None:
        accounts.set_password(agent, patch.password)  # also revokes their tokens
    if patch.skills is not None:
        agent.skills = patch.skills.model_dump(mode="json")
    for name in ("name", "role", "capacity", "weight"):
        if getattr(patch, name) is not None:
            setattr(agent, name, getattr(patch, name))
    for name in ("phone", "email", "wechat_openid", "working_hours"):
        if name in given:
            setattr(agent, name, getattr(patch, name))
    set_alerts(agent, patch, given)
    if patch.active is not None and patch.active != agent.active:
        agent.active = patch.active
        if not patch.active:
            agent.tokens_valid_after = utcnow()
    db.session.flush()
    return agent


def set_alerts(agent: Agent, data: AgentIn, given: set[str]) -> None:
    """Where and about what the agent is alerted (docs/notifications.md), for the fields in
    `given`; unknown to notifications, which reads them when it queues an alert."""
    if "wecom_userid" in given:
        agent.wecom_userid = (data.wecom_userid or "").strip() or None
    if "notify_channels" in given:
        channels = data.notify_channels
        agent.notify_channels = [c.value for c in channels] if channels is not None else None
    if "notify_events" in given:
        events = data.notify_events
        agent.notify_events = {e.value: on for e, on in events.items()} if events else None


def bind_wechat_openid(agent_id: int, openid: str) -> Agent:
    """The agent scanned their binding QR code: this official-account follower is them.
    A follower bound to another agent before is taken from them (one person, one openid)."""
    agent = get_agent(agent_id)
    for other in db.session.scalars(select(Agent).where(Agent.wechat_openid == openid)):
        if other.id != agent.id:
            other.wechat_openid = None
    agent.wechat_openid = openid
    db.session.flush()
    return agent


def _keep_an_admin(agent: Agent) -> None:
    others = db.session.scalar(
        select(func.count()).where(
            Agent.role == Role.ADMIN, Agent.active.is_(True), Agent.id != agent.id
        )
    )
    if not others:
        raise Conflict(
            f"{agent.name} is the last active admin; make someone else admin first",
            code="last_admin",
        )


def agent_to_dict(agent: Agent, open_leads: int | None = None) -> dict[str, Any]:
    data = {
        "id": agent.id,
        "login": agent.login,
        "name": agent.name,
        "role": agent.role.value,
        "team_id": agent.team_id,
        "phone": agent.phone,
        "email": agent.email,
        "wechat_openid": agent.wechat_openid,
        "wecom_userid": agent.wecom_userid,
        "notify_channels": agent.notify_channels,
        "notify_events": agent.notify_events,
        "skills": agent.skills or {},
        "capacity": agent.capacity,
        "weight": agent.weight,
        "working_hours": agent.working_hours,
        "active": agent.active,
        "last_assigned_at": agent.last_assigned_at.isoformat() if agent.last_assigned_at else None,
        "created_at": agent.created_at.isoformat(),
    }
    if open_leads is not None:
        data["open_leads"] = open_leads
    return data
