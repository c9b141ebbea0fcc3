"""`parklead backup` then `parklead restore` into a fresh database and instance folder: every
lead, event and uploaded file comes back, on SQLite and on PostgreSQL."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask

import app.cli
from app import create_app
from tests.support import recreate_pg_database, scratch_pg_url, unavailable

ENV_VARS = ("PARKLEAD_ENV", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PARKLEAD_INSTANCE_PATH")
Run = Callable[..., Result]


@pytest.fixture
def parklead(monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """`parklead ARGS` as an operator runs it: configured by the environment only."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PARKLEAD_ENV", "testing")
    apps: list[Flask] = []

    def tracked_create_app() -> Flask:
        application = create_app()
        apps.append(application)
        return application

    monkeypatch.setattr(app.cli, "create_app", tracked_create_app)

    def run(*args: str, database_url: str, instance: Path) -> Result:
        env = {"DATABASE_URL": database_url, "PARKLEAD_INSTANCE_PATH": str(instance)}
        return CliRunner().invoke(app.cli.main, list(args), env=env)

    yield run
    for application in apps:
        application.extensions["db_engine"].dispose()


def database(backend: str, tmp_path: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    url = scratch_pg_url(f"backup_{name}")
    error = recreate_pg_database(url)
    if error:
        unavailable(error)
    return url


SNAPSHOT = {
    "lead": "id, phone, company, status, created_at",
    "lead_event": "id, lead_id, type, created_at",
    "agent": "id, login, password_hash",
}


def snapshot(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {
                table: list(conn.execute(sa.text(f"SELECT {columns} FROM {table} ORDER BY id")))
                for table, columns in SNAPSHOT.items()
            }
    finally:
        engine.dispose()


def seed(run: Run, url: str, instance: Path) -> None:
    assert run("db", "upgrade", database_url=url, instance=instance).exit_code == 0
    result = run("seed-demo", "--leads", "25", database_url=url, instance=instance)
    assert result.exit_code == 0, result.output
    uploads = instance / "uploads"
    (uploads / "imports").mkdir(parents=True)
    (uploads / "imports" / "园区线索.xlsx").write_bytes(bytes(range(256)) * 40)
    (uploads / "site-plan.pdf").write_bytes(b"%PDF-1.4 plan")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_backup_restores_every_lead_event_and_file_into_a_fresh_database(
    parklead: Run, tmp_path: Path, backend: str
):
    source_url = database(backend, tmp_path, "source")
    source_instance = tmp_path / "source-instance"
    seed(parklead, source_url, source_instance)
    before = snapshot(source_url)
    assert len(before["lead"]) >= 25
    assert len(before["lead_event"]) > len(before["lead"])

    archive = tmp_path / "backups" / "parklead.tar.gz"
    result = parklead("backup", str(archive), database_url=source_url, instance=source_instance)
    assert result.exit_code == 0, result.output
    assert "files: 2" in result.output
    assert f"wrote {archive}" in result.output
    assert archive.stat().st_mode & 0o077 == 0  # personal data: owner only

    target_url = database(backend, tmp_path, "target")
    target_instance = tmp_path / "target-instance"
    result = parklead("restore", str(archive), database_url=target_url, instance=target_instance)
    assert result.exit_code == 0, result.output
    assert "every table's row count matches" in result.output

    assert snapshot(target_url) == before
    restored = target_instance / "uploads"
    assert (restored / "imports" / "园区线索.xlsx").read_bytes() == bytes(range(256)) * 40
    assert (restored / "site-plan.pdf").read_bytes() == b"%PDF-1.4 plan"
    # The restored database is a working ParkLead: the schema is at the same revision.
    result = parklead("db", "current", database_url=target_url, instance=target_instance)
    assert result.exit_code == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_refuses_a_database_with_tables_unless_forced(
    parklead: Run, tmp_path: Path, backend: str
):
    url = database(backend, tmp_path, "busy")
    instance = tmp_path / "instance"
    seed(parklead, url, instance)
    archive = tmp_path / "b.tar.gz"
    assert parklead("backup", str(archive), database_url=url, instance=instance).exit_code == 0
    result = parklead("restore", str(archive), database_url=url, instance=instance)
    assert result.exit_code != 0
    assert "already has tables" in result.output
    assert "Traceback" not in result.output
    result = parklead("restore", "--force", str(archive), database_url=url, instance=instance)
    assert result.exit_code == 0, result.output


def test_restore_refuses_an_archive_that_is_not_a_backup(parklead: Run, tmp_path: Path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        note = tmp_path / "note.txt"
        note.write_text("hello")
        archive.add(note, "note.txt")
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = parklead("restore", str(bogus), database_url=url, instance=tmp_path / "i")
    assert result.exit_code != 0
    assert "not a ParkLead backup" in result.output
