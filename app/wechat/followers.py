"""The follower's row on the callback's path, as plain statements (no ORM object, no flush).

The callback reads the row once, locked (`lock`: an upsert that returns it, for a new
follower or a known one, on PostgreSQL and SQLite alike), changes the `Follower` in memory,
and writes it back once at the end (`save`: one UPDATE of its changing columns). Both
statements are built once; the values are parameters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite

from app.core.db import db, utcnow
from app.wechat.models import WechatUser


@dataclasses.dataclass(slots=True)
class Follower:
    """A `wechat_user` row as the callback holds it (locked) while it handles a delivery."""

    id: int
    openid: str
    subscribed: bool
    first_scene: str | None
    last_scene: str | None
    subscribed_at: dt.datetime | None
    unsubscribed_at: dt.datetime | None
    last_inbound_at: dt.datetime | None
    cs_sent_in_window: int
    last_event_at: dt.datetime | None
    cs_sent_after_event: int
    conversation: dict[str, Any]
    conversation_expires_at: dt.datetime | None
    lead_id: int | None


_COLUMNS = tuple(field.name for field in dataclasses.fields(Follower))
# What the callback may change: everything but the id and the openid.
_CHANGING = _COLUMNS[2:]


def lock(openid: str, dialect: str) -> Follower:
    """The follower's row, inserted if new, locked either way (so one follower's messages
    are handled one at a time), in one statement."""
    row = db.session.connection().execute(upsert_stmt(dialect), lock_params(openid)).one()
    return Follower(*row)


def lock_params(openid: str) -> dict[str, Any]:
    """The parameters of `upsert_stmt` (also for a statement that holds it as a CTE)."""
    return {"openid": openid, "conversation": {}, "created_at": utcnow()}


def save(follower: Follower) -> None:
    """Write the follower's changing columns back, in one UPDATE (the row is locked)."""
    db.session.connection().execute(save_stmt(), save_params(follower))


def save_params(follower: Follower) -> dict[str, Any]:
    """The parameters of `save_stmt` (also for a statement that holds it as a CTE)."""
    params = {name: getattr(follower, name) for name in _CHANGING}
    params["follower_id"] = follower.id
    return params


@functools.cache
def upsert_stmt(dialect: str) -> Any:
    """The follower's row inserted or locked, returned as `Follower`'s columns."""
    table = WechatUser.__table__
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    insert = dialect_insert(table).values(
        openid=bindparam("openid"),
        conversation=bindparam("conversation", type_=table.c.conversation.type),
        created_at=bindparam("created_at", type_=table.c.created_at.type),
        # Written out: a column's Python default does not apply inside a CTE.
        subscribed=False,
        cs_sent_in_window=0,
        cs_sent_after_event=0,
    )
    # A no-op update of a known row: it locks the row and makes RETURNING return it.
    return insert.on_conflict_do_update(
        index_elements=[table.c.openid], set_={"openid": insert.excluded.openid}
    ).returning(*(table.c[name] for name in _COLUMNS))


@functools.cache
def save_stmt() -> Any:
    """UPDATE of the follower's changing columns; parameters: `save_params`."""
    table = WechatUser.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("follower_id"))
        .values({name: bindparam(name, type_=table.c[name].type) for name in _CHANGING})
    )
