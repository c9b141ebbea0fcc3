"""Agents, passwords and API tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import secrets
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select

from app.accounts.models import Agent, PageSession, Role, Team
from app.core.db import db, utcnow
from app.core.errors import Conflict, Unauthorized, ValidationFailed


@functools.cache
def _hasher_for(memory_kib: int, time_cost: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost)


def _hasher() -> PasswordHasher:
    """argon2id with the configured cost (production defaults; tests use a cheap one)."""
    cfg = current_app.config
    return _hasher_for(cfg["PASSWORD_HASH_MEMORY_KIB"], cfg["PASSWORD_HASH_TIME_COST"])


MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "password is too short",
            fields={"password": f"at least {MIN_PASSWORD_LENGTH} characters"},
        )
    return _hasher().hash(password)


def verify_password(agent: Agent, password: str) -> bool:
    try:
        return _hasher().verify(agent.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def get_default_team() -> Team | None:
    return db.session.scalars(select(Team).where(Team.is_default.is_(True))).first()


def ensure_default_team(name: str = "招商一部") -> Team:
    team = get_default_team()
    if team is None:
        team = Team(name=name, is_default=True)
        db.session.add(team)
        db.session.flush()
    return team


def create_agent(
    *,
    login: str,
    password: str,
    name: str | None = None,
    role: Role = Role.AGENT,
    team: Team | None = None,
    email: str | None = None,
    phone: str | None = None,
    capacity: int = 50,
) -> Agent:
    login = login.strip()
    if not login or len(login) > 64:
        raise ValidationFailed("login is required", fields={"login": "1 to 64 characters"})
    if db.session.scalars(select(Agent).where(Agent.login == login)).first() is not None:
        raise Conflict(f"an agent with login {login!r} already exists", code="login_taken")
    agent = Agent(
        login=login,
        name=name or login,
        password_hash=hash_password(password),
        role=role,
        team_id=team.id if team else None,
        email=email,
        phone=phone,
        capacity=capacity,
    )
    db.session.add(agent)
    db.session.flush()
    return agent


def set_password(agent: Agent, password: str) -> None:
    agent.password_hash = hash_password(password)
    agent.tokens_valid_after = utcnow()


def authenticate(login: str, password: str) -> Agent:
    agent = db.session.scalars(select(Agent).where(Agent.login == login)).first()
    if agent is None:
        # Spend the same time as a real check so response timing does not reveal logins.
        _dummy_verify(password)
        raise Unauthorized("wrong login or password", code="bad_credentials")
    if not verify_password(agent, password) or not agent.active:
        raise Unauthorized("wrong login or password", code="bad_credentials")
    return agent


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_MEMORY_KIB"])


@functools.cache
def _dummy_hash_for(_memory_kib: int) -> str:
    return _hasher().hash("parklead-dummy-password")


def _dummy_verify(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _hasher().verify(_dummy_hash(), password)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="parklead-api-token")


def _token_epoch(agent: Agent) -> int:
    """Microseconds of the agent's last revocation; tokens carry it and must still match."""
    return int(agent.tokens_valid_after.timestamp() * 1_000_000)


def issue_token(agent: Agent) -> str:
    return _serializer().dumps({"agent": agent.id, "epoch": _token_epoch(agent)})


def agent_for_token(token: str) -> Agent:
    max_age = current_app.config["TOKEN_MAX_AGE_SECONDS"]
    try:
        payload, issued = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise Unauthorized("token expired; request a new one", code="token_expired") from None
    except BadSignature:
        raise Unauthorized("invalid token", code="invalid_token") from None
    agent = db.session.get(Agent, payload.get("agent"))
    if agent is None or not agent.active:
        raise Unauthorized("invalid token", code="invalid_token")
    # The signer's timestamps are whole seconds, too coarse to tell a token issued just before
    # a password change from one issued just after it; the epoch in the payload is exact.
    revoked = issued.replace(tzinfo=dt.UTC) < agent.tokens_valid_after.replace(microsecond=0)
    if revoked or payload.get("epoch") != _token_epoch(agent):
        raise Unauthorized("token revoked; log in again", code="token_revoked")
    return agent


# --- binding an agent's official-account openid by scanning a QR code ------------------------

BIND_SCENE_PREFIX = "bind:"
BIND_QR_SECONDS = 600


def _binding_signature(agent_id: int, expires: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"parklead-bind:{agent_id}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16]


def binding_scene(agent: Agent, *, now: float | None = None) -> tuple[str, int]:
    """The scene string of a short-lived QR code that binds whoever scans it to `agent`, and
    its lifetime in seconds. Signed with SECRET_KEY: nobody can forge one for another agent;
    at most 64 characters, WeChat's limit for scene_str (docs/notifications.md)."""
    expires = int(now if now is not None else time.time()) + BIND_QR_SECONDS
    signature = _binding_signature(agent.id, expires)
    return f"{BIND_SCENE_PREFIX}{agent.id}:{expires}:{signature}", BIND_QR_SECONDS


def agent_for_binding_scene(scene: str, *, now: float | None = None) -> Agent | None:
    """The active agent a binding scene names, or None when it is forged, expired or unknown."""
    try:
        agent_id, expires, signature = scene.removeprefix(BIND_SCENE_PREFIX).split(":")
        agent_number, expiry = int(agent_id), int(expires)
    except ValueError:
        return None
    if not hmac.compare_digest(signature, _binding_signature(agent_number, expiry)):
        return None
    if expiry < (now if now is not None else time.time()):
        return None
    agent = db.session.get(Agent, agent_number)
    return agent if agent is not None and agent.active else None


def start_page_session(agent: Agent) -> str:
    """A new server-side page session for `agent`; its id goes into the signed cookie. Sessions
    past their age are dropped here, so the table holds only the live ones."""
    cutoff = utcnow() - dt.timedelta(seconds=current_app.config["SESSION_MAX_AGE_SECONDS"])
    db.session.execute(delete(PageSession).where(PageSession.created_at < cutoff))
    session_id = secrets.token_urlsafe(32)
    db.session.add(PageSession(id=session_id, agent_id=agent.id))
    db.session.flush()
    return session_id


def page_session_valid(session_id: str | None, agent: Agent) -> bool:
    if not session_id:
        return False
    row = db.session.get(PageSession, session_id)
    if row is None or row.agent_id != agent.id:
        return False
    age = utcnow() - row.created_at
    return age.total_seconds() < current_app.config["SESSION_MAX_AGE_SECONDS"]


def end_page_session(session_id: str | None) -> None:
    if session_id:
        db.session.execute(delete(PageSession).where(PageSession.id == session_id))
