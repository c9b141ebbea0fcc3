"""Bearer-token authentication and role checks for the JSON API."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from app.accounts.models import Agent, Role
from app.accounts.service import agent_for_token
from app.core.errors import Forbidden, Unauthorized

P = ParamSpec("P")
R = TypeVar("R")


def current_agent() -> Agent:
    return g.agent


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/auth/token)")
    return token.strip()


def require_token(*roles: Role) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Authenticate the bearer token; with `roles`, also require one of them."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            agent = agent_for_token(_bearer_token())
            if roles and agent.role not in roles:
                raise Forbidden("your role may not do this")
            g.agent = agent
            return view(*args, **kwargs)

        return wrapper

    return decorator
