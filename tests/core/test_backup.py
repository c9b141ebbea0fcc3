"""`parklead backup` then `parklead restore` into a fresh database and instance folder: every
lead, event and uploaded file comes back, on SQLite and on PostgreSQL."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result

from tests.support import recreate_pg_database, scratch_pg_url, unavailable

Run = Callable[..., Result]


def in_env(run: Run, database_url: str, instance: Path) -> Run:
    """`parklead` (tests/core/conftest.py) against this database and instance folder."""
    env = {"DATABASE_URL": database_url, "PARKLEAD_INSTANCE_PATH": str(instance),
           "PARKLEAD_ENV": "testing"}  # fmt: skip
    return lambda *args: run(*args, env=env)


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


def seed(parklead: Run, url: str, instance: Path) -> None:
    run = in_env(parklead, url, instance)
    assert run("db", "upgrade").exit_code == 0
    result = run("seed-demo", "--leads", "25")
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
    result = in_env(parklead, source_url, source_instance)("backup", str(archive))
    assert result.exit_code == 0, result.output
    assert "files: 2" in result.output
    assert f"wrote {archive}" in result.output
    assert archive.stat().st_mode & 0o077 == 0  # personal data: owner only

    target_url = database(backend, tmp_path, "target")
    target_instance = tmp_path / "target-instance"
    restore_into = in_env(parklead, target_url, target_instance)
    result = restore_into("restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "every table's row count matches" in result.output

    assert snapshot(target_url) == before
    restored = target_instance / "uploads"
    assert (restored / "imports" / "园区线索.xlsx").read_bytes() == bytes(range(256)) * 40
    assert (restored / "site-plan.pdf").read_bytes() == b"%PDF-1.4 plan"
    # The restored database is a working ParkLead: the schema is at the same revision.
    result = restore_into("db", "current")
    assert result.exit_code == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_restore_refuses_a_database_with_tables_unless_forced(
    parklead: Run, tmp_path: Path, backend: str
):
    url = database(backend, tmp_path, "busy")
    instance = tmp_path / "instance"
    seed(parklead, url, instance)
    archive = tmp_path / "b.tar.gz"
    run = in_env(parklead, url, instance)
    assert run("backup", str(archive)).exit_code == 0
    result = run("restore", str(archive))
    assert result.exit_code != 0
    assert "already has tables" in result.output
    assert "Traceback" not in result.output
    result = run("restore", "--force", str(archive))
    assert result.exit_code == 0, result.output


def test_restore_refuses_an_archive_that_is_not_a_backup(parklead: Run, tmp_path: Path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        note = tmp_path / "note.txt"
        note.write_text("hello")
        archive.add(note, "note.txt")
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = in_env(parklead, url, tmp_path / "i")("restore", str(bogus))
    assert result.exit_code != 0
    assert "not a ParkLead backup" in result.output
