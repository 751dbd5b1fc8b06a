"""The idempotent inbox: which events a consumer has already handled.

A consumer records the event's network-wide key (source, id) in the same transaction as its
own changes. A redelivered or duplicated event then finds its key and changes nothing; and if
two deliveries race, the primary key lets exactly one transaction commit.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.db import UTCDateTime, kernel_metadata
from shared.events import Event, utcnow

inbox_table = sa.Table(
    "inbox", kernel_metadata,
    sa.Column("consumer", sa.String(255), primary_key=True),
    sa.Column("source", sa.String(255), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("event_type", sa.String(255), nullable=False),
    sa.Column("handled_at", UTCDateTime, nullable=False),
)


class AlreadyHandled(Exception):
    """The consumer has handled this event before (a duplicate delivery)."""


def seen(conn: Connection, consumer: str, event: Event) -> bool:
    query = sa.select(sa.literal(1)).where(
        inbox_table.c.consumer == consumer,
        inbox_table.c.source == event.source,
        inbox_table.c.event_id == event.id,
    )
    return conn.execute(query).first() is not None


def record(conn: Connection, consumer: str, event: Event) -> None:
    """Mark ``event`` handled by ``consumer`` inside the caller's transaction.

    Raises AlreadyHandled when another delivery of the same event got there first; the
    caller's transaction must then roll back so its changes are not applied twice.
    """
    try:
        conn.execute(inbox_table.insert().values(
            consumer=consumer, source=event.source, event_id=event.id,
            event_type=event.type, handled_at=utcnow()))
    except sa.exc.IntegrityError:
        raise AlreadyHandled(f"{consumer} already handled {event.source} {event.id}") from None
