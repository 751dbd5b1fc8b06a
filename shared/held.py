"""Events received over a sync link that cannot be stored yet, held until what they wait for arrives.

Two nodes' records travel different links, so a child's record can arrive before the record it
refers to: an elder before the area it lives in (the area comes down from the city, the elder up
from the village), or a stream's next version before the one it follows. Refusing them would
dead-letter good data (DHIS2's sync is known for it); storing them out of order would break the
stream. So they are held here, in the same transaction that records them in the inbox, keyed
by the stream they wait for, and stored as soon as that stream is appended to.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.db import UTCDateTime, kernel_metadata
from shared.events import Event, utcnow

held_table = sa.Table(
    "sync_held", kernel_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("waiting_for", sa.String(255), nullable=False, index=True),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("held_at", UTCDateTime, nullable=False),
)


def hold(conn: Connection, event: Event, waiting_for: str) -> None:
    conn.execute(held_table.insert().values(waiting_for=waiting_for, event=event.to_json().decode("utf-8"),
                                            held_at=utcnow()))


def take(conn: Connection, stream_id: str) -> list[Event]:
    """The events waiting for ``stream_id``, in the order they arrived, removed from the hold."""
    rows = conn.execute(sa.select(held_table.c.id, held_table.c.event)
                        .where(held_table.c.waiting_for == stream_id).order_by(held_table.c.id)).all()
    if rows:
        conn.execute(held_table.delete().where(held_table.c.id.in_([r.id for r in rows])))
    return [Event.from_json(r.event) for r in rows]


def count(conn: Connection) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(held_table)).scalar_one()
