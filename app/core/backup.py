"""`parklead backup` and `parklead restore` (docs/operations.md).

A backup is one `.tar.gz` holding:

- `manifest.json`: format version, time, backend, the schema's Alembic revision and the row
  count of every table (checked again after a restore);
- `database.pgdump` (PostgreSQL, `pg_dump --format=custom`) or `database.sqlite` (SQLite,
  copied with SQLite's online backup API, consistent while the app writes);
- `files/…`: every file under the instance folder's `uploads/` directory.

A restore goes into the database `DATABASE_URL` names and the instance folder of the app,
refuses a database that already has ParkLead tables unless forced, and compares the row
counts with the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import URL, make_url

from app.core.db import normalize_database_url

FORMAT_VERSION = 1
Progress = Callable[[str], None]


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Summary:
    path: Path
    backend: str
    counts: dict[str, int]
    files: int


def upload_dir(app: Flask) -> Path:
    return Path(app.instance_path) / "uploads"


def _url(app: Flask) -> URL:
    return make_url(normalize_database_url(app.config["DATABASE_URL"]))


def _backend(url: URL) -> str:
    return url.get_backend_name()


def _row_counts(engine: sa.Engine) -> dict[str, int]:
    names = sorted(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in names
        }


def _revision(engine: sa.Engine) -> str | None:
    if not sa.inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _pg_env(url: URL) -> dict[str, str]:
    """libpq settings for pg_dump/pg_restore, so the password never shows in `ps`."""
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools")
    return path


def _run(argv: list[str], env: dict[str, str]) -> None:
    # argv: a tool found on PATH and paths we made; no shell, nothing a user typed.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _human(size: int) -> str:
    scaled = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if scaled < 1024 or unit == "GB":
            return f"{scaled:.0f} {unit}" if unit == "B" else f"{scaled:.1f} {unit}"
        scaled /= 1024
    return f"{size} B"


def create_backup(app: Flask, target: Path, progress: Progress) -> Summary:
    engine: sa.Engine = app.extensions["db_engine"]
    url = _url(app)
    backend = _backend(url)
    with tempfile.TemporaryDirectory(prefix="parklead-backup-") as tmp_name:
        tmp = Path(tmp_name)
        progress(f"database ({backend}): counting rows")
        counts = _row_counts(engine)
        progress(f"  {counts.get('lead', 0)} leads, {counts.get('lead_event', 0)} lead events")
        if backend == "postgresql":
            dump = tmp / "database.pgdump"
            progress("database: pg_dump --format=custom")
            _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                 f"--file={dump}"],
                _pg_env(url),
            )  # fmt: skip
        elif backend == "sqlite":
            dump = tmp / "database.sqlite"
            progress("database: SQLite online backup")
            _sqlite_copy(Path(url.database or ""), dump, progress)
        else:
            raise BackupError(f"cannot back up a {backend} database")
        progress(f"  {_human(dump.stat().st_size)}")
        files = sorted(p for p in upload_dir(app).rglob("*") if p.is_file())
        progress(f"files: {len(files)} under {upload_dir(app)}")
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "backend": backend,
            "revision": _revision(engine),
            "counts": counts,
            "files": [p.relative_to(upload_dir(app)).as_posix() for p in files],
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(tmp / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            for number, path in enumerate(files, start=1):
                archive.add(path, "files/" + path.relative_to(upload_dir(app)).as_posix())
                if number % 100 == 0 or number == len(files):
                    progress(f"  files {number}/{len(files)}")
        partial.replace(target)  # never a half-written archive under the final name
        target.chmod(0o600)  # personal data inside
    progress(f"wrote {target} ({_human(target.stat().st_size)})")
    return Summary(target, backend, counts, len(files))


def _sqlite_copy(source: Path, target: Path, progress: Progress) -> None:
    def report(_status: int, remaining: int, total: int) -> None:
        if total:
            progress(f"  pages {total - remaining}/{total}")

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024, progress=report)
    finally:
        dst.close()
        src.close()


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError:
        raise BackupError("not a ParkLead backup (no manifest.json)") from None
    if member is None:
        raise BackupError("not a ParkLead backup (manifest.json is not a file)")
    manifest = json.loads(member.read().decode("utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"backup format {manifest.get('format')} is not supported here")
    return manifest


def restore_backup(app: Flask, source: Path, progress: Progress, *, force: bool = False) -> Summary:
    engine: sa.Engine = app.extensions["db_engine"]
    url = _url(app)
    backend = _backend(url)
    with tarfile.open(source, "r:gz") as archive, tempfile.TemporaryDirectory() as tmp_name:
        manifest = _read_manifest(archive)
        if manifest["backend"] != backend:
            raise BackupError(
                f"this backup is of a {manifest['backend']} database; DATABASE_URL is {backend}"
            )
        existing = sa.inspect(engine).get_table_names()
        if existing and not force:
            raise BackupError(
                "the target database already has tables; restore into a fresh database, "
                "or pass --force to replace everything in it"
            )
        tmp = Path(tmp_name)
        archive.extractall(tmp, filter="data")  # no absolute paths, links or ../ escapes
        progress(f"backup of {manifest['created_at']} ({backend}, revision {manifest['revision']})")
        engine.dispose()  # no pooled connection may hold the old database
        if backend == "postgresql":
            progress("database: pg_restore")
            argv = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                    f"--dbname={url.database}", str(tmp / "database.pgdump")]  # fmt: skip
            if existing:
                argv[1:1] = ["--clean", "--if-exists"]
            _run(argv, _pg_env(url))
        else:
            progress("database: SQLite online backup into " + str(url.database))
            _sqlite_copy(tmp / "database.sqlite", Path(url.database or ""), progress)
        files = manifest["files"]
        target_dir = upload_dir(app)
        for number, name in enumerate(files, start=1):
            destination = target_dir / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp / "files" / name, destination)
            if number % 100 == 0 or number == len(files):
                progress(f"  files {number}/{len(files)}")
    counts = _row_counts(engine)
    wrong = {
        table: (expected, counts.get(table))
        for table, expected in manifest["counts"].items()
        if counts.get(table) != expected
    }
    if wrong:
        raise BackupError(f"restored row counts differ from the backup's: {wrong}")
    progress(
        f"restored {counts.get('lead', 0)} leads, {counts.get('lead_event', 0)} lead events, "
        f"{len(files)} files; every table's row count matches the backup"
    )
    return Summary(source, backend, counts, len(files))
