"""The `parklead` console script (docs/api.md, docs/operations.md), run as an operator would:
configured by the environment, against a SQLite file of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from click.testing import Result

from app.accounts.models import Agent, Role, Team
from app.demo import DEMO_AGENTS, DEMO_PASSWORD
from app.leads.models import Lead
from tests.support import make_app

Run = Callable[..., Result]


@pytest.fixture
def upgraded(parklead: Run) -> Run:
    result = parklead("db", "upgrade")
    assert result.exit_code == 0, result.output
    return parklead


@pytest.fixture
def query(database_url: str) -> Iterator[Callable[[sa.Select], list]]:
    """Read what the commands committed, through a connection of the test's own."""
    engine = sa.create_engine(database_url)

    def _query(stmt: sa.Select) -> list:
        with engine.connect() as connection:
            return list(connection.execute(stmt))

    yield _query
    engine.dispose()


def fails_cleanly(result: Result) -> bool:
    """Non-zero exit with a message: click's usage/ClickException path, no traceback."""
    return (
        result.exit_code != 0
        and isinstance(result.exception, SystemExit)
        and "Traceback" not in result.output
        and "Error:" in result.output
    )


# --- help and database -------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "worker", "beat", "db", "create-admin", "seed-demo"])
def test_help_lists_the_contract_commands(parklead, command):
    result = parklead("--help")
    assert result.exit_code == 0
    listed = {
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert command in listed


def test_run_accepts_host_and_port(parklead):
    result = parklead("run", "--help")
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output


def test_db_upgrade_creates_the_schema_in_the_configured_database(parklead, query):
    result = parklead("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert "head" in result.output
    assert query(sa.select(sa.func.count()).select_from(Agent)) == [(0,)]
    assert query(sa.select(sa.func.count()).select_from(Lead)) == [(0,)]


# --- create-admin ------------------------------------------------------------------------------


def test_create_admin_with_flags_needs_no_prompt(upgraded, query):
    result = upgraded("create-admin", "--login", "chief", "--password", "long-enough-pw")

    assert result.exit_code == 0, result.output
    assert "chief" in result.output
    assert query(sa.select(Agent.login, Agent.role)) == [("chief", Role.ADMIN.value)]


def test_admin_created_on_the_command_line_can_get_an_api_token(upgraded, database_url, tmp_path):
    upgraded("create-admin", "--login", "chief", "--password", "long-enough-pw")

    web = make_app(database_url, tmp_path / "web")
    try:
        response = web.test_client().post(
            "/api/auth/token", json={"login": "chief", "password": "long-enough-pw"}
        )
    finally:
        web.extensions["db_engine"].dispose()

    assert response.status_code == 200
    assert response.get_json()["token"]
    assert response.get_json()["agent"]["role"] == "admin"


def test_create_admin_joins_the_default_team(upgraded, query):
    upgraded("create-admin", "--login", "chief", "--password", "long-enough-pw")
    [(team_id,)] = query(sa.select(Agent.team_id))
    assert query(sa.select(Team.id).where(Team.is_default.is_(True))) == [(team_id,)]


def test_create_admin_with_a_short_password_fails_cleanly(upgraded, query):
    result = upgraded("create-admin", "--login", "chief", "--password", "short")

    assert fails_cleanly(result), result.output
    assert "password" in result.output
    assert query(sa.select(Agent.login)) == []


def test_create_admin_with_a_taken_login_fails_cleanly(upgraded, query):
    upgraded("create-admin", "--login", "chief", "--password", "long-enough-pw")

    result = upgraded("create-admin", "--login", "chief", "--password", "another-long-pw")

    assert fails_cleanly(result), result.output
    assert "chief" in result.output
    assert "already exists" in result.output
    assert len(query(sa.select(Agent.id))) == 1


def test_create_admin_prompts_for_missing_login_and_password(upgraded, query):
    result = upgraded("create-admin", input="chief\nlong-enough-pw\nlong-enough-pw\n")

    assert result.exit_code == 0, result.output
    assert "Login:" in result.output
    assert "Password:" in result.output
    assert "long-enough-pw" not in result.output  # hidden input
    assert query(sa.select(Agent.login)) == [("chief",)]


def test_create_admin_prompt_asks_again_when_confirmation_differs(upgraded, query):
    result = upgraded(
        "create-admin",
        "--login",
        "chief",
        input="long-enough-pw\ntypo-pw-here\nlong-enough-pw\nlong-enough-pw\n",
    )

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert query(sa.select(Agent.login)) == [("chief",)]


# --- seed-demo ---------------------------------------------------------------------------------


def test_seed_demo_adds_a_default_team_agents_and_an_admin(upgraded, query):
    result = upgraded("seed-demo")

    assert result.exit_code == 0, result.output
    assert len(query(sa.select(Team.id).where(Team.is_default.is_(True)))) == 1
    stored = dict(query(sa.select(Agent.login, Agent.role)))
    assert stored == {login: role.value for login, _name, role in DEMO_AGENTS}
    assert Role.ADMIN.value in stored.values()


def test_seed_demo_adds_the_requested_number_of_leads(upgraded, query):
    result = upgraded("seed-demo", "--leads", "8")

    assert result.exit_code == 0, result.output
    assert query(sa.select(sa.func.count()).select_from(Lead)) == [(8,)]


def test_seed_demo_leads_are_routed_to_demo_agents(upgraded, query):
    upgraded("seed-demo", "--leads", "4")
    owners = {agent_id for (agent_id,) in query(sa.select(Lead.agent_id))}
    agents = {agent_id for (agent_id,) in query(sa.select(Agent.id))}
    assert owners
    assert owners <= agents


def test_seed_demo_prints_every_login_with_its_password(upgraded):
    result = upgraded("seed-demo", "--leads", "1")
    for login, _name, role in DEMO_AGENTS:
        line = next(line for line in result.output.splitlines() if line.split()[:1] == [login])
        assert DEMO_PASSWORD in line
        assert role.value in line


def test_seed_demo_printed_admin_login_works(upgraded, database_url, tmp_path):
    upgraded("seed-demo", "--leads", "0")
    admin_login = next(login for login, _name, role in DEMO_AGENTS if role is Role.ADMIN)

    web = make_app(database_url, tmp_path / "web")
    try:
        response = web.test_client().post(
            "/api/auth/token", json={"login": admin_login, "password": DEMO_PASSWORD}
        )
    finally:
        web.extensions["db_engine"].dispose()

    assert response.status_code == 200
    assert response.get_json()["agent"]["role"] == "admin"


def test_seed_demo_twice_adds_no_duplicate_agents_or_teams(upgraded, query):
    upgraded("seed-demo", "--leads", "3")
    agents_after_first = query(sa.select(Agent.login).order_by(Agent.login))

    second = upgraded("seed-demo", "--leads", "3")

    assert second.exit_code == 0, second.output
    assert query(sa.select(Agent.login).order_by(Agent.login)) == agents_after_first
    assert len(query(sa.select(Team.id))) == 1
    assert query(sa.select(sa.func.count()).select_from(Lead)) == [(3,)]


def test_seed_demo_refuses_in_production(upgraded, query):
    result = upgraded(
        "seed-demo",
        env={
            "PARKLEAD_ENV": "production",
            "SECRET_KEY": "production-secret-for-this-test-0123456789",
            "REDIS_URL": "redis://127.0.0.1:1/0",
        },
    )

    assert fails_cleanly(result), result.output
    assert "production" in result.output
    assert query(sa.select(Agent.id)) == []
    assert query(sa.select(Lead.id)) == []


# --- worker and beat in embedded mode ------------------------------------------------------------


@pytest.mark.parametrize("command", ["worker", "beat"])
def test_celery_process_in_embedded_mode_exits_naming_redis_url(parklead, command):
    result = parklead(command)

    assert fails_cleanly(result), result.output
    assert "REDIS_URL" in result.output


def test_doctor_says_to_migrate_a_fresh_database(parklead):
    result = parklead("doctor")

    assert result.exit_code == 1
    assert "FAIL  database" in result.output
    assert "parklead db upgrade" in result.output


def test_doctor_passes_a_migrated_database_with_a_strong_key(upgraded):
    result = upgraded("doctor", env={"SECRET_KEY": "Zr8pQ2mX5vK9wL3nB7cT1yH4jF6gD0sAeUoIq"})

    assert "OK    database" in result.output
    assert "OK    SECRET_KEY" in result.output
    # From 2027 on the installed chinesecalendar has no data for the year: that alone fails.
    fails = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert all("holidays" in line for line in fails), result.output
    assert result.exit_code == (1 if fails else 0)
    assert upgraded("doctor", "--strict").exit_code == 1  # embedded mode is a warning
