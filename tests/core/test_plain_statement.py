"""app.core.db.PlainStatement: one statement as a transaction of its own, on the pool's
connection, without the ORM session (the public intake's path)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import (
    CheckConstraint,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
)

from app.core.db import PlainStatement, UTCDateTime, make_engine, normalize_database_url
from app.core.types import JSONType, str_enum


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


metadata = MetaData()
things = Table(
    f"plain_{uuid.uuid4().hex[:8]}",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("colour", str_enum(Colour)),
    Column("data", JSONType),
    Column("at", UTCDateTime()),
    CheckConstraint("length(name) > 1", name="name_long_enough"),
)
STATEMENT = PlainStatement(
    insert(things)
    .values({c: bindparam(c.key, type_=c.type) for c in things.columns if c.key != "id"})
    .returning(things.c.id)
)


@pytest.fixture(params=["sqlite", "postgresql"])
def bound(request: pytest.FixtureRequest, tmp_path) -> Iterator[tuple[Flask, Engine]]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'plain.db'}"
    engine = make_engine(normalize_database_url(url), pool_size=1, max_overflow=0)
    metadata.create_all(engine)
    app = Flask(__name__)
    app.extensions["db_session_options"] = {"bind": engine}
    try:
        with app.app_context():
            yield app, engine
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        rows = connection.execute(things.select().order_by(things.c.id))
        return [tuple(row) for row in rows]


def test_the_statement_is_committed_with_its_values_typed_as_the_session_would(bound):
    _app, engine = bound
    at = dt.datetime(2026, 12, 4, 8, 30, tzinfo=dt.UTC)
    row = STATEMENT.first(
        {"name": "厂房", "colour": Colour.GREEN, "data": {"亩": 12, "ok": True}, "at": at}
    )
    assert row is not None
    assert row[0] >= 1
    # Read on another connection: it was committed, not left in an open transaction.
    assert stored(engine) == [(row[0], "厂房", Colour.GREEN, {"亩": 12, "ok": True}, at)]


def test_a_failing_statement_writes_nothing_and_the_pool_serves_a_clean_connection(bound):
    _app, engine = bound
    with pytest.raises(Exception, match=r"name_long_enough|CHECK constraint failed"):
        STATEMENT.first({"name": "x", "colour": Colour.RED, "data": {}, "at": None})
    assert stored(engine) == []
    # One pooled connection: whoever checks it out next gets real transactions back (a
    # connection left in autocommit would keep this rolled-back row).
    with engine.connect() as connection:
        connection.execute(insert(things).values(name="回滚"))
        connection.rollback()
    assert stored(engine) == []
    row = STATEMENT.first({"name": "仓库", "colour": None, "data": None, "at": None})
    assert [r[:2] for r in stored(engine)] == [(row[0], "仓库")]
