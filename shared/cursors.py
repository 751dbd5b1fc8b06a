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


def get(conn: Connection, name: str) -> int:
    row = conn.execute(sa.select(cursors_table.c.position).where(cursors_table.c.name == name)).first()
    return row[0] if row else 0


def advance(conn: Connection, name: str, position: int) -> None:
    """Move cursor ``name`` to ``position`` (create it when new)."""
    updated = conn.execute(
        cursors_table.update().where(cursors_table.c.name == name)
        .values(position=position, updated_at=utcnow()))
    if updated.rowcount == 0:
        conn.execute(cursors_table.insert().values(name=name, position=position, updated_at=utcnow()))
