"""The append-only event store on SQLAlchemy Core.

* ``append`` writes a batch of events to one stream atomically, given the version the writer
  last saw (optimistic concurrency): a stale expected version raises ConcurrencyError.
* Every stored event gets a global **position**, gap-free and in commit order, so a reader of
  "everything after P" (the outbox relay, projections, tiered sync) never misses an event that
  commits later with a lower number. Positions come from a one-row counter (``store_head``)
  that each append updates first: its row lock serializes appenders on PostgreSQL, and SQLite
  has a single writer anyway; a rolled-back append rolls the counter back too, so no gaps.
* ``source`` + ``id`` is unique: the same event cannot be stored twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from shared.db import UTCDateTime, kernel_metadata
from shared.events import Event, utcnow

ANY_VERSION = None  # expected_version that skips the concurrency check (imports, sync)

events_table = sa.Table(
    "events", kernel_metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("stream_id", sa.String(255), nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("time", UTCDateTime, nullable=False),
    sa.Column("recorded_time", UTCDateTime, nullable=False),
    sa.Column("origin_node", sa.String(64), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("origin_area", sa.String(12)),
    sa.Column("correlation_id", sa.String(64)),
    sa.Column("causation_id", sa.String(64)),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
    sa.UniqueConstraint("source", "event_id", name="uq_events_source_id"),
)

store_head_table = sa.Table(
    "store_head", kernel_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("position", sa.BigInteger, nullable=False),
)


# Statements built once: building them on each append cost more than SQLite's commit itself
# (bench/store.py: 0.38 -> 0.72 of raw SQLAlchemy Core for one event per transaction).
_RESERVE = (store_head_table.update().where(store_head_table.c.id == 1)
            .values(position=store_head_table.c.position + sa.bindparam("count"))
            .returning(store_head_table.c.position))
_STREAM_VERSION = (sa.select(sa.func.coalesce(sa.func.max(events_table.c.stream_version), 0))
                   .where(events_table.c.stream_id == sa.bindparam("stream_id")))
_HEAD = sa.select(store_head_table.c.position).where(store_head_table.c.id == 1)
_LOCK_HEAD = (store_head_table.update().where(store_head_table.c.id == 1)
              .values(position=store_head_table.c.position))
_READ_ALL = (sa.select(events_table).where(events_table.c.position > sa.bindparam("after"))
             .order_by(events_table.c.position).limit(sa.bindparam("limit")))
_CONTAINS = sa.select(events_table.c.position).where(events_table.c.source == sa.bindparam("source"),
                                                  events_table.c.event_id == sa.bindparam("event_id"))
_READ_STREAM = (sa.select(events_table)
                .where(events_table.c.stream_id == sa.bindparam("stream_id"),
                       events_table.c.stream_version > sa.bindparam("after"))
                .order_by(events_table.c.stream_version))


class StoreError(Exception):
    pass


class ConcurrencyError(StoreError):
    """The stream moved on since the writer read it: reload, decide again, retry."""

    def __init__(self, stream_id: str, expected: int, actual: int):
        super().__init__(f"stream {stream_id}: expected version {expected}, but it is at {actual}")
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class DuplicateEventError(StoreError):
    """An event with the same source and id is already stored."""


@dataclass(frozen=True)
class AppendResult:
    events: list[Event]

    @property
    def last_position(self) -> int:
        return self.events[-1].position if self.events else 0

    @property
    def stream_version(self) -> int:
        return self.events[-1].stream_version if self.events else 0


class EventStore:
    """Append and read events; every method can join a caller's transaction via ``conn``."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def create_schema(self, on_step: Callable[[str, str], None] | None = None):
        """Create or upgrade the kernel's tables to the newest migration (shared/schema.py);
        ``on_step(revision, summary)`` is told of each revision applied. Returns what was done."""
        from shared.schema import upgrade  # here: shared.schema imports this module

        return upgrade(self.engine, on_step)

    # -- writing ---------------------------------------------------------------------------
    def append(self, stream_id: str, expected_version: int | None, events: Sequence[Event],
               conn: Connection | None = None) -> AppendResult:
        if conn is not None:
            return self._append(conn, stream_id, expected_version, events)
        with self.engine.begin() as own:
            return self._append(own, stream_id, expected_version, events)

    def _append(self, conn: Connection, stream_id: str, expected_version: int | None,
                events: Sequence[Event]) -> AppendResult:
        if not events:
            return AppendResult([])
        _check_batch(stream_id, events)
        last_position = self._reserve_positions(conn, len(events))
        current = self.stream_version(stream_id, conn)
        if expected_version is not ANY_VERSION and current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        now = utcnow()
        first_position = last_position - len(events) + 1
        stored = [
            event.replace(stream_version=current + i + 1, position=first_position + i,
                          recorded_time=event.recorded_time or now)
            for i, event in enumerate(events)
        ]
        try:
            conn.execute(events_table.insert(), [_to_row(e) for e in stored])
        except sa.exc.IntegrityError as error:  # the caller's transaction must roll back
            raise DuplicateEventError(f"an event of this batch is already stored: {error.orig}") from None
        return AppendResult(stored)

    def _reserve_positions(self, conn: Connection, count: int) -> int:
        """Take ``count`` positions; holds the head row's lock until the transaction ends."""
        return conn.execute(_RESERVE, {"count": count}).scalar_one()

    def lock_head(self, conn: Connection) -> int:
        """Hold the appenders' lock until ``conn``'s transaction ends; returns the head position.

        A follower that must not interleave with appends (a projection catching up or rebuilding,
        whose inline updates would otherwise apply an event twice or be lost) takes it first.
        """
        conn.execute(_LOCK_HEAD)
        return self.head_position(conn)

    # -- reading ---------------------------------------------------------------------------
    def stream_version(self, stream_id: str, conn: Connection | None = None) -> int:
        return self._scalar(_STREAM_VERSION, {"stream_id": stream_id}, conn)

    def contains(self, event: Event, conn: Connection | None = None) -> bool:
        """Whether this very event (source + id) is stored here."""
        params = {"source": event.source, "event_id": event.id}
        if conn is not None:
            return conn.execute(_CONTAINS, params).first() is not None
        with self.engine.connect() as own:
            return own.execute(_CONTAINS, params).first() is not None

    def head_position(self, conn: Connection | None = None) -> int:
        return self._scalar(_HEAD, {}, conn)

    def read_stream(self, stream_id: str, after_version: int = 0,
                    conn: Connection | None = None) -> list[Event]:
        return self._events(_READ_STREAM, {"stream_id": stream_id, "after": after_version}, conn)

    def read_all(self, after_position: int = 0, limit: int = 1000,
                 conn: Connection | None = None) -> list[Event]:
        """Up to ``limit`` events after ``after_position``, in position order."""
        return self._events(_READ_ALL, {"after": after_position, "limit": limit}, conn)

    def iter_all(self, after_position: int = 0, page_size: int = 1000) -> Iterator[list[Event]]:
        """Pages of events from ``after_position`` to the head, for replays."""
        while True:
            page = self.read_all(after_position, page_size)
            if not page:
                return
            yield page
            after_position = page[-1].position

    def _scalar(self, query, params: dict, conn: Connection | None):
        if conn is not None:
            return conn.execute(query, params).scalar_one()
        with self.engine.connect() as own:
            return own.execute(query, params).scalar_one()

    def _events(self, query, params: dict, conn: Connection | None) -> list[Event]:
        if conn is not None:
            return [_from_row(row) for row in conn.execute(query, params).all()]
        with self.engine.connect() as own:
            return [_from_row(row) for row in own.execute(query, params).all()]


def _check_batch(stream_id: str, events: Sequence[Event]) -> None:
    for event in events:
        if event.stream_id != stream_id:
            raise ValueError(f"event {event.id} belongs to stream {event.stream_id}, not {stream_id}")


def _to_row(event: Event) -> dict:
    return {
        "position": event.position,
        "event_id": event.id,
        "source": event.source,
        "type": event.type,
        "subject": event.subject,
        "stream_id": event.stream_id,
        "stream_version": event.stream_version,
        "time": event.time,
        "recorded_time": event.recorded_time,
        "origin_node": event.origin_node,
        "area_code": event.area_code,
        "origin_area": event.origin_area,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "schema_version": event.schema_version,
        "data": dict(event.data),
    }


def _from_row(row) -> Event:
    m = row._mapping
    return Event(
        id=m["event_id"], source=m["source"], type=m["type"], subject=m["subject"],
        data=m["data"], stream_id=m["stream_id"], stream_version=m["stream_version"],
        origin_node=m["origin_node"], area_code=m["area_code"], origin_area=m["origin_area"], time=m["time"],
        correlation_id=m["correlation_id"], causation_id=m["causation_id"],
        schema_version=m["schema_version"], recorded_time=m["recorded_time"], position=m["position"],
    )
