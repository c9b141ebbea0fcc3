"""Alembic environment: the engine comes from the ParkLead app (see app/core/migrate.py), the
tables from every room (app/models.py)."""

from __future__ import annotations

from alembic import context

from app.core.migrate import include_object_for
from app.models import model_metadata

config = context.config
target_metadata = model_metadata()


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Render ParkLead's column types as plain SQLAlchemy ones, so migrations never import
    app code that may change later."""
    from app.core.db import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from app import create_app

        engine = create_app().extensions["db_engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            compare_server_default=False,
            render_item=render_item,
            include_object=include_object_for(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `parklead db upgrade`")
run_migrations_online()
