"""Alembic migrations agree with the models, form one line, and run both ways (STYLE.md)."""

from __future__ import annotations

import ast
import datetime as dt
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from app.core.migrate import MIGRATIONS_DIR, alembic_config, include_object_for
from app.models import model_metadata
from tests.support import make_app, recreate_pg_database, scratch_pg_url, unavailable

# YYYY_MM_DD_<12-hex revision>-<lower_snake_slug>.py, the file_template of app.core.migrate.
REVISION_FILE = re.compile(
    r"^(\d{4})_(\d{2})_(\d{2})_([0-9a-f]{12})-([a-z0-9]+(?:_[a-z0-9]+)*)\.py$"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """An app on a brand-new, empty database (no migration applied yet)."""
    if request.param == "postgresql":
        # This run's own database: a fixed name let parallel runs drop each other's.
        url = scratch_pg_url("migrations")
        error = recreate_pg_database(url)
        if error:
            unavailable(error)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.db'}"
    application = make_app(url, tmp_path)
    try:
        yield application
    finally:
        application.extensions["db_engine"].dispose()


def upgrade(application: Flask, revision: str = "head") -> None:
    with application.app_context():
        command.upgrade(alembic_config(application), revision)


def downgrade(application: Flask, revision: str) -> None:
    with application.app_context():
        command.downgrade(alembic_config(application), revision)


def schema_differences(application: Flask, metadata: sa.MetaData | None = None) -> list[Any]:
    """What autogenerate would write for this database, with the options migrations/env.py uses."""
    engine = application.extensions["db_engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_object": include_object_for(connection.dialect.name),
            },
        )
        with warnings.catch_warnings():
            # Alembic cannot compare expression indexes (ix_lead_queue); a test below checks
            # that one on its own.
            warnings.filterwarnings("ignore", message=".*expression-based index")
            return compare_metadata(context, metadata if metadata is not None else model_metadata())


def table_names(application: Flask) -> set[str]:
    return set(sa.inspect(application.extensions["db_engine"]).get_table_names())


def script_directory() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


# --- the schema the migrations build ---------------------------------------------------------


def test_upgrade_to_head_matches_the_models(empty_app):
    upgrade(empty_app)
    assert schema_differences(empty_app) == []


def test_upgrade_creates_the_agent_queue_index_on_postgresql(empty_app):
    upgrade(empty_app)
    engine = empty_app.extensions["db_engine"]
    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("lead")}
    assert ("ix_lead_queue" in indexes) is (engine.dialect.name == "postgresql")


def test_upgrade_creates_every_model_table(empty_app):
    upgrade(empty_app)
    assert set(model_metadata().tables) <= table_names(empty_app)


def test_comparison_reports_a_model_column_that_has_no_migration(empty_app):
    upgrade(empty_app)
    changed = sa.MetaData(naming_convention=model_metadata().naming_convention)
    for table in model_metadata().tables.values():
        table.to_metadata(changed)
    changed.tables["lead"].append_column(sa.Column("unmigrated_note", sa.String(20)))

    differences = schema_differences(empty_app, changed)

    # (to_metadata() drops indexes' ddl_if, so only column differences are looked at here.)
    columns = [(d[0], d[3].name) for d in differences if d[0] == "add_column"]
    assert columns == [("add_column", "unmigrated_note")]


def test_downgrade_to_base_removes_every_table(empty_app):
    upgrade(empty_app)
    downgrade(empty_app, "base")
    assert table_names(empty_app) <= {"alembic_version"}


def test_upgrade_after_downgrade_to_base_matches_the_models_again(empty_app):
    upgrade(empty_app)
    downgrade(empty_app, "base")
    upgrade(empty_app)
    assert schema_differences(empty_app) == []


def test_each_revision_downgrades_and_upgrades_again(empty_app):
    upgrade(empty_app)
    revisions = list(script_directory().walk_revisions())  # head first
    for revision in revisions:
        down_to = revision.down_revision or "base"
        assert isinstance(down_to, str), f"{revision.revision} is a merge; test it by hand"
        downgrade(empty_app, down_to)
        upgrade(empty_app, revision.revision)
        downgrade(empty_app, down_to)
    upgrade(empty_app)
    assert schema_differences(empty_app) == []


# --- the revision files themselves -----------------------------------------------------------


def test_migrations_have_exactly_one_head():
    assert len(script_directory().get_heads()) == 1


def test_migrations_have_exactly_one_base():
    assert len(script_directory().get_bases()) == 1


def revision_files() -> list[Path]:
    return sorted((MIGRATIONS_DIR / "versions").glob("*.py"))


def test_there_are_revision_files():
    assert revision_files()


@pytest.mark.parametrize("path", revision_files(), ids=lambda p: p.name)
def test_revision_file_is_date_prefixed_with_a_slug(path):
    match = REVISION_FILE.match(path.name)
    assert match, f"{path.name} is not YYYY_MM_DD_<rev>-<slug>.py"
    date = dt.date(*(int(match.group(i)) for i in (1, 2, 3)))  # raises on a non-date
    assert date.year >= 2020


@pytest.mark.parametrize("path", revision_files(), ids=lambda p: p.name)
def test_revision_file_name_carries_its_revision_id(path):
    match = REVISION_FILE.match(path.name)
    assert match
    assigned = {
        node.targets[0].id: node.value.value
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    assert assigned["revision"] == match.group(4)


def test_alembic_config_writes_new_revisions_date_prefixed_with_a_slug(tmp_path):
    application = make_app(f"sqlite:///{tmp_path / 'template.db'}", tmp_path)
    template = alembic_config(application).get_main_option("file_template")
    application.extensions["db_engine"].dispose()
    name = template.replace("%%", "%") % {
        "year": 2026, "month": 11, "day": 24, "rev": "0123456789ab", "slug": "add_listing",
    }  # fmt: skip
    assert REVISION_FILE.match(name + ".py")
