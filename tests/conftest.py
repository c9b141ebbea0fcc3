"""Shared fixtures.

Every test that uses `app` runs twice: on SQLite and on PostgreSQL (TEST_PG_URL, default the
local server). Each test runs inside a transaction that is rolled back at its end; code under
test commits to a SAVEPOINT. When PostgreSQL or Redis cannot be reached, the tests that need
them are skipped with the reason printed, except under CI (CI=true), where that fails the run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import celery
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import service as accounts
from app.accounts.models import Agent, Role, Team
from app.core.db import db
from app.core.limiter import limiter
from app.leads import service as leads
from app.leads.models import Channel, Lead
from app.leads.schemas import EnquiryIn
from app.settings import worktime
from app.wechat import knowledge
from tests.support import (  # noqa: F401 - re-exported for test modules
    IN_CI,
    TEST_PG_URL,
    TEST_REDIS_URL,
    drop_created_databases,
    make_app,
    migrate,
    recreate_pg_database,
    unavailable,
)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_created_databases()


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {TEST_REDIS_URL} unreachable ({exc})")
    finally:
        client.close()
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def pg_url() -> str:
    error = recreate_pg_database(TEST_PG_URL)
    if error:
        unavailable(error)
    return TEST_PG_URL


# --- the app, once per backend -------------------------------------------------------------


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp(f"app-{backend}")
    if backend == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp / 'test.db'}"
    application = make_app(url, tmp)
    migrate(application)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture(autouse=True)
def _keep_process_wide_state() -> Iterator[None]:
    """Every create_app() re-points flask-limiter's storage and Celery's current app at the
    newest app; put them back so a test that builds its own app leaves the rest alone."""
    celery_app = celery.current_app._get_current_object()
    limiter_state = dict(vars(limiter))
    yield
    vars(limiter).clear()
    vars(limiter).update(limiter_state)
    celery_app.set_current()
    celery_app.set_default()


@pytest.fixture(autouse=True)
def _isolated_db(request: pytest.FixtureRequest) -> Iterator[None]:
    """Wrap each test that uses `app` in a transaction rolled back at the end."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    engine = application.extensions["db_engine"]
    connection = engine.connect()
    outer = connection.begin()
    saved = application.extensions["db_session_options"]
    application.extensions["db_session_options"] = {
        "bind": connection,
        "join_transaction_mode": "create_savepoint",
    }
    limiter.reset()
    worktime.forget_admin_years()  # what a rolled-back test read is gone
    knowledge.forget()
    ctx = application.app_context()
    ctx.push()
    try:
        yield
    finally:
        ctx.pop()
        application.extensions["db_session_options"] = saved
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories (factory + ready-made pairs) -------------------------------------------------


@pytest.fixture
def make_team(app: Flask) -> Callable[..., Team]:
    def _make(name: str | None = None, *, default: bool = False) -> Team:
        team = Team(name=name or f"team-{uuid.uuid4().hex[:8]}", is_default=default)
        db.session.add(team)
        db.session.commit()
        return team

    return _make


@pytest.fixture
def default_team(make_team: Callable[..., Team]) -> Team:
    return make_team("招商一部", default=True)


PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_agent(app: Flask) -> Callable[..., Agent]:
    def _make(
        login: str | None = None,
        *,
        role: Role = Role.AGENT,
        team: Team | None = None,
        active: bool = True,
        **fields: Any,
    ) -> Agent:
        agent = accounts.create_agent(
            login=login or f"agent-{uuid.uuid4().hex[:8]}",
            password=PASSWORD,
            role=role,
            team=team,
            **fields,
        )
        agent.active = active
        db.session.commit()
        return agent

    return _make


@pytest.fixture
def agent(make_agent: Callable[..., Agent], default_team: Team) -> Agent:
    return make_agent("zhang", team=default_team)


@pytest.fixture
def admin(make_agent: Callable[..., Agent], default_team: Team) -> Agent:
    return make_agent("boss", role=Role.ADMIN, team=default_team)


@pytest.fixture
def token_for(client: FlaskClient) -> Callable[[Agent], dict[str, str]]:
    def _headers(agent: Agent) -> dict[str, str]:
        response = client.post("/api/auth/token", json={"login": agent.login, "password": PASSWORD})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return _headers


_phones = iter(range(10_000_000))


def fresh_phone() -> str:
    return f"+86139{next(_phones):08d}"


@pytest.fixture
def create_lead(app: Flask) -> Callable[..., Lead]:
    """Submit an enquiry through the service (routing runs in-process, as in embedded mode)."""

    def _create(**fields: Any) -> Lead:
        fields.setdefault("phone", fresh_phone())
        fields.setdefault("need_type", "factory")
        for key in ("area_min_m2", "area_max_m2", "tax_wan", "investment_wan"):
            if key in fields and fields[key] is not None:
                fields[key] = Decimal(str(fields[key]))
        result = leads.submit_enquiry(EnquiryIn.model_validate(fields), channel=Channel.WEB_FORM)
        db.session.commit()
        db.session.refresh(result.lead)
        return result.lead

    return _create


@pytest.fixture
def lead(create_lead: Callable[..., Lead], agent: Agent) -> Lead:
    return create_lead(company="湘能电池科技有限公司", contact_name="王先生", tax_wan=300)


@pytest.fixture(autouse=True)
def _forget_in_process_api_tokens() -> None:
    """Embedded mode keeps WeChat and 企业微信 tokens per (base URL, account) for the process.
    A test's fake server may get the port of an earlier test's fake; without this, a client
    would send the earlier fake's token and meet 40014 where the test expects otherwise."""
    from app.core import token_client

    with token_client._memory_stores_guard:
        for store in token_client._memory_stores.values():  # also those cached clients hold
            for key in list(store._data):
                store.delete(key)
        token_client._memory_stores.clear()
