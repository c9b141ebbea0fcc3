"""Settings: environment classes, environment-variable overrides, required production settings
and the generated development secret (docs/api.md)."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import config
from app import create_app
from app.core.db import normalize_database_url
from config import load_config

PRODUCTION_ENV = {
    "DATABASE_URL": "postgresql://parklead:pw@db.internal:5432/parklead",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "SECRET_KEY": "a-long-production-secret-from-the-environment",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ParkLead variable leaks in from the shell; the instance folder is the test's own."""
    for var in (*config._ENV_OVERRIDES, "PARKLEAD_ENV", "PARKLEAD_INSTANCE_PATH"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PARKLEAD_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


@pytest.fixture
def build() -> Iterator[Callable[..., Flask]]:
    """create_app(...) whose engines are disposed after the test."""
    apps: list[Flask] = []

    def _build(*args: Any) -> Flask:
        application = create_app(*args)
        apps.append(application)
        return application

    yield _build
    for application in apps:
        application.extensions["db_engine"].dispose()


# --- DATABASE_URL as operators write it --------------------------------------------------------


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_plain_postgres_url_is_given_the_psycopg_driver(scheme):
    url = f"{scheme}://parklead:pw@db.internal:5432/parklead"
    assert (
        normalize_database_url(url) == "postgresql+psycopg://parklead:pw@db.internal:5432/parklead"
    )


@pytest.mark.parametrize(
    "url",
    ["sqlite:////var/lib/parklead/parklead.db", "postgresql+psycopg://u@h/db", "sqlite://"],
)
def test_urls_that_name_a_driver_or_are_sqlite_are_kept(url):
    assert normalize_database_url(url) == url


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_app_built_from_a_plain_postgres_url_uses_psycopg(clean_env, build, scheme):
    clean_env.setenv("DATABASE_URL", f"{scheme}://parklead@127.0.0.1:5432/parklead")

    application = build()

    assert application.config["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert application.extensions["db_engine"].dialect.driver == "psycopg"


def test_without_database_url_the_database_is_a_sqlite_file_in_the_instance_folder(build, tmp_path):
    application = build()
    assert (
        application.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'parklead.db'}"
    )


# --- environment overrides ---------------------------------------------------------------------


def test_default_environment_is_development():
    assert load_config()["ENV_NAME"] == "development"


@pytest.mark.parametrize(
    ("var", "raw", "key", "expected"),
    [
        (
            "REDIS_URL",
            "redis://cache.internal:6379/2",
            "REDIS_URL",
            "redis://cache.internal:6379/2",
        ),
        ("INTAKE_RATE_LIMIT", "5/minute;50/day", "INTAKE_RATE_LIMIT", "5/minute;50/day"),
        ("INTAKE_RATE_LIMIT", "off", "INTAKE_RATE_LIMIT", "off"),
        ("SMTP_HOST", "smtp.example.cn", "SMTP_HOST", "smtp.example.cn"),
        ("SMTP_PORT", "2525", "SMTP_PORT", 2525),
        ("WECHAT_APP_ID", "wx1234567890abcdef", "WECHAT_APP_ID", "wx1234567890abcdef"),
        ("PARKLEAD_SLA_MINUTES", "45", "SLA_MINUTES", 45),
    ],
)
def test_environment_variable_overrides_the_setting(clean_env, var, raw, key, expected):
    clean_env.setenv(var, raw)
    assert load_config()[key] == expected


def test_smtp_port_from_the_environment_is_an_int(clean_env):
    clean_env.setenv("SMTP_PORT", "465")
    assert isinstance(load_config()["SMTP_PORT"], int)


def test_empty_environment_variable_keeps_the_default(clean_env):
    default = load_config()["SMTP_PORT"]
    clean_env.setenv("SMTP_PORT", "")
    assert load_config()["SMTP_PORT"] == default


@pytest.mark.parametrize("raw", ["abc", "25.5", "twenty-five"])
def test_non_integer_for_an_integer_setting_is_a_clear_error(clean_env, raw):
    clean_env.setenv("SMTP_PORT", raw)
    with pytest.raises(ValueError, match="SMTP_PORT") as refused:
        load_config()
    assert raw in str(refused.value)


def test_explicit_overrides_win_over_the_environment(clean_env):
    clean_env.setenv("INTAKE_RATE_LIMIT", "5/minute")
    assert load_config(overrides={"INTAKE_RATE_LIMIT": "off"})["INTAKE_RATE_LIMIT"] == "off"


def test_environment_overrides_apply_to_the_built_app(clean_env, build):
    clean_env.setenv("INTAKE_RATE_LIMIT", "7/minute")
    clean_env.setenv("SMTP_PORT", "2525")
    application = build()
    assert application.config["INTAKE_RATE_LIMIT"] == "7/minute"
    assert application.config["SMTP_PORT"] == 2525


def test_the_dispatchers_linger_is_the_apps_setting(clean_env, build):
    assert build().extensions["dispatcher"].linger == 0.2
    clean_env.setenv("PARKLEAD_DISPATCH_LINGER_MS", "750")
    assert build().extensions["dispatcher"].linger == 0.75


# --- environment names ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["development", "testing", "production"])
def test_parklead_env_selects_the_environment(clean_env, name):
    clean_env.setenv("PARKLEAD_ENV", name)
    assert load_config()["ENV_NAME"] == name


def test_unknown_parklead_env_is_a_clear_error(clean_env):
    clean_env.setenv("PARKLEAD_ENV", "staging")
    with pytest.raises(ValueError, match="staging") as refused:
        load_config()
    for known in ("development", "testing", "production"):
        assert known in str(refused.value)


def test_unknown_parklead_env_stops_create_app(clean_env):
    clean_env.setenv("PARKLEAD_ENV", "prod")
    with pytest.raises(ValueError, match="PARKLEAD_ENV"):
        create_app()


# --- production refuses to start without its settings -----------------------------------------


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_without_a_required_setting_refuses_to_start_naming_it(clean_env, missing):
    clean_env.setenv("PARKLEAD_ENV", "production")
    for var, value in PRODUCTION_ENV.items():
        if var != missing:
            clean_env.setenv(var, value)

    with pytest.raises(RuntimeError) as refused:
        create_app()

    assert missing in str(refused.value)
    for present in set(PRODUCTION_ENV) - {missing}:
        assert present not in str(refused.value)


def test_production_without_any_setting_names_all_three(clean_env):
    clean_env.setenv("PARKLEAD_ENV", "production")
    with pytest.raises(RuntimeError) as refused:
        create_app()
    for var in PRODUCTION_ENV:
        assert var in str(refused.value)


def test_production_with_its_settings_starts_without_writing_a_secret(clean_env, build, tmp_path):
    clean_env.setenv("PARKLEAD_ENV", "production")
    for var, value in PRODUCTION_ENV.items():
        clean_env.setenv(var, value)

    application = build()

    assert application.config["SECRET_KEY"] == PRODUCTION_ENV["SECRET_KEY"]
    assert application.config["LOG_FORMAT"] == "json"
    assert not (tmp_path / "instance" / "secret_key").exists()


# --- the development secret key -----------------------------------------------------------------


def test_development_secret_key_is_generated_into_the_instance_folder(build, tmp_path):
    application = build()

    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.read_text().strip() == application.config["SECRET_KEY"]
    assert len(application.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_secret_key_persists_across_create_app_calls(build):
    assert build().config["SECRET_KEY"] == build().config["SECRET_KEY"]


def test_each_instance_folder_gets_its_own_secret_key(clean_env, build, tmp_path):
    first = build().config["SECRET_KEY"]
    clean_env.setenv("PARKLEAD_INSTANCE_PATH", str(tmp_path / "other-instance"))
    assert build().config["SECRET_KEY"] != first


def test_secret_key_from_the_environment_is_used_and_not_written(clean_env, build, tmp_path):
    clean_env.setenv("SECRET_KEY", "from-the-environment-0123456789")
    assert build().config["SECRET_KEY"] == "from-the-environment-0123456789"
    assert not (tmp_path / "instance" / "secret_key").exists()


@pytest.mark.parametrize("key", ["short", "x" * 31, "秘密" * 5])
def test_production_refuses_a_secret_key_under_32_bytes(clean_env, build, key):
    clean_env.setenv("PARKLEAD_ENV", "production")
    for var, value in {**PRODUCTION_ENV, "SECRET_KEY": key}.items():
        clean_env.setenv(var, value)
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        build()


def test_production_takes_a_secret_key_of_32_bytes(clean_env, build):
    clean_env.setenv("PARKLEAD_ENV", "production")
    for var, value in {**PRODUCTION_ENV, "SECRET_KEY": "k" * 32}.items():
        clean_env.setenv(var, value)
    assert build().config["SECRET_KEY"] == "k" * 32
