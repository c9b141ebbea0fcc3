"""Column types shared by the domain models."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Enum
from sqlalchemy.dialects.postgresql import JSONB

# JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def str_enum(enum_cls: type[enum.Enum], length: int = 20) -> Enum:
    """Store an Enum's values (not names) as VARCHAR, portable across SQLite and PostgreSQL."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def enum_values(enum_cls: type[enum.Enum]) -> list[Any]:
    return [m.value for m in enum_cls]
