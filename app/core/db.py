"""Database engine, declarative base and the per-app-context session.

Service functions use `db.session` and `flush()`; the request handler or the Celery task
commits once. Sessions are scoped to the Flask app context, so a Celery task (which pushes its
own context) never shares a session with the request that enqueued it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import enum
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from flask import Flask, current_app
from flask.globals import app_ctx
from sqlalchemy import (
    DateTime,
    Engine,
    Float,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    bindparam,
    cast,
    column,
    create_engine,
    event,
    func,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Dialect, Result, Row, make_url
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime}

    if TYPE_CHECKING:
        # DeclarativeBase allows any FromClause; every model here maps a Table.
        __table__: ClassVar[Table]


def normalize_database_url(url: str) -> str:
    """Accept URLs as operators write them; pick the driver ParkLead ships (psycopg 3)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_sqlite_url(instance_path: str) -> str:
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(instance_path) / 'parklead.db'}"


def make_engine(url: str, **options: Any) -> Engine:
    url = normalize_database_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        memory = make_url(url).database in (None, "", ":memory:")
        if not memory:
            # Best effort: an impossible path still fails, on first use, as a clear error.
            folder = Path(make_url(url).database or "").expanduser().parent
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
            **options,
        )
        _make_sqlite_transactional(engine)
        return engine
    if backend == "postgresql":
        options.setdefault("pool_size", 5)
        options.setdefault("max_overflow", 10)
        # Recycle instead of pre-ping: pre-ping costs a round trip on every checkout.
        options.setdefault("pool_recycle", 1800)
        # A database host that drops packets must not hang requests or /healthz.
        options.setdefault("connect_args", {"connect_timeout": 5})
    return create_engine(url, **options)


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, issue BEGIN, so SAVEPOINTs and rollbacks work as on PG."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue instead of deadlocking.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _app_context_scope() -> int:
    # The id of the AppContext object itself keys the session.
    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]  # flask types app_ctx as the AppContext, not the LocalProxy whose method returns it


class _AppSessionmaker(sessionmaker[Session]):
    """Sessions with the current app's options (its engine, or the tests' connection), read
    when each session opens."""

    def __call__(self, **local_kw: Any) -> Session:
        return super().__call__(**current_app.extensions["db_session_options"], **local_kw)


class Database:
    """Per-app engine plus a session scoped to the current app context.

    Outside an app context (a bare thread) the scope is the thread.
    """

    def __init__(self) -> None:
        self.session: scoped_session[Session] = scoped_session(
            _AppSessionmaker(expire_on_commit=False), self._scope
        )

    @staticmethod
    def _scope() -> int:
        try:
            return _app_context_scope()
        except RuntimeError:
            return threading.get_ident()

    def init_app(self, app: Flask) -> None:
        url = app.config.get("DATABASE_URL") or default_sqlite_url(app.instance_path)
        app.config["DATABASE_URL"] = normalize_database_url(url)
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["db_engine"] = engine
        # Tests swap this for a connection inside an outer transaction (rolled back per test).
        app.extensions["db_session_options"] = {"bind": engine}

        @app.teardown_appcontext
        def _remove_session(_exc: BaseException | None) -> None:
            self.session.remove()

    @property
    def engine(self) -> Engine:
        return current_app.extensions["db_engine"]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error: for CLI commands and tasks."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


db = Database()


def _sql_compiler(compiled: Any) -> SQLCompiler:
    """A compiled Core statement as the SQL compiler it is."""
    if not isinstance(compiled, SQLCompiler):
        raise TypeError(f"not a SQL statement: {type(compiled).__name__}")
    return compiled


class PlainStatement:
    """A Core statement run as a transaction of its own on the pool's DBAPI connection,
    without the ORM session.

    For the few hot paths that are one statement (the public intake's lead and event): the
    session's bookkeeping around a transaction (the session, its transaction objects, the
    execution context, the ORM commit and its hooks) costs more CPU than the statement, and
    a statement that is its own transaction needs no BEGIN and COMMIT round trips: PostgreSQL
    commits it when it completes, all of it or nothing. The statement is compiled once per
    dialect; its parameters go through the statement's own type processors (JSON, enums,
    datetimes), so the database receives what the session would have sent. The caller hands
    work on (`app.core.dispatch.enqueue_now`) only after `first` returned.
    """

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._compiled: dict[str, tuple[str, SQLCompiler, dict[str, Any]]] = {}

    def _for(self, dialect: Dialect) -> tuple[str, SQLCompiler, dict[str, Any]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            sql = _sql_compiler(self.stmt.compile(dialect=dialect))
            # SQLAlchemy's per-parameter type processors (there is no public accessor).
            processors = dict(sql._bind_processors)
            compiled = self._compiled[dialect.name] = (str(sql), sql, processors)
        return compiled

    def first(self, values: dict[str, Any]) -> Any:
        """Run with `values` as a transaction of its own; the first row it returns, or None.

        The tests bind the app to one connection inside an outer transaction (rolled back per
        test); there the statement runs in a SAVEPOINT on that connection, as a session's
        commit would."""
        bind = current_app.extensions["db_session_options"]["bind"]
        if not isinstance(bind, Engine):
            with bind.begin_nested():
                return self._run(bind.connection.driver_connection, bind.dialect, values)
        connection = bind.raw_connection()
        driver: Any = connection.driver_connection
        autocommit = hasattr(driver, "autocommit")  # psycopg's; sqlite3 (3.11) has none
        try:
            if autocommit:
                driver.autocommit = True
            row = self._run(driver, bind.dialect, values)
            if autocommit:
                driver.autocommit = False
            else:
                driver.commit()  # a no-op where the driver opened no transaction
            return row
        except BaseException:
            connection.invalidate()  # whatever state it is in, it never serves again
            raise
        finally:
            connection.close()  # back to the pool (or, invalidated, closed)

    def _run(self, driver: Any, dialect: Dialect, values: dict[str, Any]) -> Any:
        sql, compiled, processors = self._for(dialect)
        params = compiled.construct_params(values, escape_names=False)
        for name, process in processors.items():
            if name in params:
                params[name] = process(params[name])
        cursor = driver.cursor()
        try:
            if compiled.positional:  # SQLite's qmark style
                cursor.execute(sql, tuple(params[name] for name in compiled.positiontup or ()))
            else:
                cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
        finally:
            cursor.close()


def plain_columns(model: Any, names: tuple[str, ...]) -> list[Any]:
    """Columns of `model` for reading many rows fast: numbers as floats (no Decimal) and enums
    as their text values, each labelled with its name."""
    columns = []
    for name in names:
        column = getattr(model, name)
        kind = column.type
        if isinstance(kind, Numeric):
            column = cast(column, Float())  # the driver returns a float, not a Decimal
        elif isinstance(kind, SAEnum):
            column = type_coerce(column, String())
        columns.append(column.label(name))
    return columns


def union_of(selects: list[Select[Any]]) -> Executable:
    """One statement (one round trip) for several SELECTs that each have their own ORDER BY
    and LIMIT: each is wrapped as a subquery, which SQLite and PostgreSQL both accept."""
    wrapped = [select(*sub.subquery().c) for sub in selects]
    return wrapped[0] if len(wrapped) == 1 else union_all(*wrapped)


def matched_rows(result: Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE run through the session matched.

    ``Session.execute()`` is typed to return a ``Result`` whatever it runs; for an UPDATE or a
    DELETE it returns the ``CursorResult`` that carries the count."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"{type(result).__name__} has no row count: not an UPDATE or DELETE")
    return result.rowcount


# --- many rows, one statement ----------------------------------------------------------------
# A batch (routing many leads) writes its rows with one statement per table. On PostgreSQL the
# rows travel as one JSON parameter read back as records (`jsonb_to_recordset`): a short
# statement whatever the number of rows, compiled once and its text cached by the driver, and
# one string to send, where a multi-row VALUES list is a new, long text for each size of batch
# that the driver parses again (and arrays per column are quoted element by element). SQLite
# runs the same statement once per row (`executemany`), which is as cheap there.


def as_json(value: Any) -> Any:
    """`value` as a JSON column gives it back: dicts, lists, strings, numbers, booleans and
    None, anything else (a date, a Decimal, an enum) as its text. For event and payload data
    that must read the same before and after it is stored."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC datetime")
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written as many rows")


def _json_text(names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(
        [{name: row[name] for name in names} for row in rows],
        default=_json_value,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _json_rows(table: Table, names: Sequence[str]) -> Any:
    """The parameter `many_rows` (a JSON list of objects) as a FROM clause named `many` with
    the columns `names`, typed as `table`'s."""
    param = cast(bindparam("many_rows", type_=String()), postgresql.JSONB())
    columns = [column(name, table.c[name].type) for name in names]
    return (
        func.jsonb_to_recordset(param)
        .table_valued(*columns)
        .render_derived(name="many", with_types=True)
    )


# The statements of `insert_many` and `update_many`, built once per table, columns and options
# (building one costs more than running it with a batch's rows): a few per process.
_many_statements: dict[tuple[Any, ...], Any] = {}


def _insert_statement(
    postgres: bool, table: Table, names: Sequence[str], unless_exists: str | None,
    returning: Sequence[str],
) -> Any:  # fmt: skip
    shape = ("insert", postgres, table, tuple(names), unless_exists, tuple(returning))
    stmt = _many_statements.get(shape)
    if stmt is not None:
        return stmt
    insert = postgresql.insert if postgres else sqlite.insert
    stmt = insert(table)
    if postgres:
        many = _json_rows(table, names)
        stmt = stmt.from_select(names, select(*(many.c[name] for name in names)))
    if unless_exists is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[table.c[unless_exists]])
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
    _many_statements[shape] = stmt
    return stmt


def insert_many(
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    unless_exists: str | None = None,
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """INSERT `rows` (dicts with the same keys) with one statement, in the session's
    transaction, without the ORM; with `unless_exists` (a unique column) a row whose value is
    already there is left out (ON CONFLICT DO NOTHING). Returns the `returning` columns of the
    rows inserted (empty without)."""
    if not rows:
        return []
    names = list(rows[0])
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    stmt = _insert_statement(postgres, table, names, unless_exists, returning)
    params = {"many_rows": _json_text(names, rows)} if postgres else list(rows)
    result = connection.execute(stmt, params)
    return list(result) if returning else []


def _update_statement(
    postgres: bool, table: Table, names: Sequence[str], key: str, fence: str | None
) -> Any:
    shape = ("update", postgres, table, tuple(names), key, fence)
    stmt = _many_statements.get(shape)
    if stmt is not None:
        return stmt
    assigned = [name for name in names if name not in (key, fence)]
    if postgres:
        many = _json_rows(table, names)
        where = [table.c[key] == many.c[key]]
        if fence is not None:
            where.append(table.c[fence] == many.c[fence])
        values: dict[Any, Any] = {table.c[name]: many.c[name] for name in assigned}
    else:
        where = [table.c[key] == bindparam(f"many_{key}")]
        if fence is not None:
            where.append(table.c[fence] == bindparam(f"many_{fence}"))
        values = {table.c[name]: bindparam(f"many_{name}") for name in assigned}
    if fence is not None:
        values[table.c[fence]] = table.c[fence] + 1
    stmt = update(table).where(*where).values(values)
    _many_statements[shape] = stmt
    return stmt


def update_many(
    table: Table, rows: Sequence[Mapping[str, Any]], *, key: str = "id", fence: str | None = None
) -> int:
    """UPDATE one row per dict of `rows` (the same keys in each), found by its `key` column,
    to the other values of its dict, with one statement and without the ORM. With `fence` (a
    version column), a row is changed only while it still has the dict's value of it, and the
    column goes up by one. Returns the number of rows changed (the caller compares)."""
    if not rows:
        return 0
    names = list(rows[0])
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    stmt = _update_statement(postgres, table, names, key, fence)
    params: Any = (
        {"many_rows": _json_text(names, rows)}
        if postgres
        else [{f"many_{name}": row[name] for name in names} for row in rows]
    )
    return _rowcount(connection.execute(stmt, params))


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


_M = TypeVar("_M", bound=Base)


def transient(model: type[_M], values: Mapping[str, Any]) -> _M:
    """An instance of `model` holding `values`, built the way the ORM builds a loaded row
    (no attribute events, a fraction of the constructor's cost), for a row that `insert_many`
    writes: it is not added to the session, and nothing it holds is written by a flush."""
    instance: _M = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance
