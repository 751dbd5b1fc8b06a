"""Persisted reading positions: how far the outbox relay, a projection or a sync link has got.

A follower advances its cursor in the same transaction as the work it did for those events
(the eventsourcing library calls these tracking records), so a restart resumes exactly there.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.db import UTCDateTime, kernel_metadata
from shared.events import utcnow

cursors_table = sa.Table(
    "cursors", kernel_metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


# Built once: building a statement costs more than running it on SQLite (a sync hop reads and
# moves cursors for every event it takes in; bench/sync.py's profile showed it).
_GET = sa.select(cursors_table.c.position).where(cursors_table.c.name == sa.bindparam("cursor_name"))
_UPDATE = (cursors_table.update().where(cursors_table.c.name == sa.bindparam("cursor_name"))
           .values(position=sa.bindparam("position"), updated_at=sa.bindparam("updated_at")))
_INSERT = cursors_table.insert().values(name=sa.bindparam("cursor_name"), position=sa.bindparam("position"),
                                        updated_at=sa.bindparam("updated_at"))


def get(conn: Connection, name: str) -> int:
    row = conn.execute(_GET, {"cursor_name": name}).first()
    return row[0] if row else 0


def advance(conn: Connection, name: str, position: int) -> None:
    """Move cursor ``name`` to ``position`` (create it when new)."""
    params = {"cursor_name": name, "position": position, "updated_at": utcnow()}
    if conn.execute(_UPDATE, params).rowcount == 0:
        conn.execute(_INSERT, params)
