"""Alembic, driven from the app's settings (`parklead db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from flask import Flask

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(app: Flask) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s-%%(slug)s")
    cfg.attributes["engine"] = app.extensions["db_engine"]
    return cfg


def include_object_for(dialect: str):
    """Skip schema objects declared for another database (`Index(...).ddl_if(dialect=...)`),
    so autogenerate and the model check agree with what the migrations built there."""

    def include_object(
        obj: object, _name: str | None, type_: str, _reflected: bool, _compare_to: object
    ) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        return not (
            type_ == "index" and ddl_if is not None and ddl_if.dialect and ddl_if.dialect != dialect
        )

    return include_object
